// `npm run bench` (plain node, testbed's primary daemon), medians of interleaved rounds in the same run:
//   bench run-trivial: a trivial python recipe through runRecipe (create → upload → attach → start → wait
//     → fetch outputs → remove) vs the Docker CLI doing the same: docker create, docker cp in,
//     docker start -a, docker cp out, docker rm; and vs the raw floor: the fewest Engine API calls over the
//     socket (create, archive in, start, wait, archive out, remove; the tar made before the clock).
//   bench upload-50mb: 50 MB in 2,000 files into a created container: scan + tar + putArchive vs docker cp,
//     and vs the raw floor (a tar of the same files made before the clock, PUT over the socket).
//   bench upload-large: the same with 5 files of 100 MB.
//   bench logs-core: a recipe printing 100 MB through runRecipe in plain node, each chunk appended to a
//     log file, decoded and turned into terminal text (CRLF) as the task terminal does: the extension's own
//     share of `bench logs` (which runs in the real host), with this process's event-loop delay.
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  createDaemonClient,
  newRunId,
  packWorkspace,
  runRecipe,
  scanWorkspace,
  validateConfiguration,
  type DaemonClient,
} from '../../src/core';
import { median, rotated, runBenches, spread } from '../support/bench';
import { need } from '../support/testbed';
import { RawEngine, tarOf } from './rawEngine';
import { trivialRound, trivialWorkspace } from './trivialRun';

const docker = (...args: string[]) => execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), ...args], { encoding: 'utf8' }).trim();
const ROUNDS = 7;

async function runTrivial(client: DaemonClient): Promise<void> {
  const ws = trivialWorkspace('ce-bench-run-');
  const r = validateConfiguration({ name: 'bench', daemon: 'local', baseImage: need('PYTHON_IMAGE') });
  if (!r.ok) throw new Error('bench configuration');
  const ours: number[] = [];
  const cli: number[] = [];
  const raw: number[] = [];
  const rawEngine = new RawEngine(need('DOCKER_LOCAL_HOST'));
  const tar = tarOf(ws);
  const open = () => new DockerDaemonBackend(client);
  try {
    for (let i = 0; i < ROUNDS; i++) {
      raw.push(await rawRun(rawEngine, tar));
      const round = await trivialRound({ cli: docker, open, config: r.config, image: need('PYTHON_IMAGE'), ws, engine: 'Docker' });
      cli.push(round.cli);
      ours.push(round.ours);
    }
    const [o, c, w] = [median(ours.slice(1)), median(cli.slice(1)), median(raw.slice(1))];
    console.log(
      `bench run-trivial: vs-raw=${(o / w).toFixed(2)} vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} raw-ms=${w.toFixed(0)} cli-ms=${c.toFixed(0)} files=21 ` +
        `spread-ms=ours:${spread(ours.slice(1))},raw:${spread(raw.slice(1))},cli:${spread(cli.slice(1))}`,
    );
  } finally {
    rawEngine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** The raw floor of run-trivial: create, archive in, start, wait, archive out, remove; ms. */
async function rawRun(raw: RawEngine, tar: Buffer): Promise<number> {
  const t0 = performance.now();
  const { Id: id } = await raw.json<{ Id: string }>('POST', '/containers/create', {
    Image: need('PYTHON_IMAGE'),
    Cmd: ['python3', 'recipe.py'],
    WorkingDir: '/workspace',
  });
  await raw.request('PUT', `/containers/${id}/archive?path=/workspace`, tar, { 'Content-Type': 'application/x-tar' });
  await raw.request('POST', `/containers/${id}/start`);
  const { StatusCode } = await raw.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
  const out = await raw.request('GET', `/containers/${id}/archive?path=/workspace/out`);
  await raw.request('DELETE', `/containers/${id}`);
  const ms = performance.now() - t0;
  if (StatusCode !== 0 || !out.body.includes('result.txt')) throw new Error('the raw run wrote no output');
  return ms;
}

/** `name`: files written by `populate` into a fresh folder, uploaded into a created container by docker cp, by us and raw. */
async function uploadBench(client: DaemonClient, name: string, rounds: number, populate: (ws: string) => void): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-upload-'));
  populate(ws);
  const ours: number[] = [];
  const cli: number[] = [];
  const raw: number[] = [];
  const rawEngine = new RawEngine(need('DOCKER_LOCAL_HOST'));
  const tar = tarOf(ws);
  let sent = 0;
  let files = 0;
  try {
    const ways = [
      async () => {
        const r = docker('create', '-w', '/workspace', need('BUSYBOX_IMAGE'), 'true');
        const t0 = performance.now();
        await rawEngine.request('PUT', `/containers/${r}/archive?path=/workspace`, tar, { 'Content-Type': 'application/x-tar' });
        raw.push(performance.now() - t0);
        docker('rm', r);
      },
      async () => {
        const a = docker('create', '-w', '/workspace', need('BUSYBOX_IMAGE'), 'true');
        const t0 = performance.now();
        docker('cp', `${ws}/.`, `${a}:/workspace`);
        cli.push(performance.now() - t0);
        docker('rm', a);
      },
      async () => {
        const b = docker('create', '-w', '/workspace', need('BUSYBOX_IMAGE'), 'true');
        const t0 = performance.now();
        const scan = await scanWorkspace(ws);
        const packed = packWorkspace(ws, scan);
        await client.call(
          'upload',
          (d, abortSignal) => d.getContainer(b).putArchive(packed.stream, { path: '/workspace', abortSignal } as never),
          { timeoutMs: 60000 },
        );
        ours.push(performance.now() - t0);
        sent = packed.sentBytes();
        files = scan.files;
        docker('rm', b);
      },
    ];
    await rotated(rounds, ways);
    const [o, c, w] = [median(ours.slice(1)), median(cli.slice(1)), median(raw.slice(1))];
    console.log(
      `bench ${name}: vs-raw=${(o / w).toFixed(2)} vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} raw-ms=${w.toFixed(0)} cli-ms=${c.toFixed(0)} ` +
        `raw-vs-cli=${(w / c).toFixed(2)} files=${files} sent-mb=${(sent / 1e6).toFixed(1)} ` +
        `spread-ms=ours:${spread(ours.slice(1))},raw:${spread(raw.slice(1))},cli:${spread(cli.slice(1))}`,
    );
  } finally {
    rawEngine.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

const upload50 = (client: DaemonClient) =>
  uploadBench(client, 'upload-50mb', ROUNDS, (ws) => {
    const blob = Buffer.alloc(25 * 1000, 7);
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(ws, `dir-${d}`));
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(ws, `dir-${d}`, `file-${f}.bin`), blob);
    }
  });

const uploadLarge = (client: DaemonClient) =>
  uploadBench(client, 'upload-large', 5, (ws) => {
    const blob = Buffer.alloc(100 * 1000 * 1000, 7);
    for (let f = 0; f < 5; f++) fs.writeFileSync(path.join(ws, `large-${f}.bin`), blob);
  });

async function logsCore(client: DaemonClient): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-logs-'));
  fs.writeFileSync(
    path.join(ws, 'print_lots.py'),
    'import sys\nblock = (("x" * 99) + "\\n").encode() * 10000\nfor _ in range(100):\n    sys.stdout.buffer.write(block)\nsys.stdout.flush()\n',
  );
  const r = validateConfiguration({ name: 'bench', daemon: 'local', baseImage: need('PYTHON_IMAGE') });
  if (!r.ok) throw new Error('bench configuration');
  const log = fs.createWriteStream(path.join(ws, 'run.log'));
  let bytes = 0;
  let first = 0;
  let last = 0;
  let terminalChars = 0;
  const decoder = new StringDecoder('utf8');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const runId = newRunId();
    const outcome = await runRecipe(
      new DockerDaemonBackend(client),
      {
        id: runId,
        recipe: 'print_lots.py',
        config: r.config,
        image: need('PYTHON_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, 'runs', runId),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        extensionVersion: 'bench',
      },
      {
        signal: new AbortController().signal,
        onOutput: (chunk) => {
          first ||= performance.now();
          last = performance.now();
          bytes += chunk.length;
          log.write(chunk);
          terminalChars += decoder.write(chunk).replace(/\r?\n/g, '\r\n').length;
        },
        onStatus: () => undefined,
        onWarning: () => undefined,
      },
    );
    delay.disable();
    if (outcome.state !== 'succeeded' || terminalChars < 100e6) throw new Error(`logs run failed: ${outcome.message}`);
    console.log(
      `bench logs-core: mb-per-s=${(bytes / 1e6 / ((last - first) / 1000)).toFixed(1)} max-stall-ms=${(delay.max / 1e6).toFixed(1)} mb=${(bytes / 1e6).toFixed(0)} stream-ms=${(last - first).toFixed(0)}`,
    );
  } finally {
    log.end();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST'), timeoutMs: 60000 });
runBenches(
  () => runTrivial(client),
  () => upload50(client),
  () => uploadLarge(client),
  async () => {
    await logsCore(client);
    client.dispose();
  },
);
