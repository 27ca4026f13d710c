// `npm run bench` (plain node, the testbed's rootful Podman 4.3.1), medians of interleaved rounds in the same run:
//   bench podman-run: the trivial recipe of run-trivial through runRecipe on the Podman socket vs the podman CLI
//     talking to the same service (--url): podman create, podman cp in, podman start -a, podman cp out, podman rm.
//   bench podman-list: containers + images of the Podman service holding 200 containers, through our core vs
//     `podman ps -a` + `podman images` run at once, and vs the same two requests in raw HTTP (Podman's own time).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  createDaemonClient,
  listContainers,
  listImages,
  newRunId,
  runRecipe,
  validateConfiguration,
  type DaemonClient,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { podmanHost, podmanPythonImage, podmanBusyboxImage } from '../support/testbed';

const podmanArgs = (args: string[]) => ['--url', podmanHost(), ...args];
const podman = (...args: string[]) => execFileSync('podman', podmanArgs(args), { encoding: 'utf8' }).trim();
const podmanAsync = (...args: string[]) => promisify(execFile)('podman', podmanArgs(args));
const ROUNDS = 7;

function rawGet(path: string): Promise<void> {
  const socketPath = podmanHost().replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    http.get({ socketPath, path }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

async function podmanRun(): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-podman-run-'));
  fs.writeFileSync(
    path.join(ws, 'recipe.py'),
    'import os\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write("42")\nprint("done")\n',
  );
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, `input-${i}.csv`), 'a,b\n1,2\n'.repeat(200));
  const image = podmanPythonImage();
  const r = validateConfiguration({ name: 'bench', daemon: 'podman', baseImage: image });
  if (!r.ok) throw new Error('bench configuration');
  const ours: number[] = [];
  const cli: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      const id = podman('create', '-w', '/workspace', image, 'python3', 'recipe.py');
      podman('cp', `${ws}/.`, `${id}:/workspace`);
      podman('start', '-a', id);
      const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-podman-out-'));
      podman('cp', `${id}:/workspace/out`, dest);
      podman('rm', id);
      cli.push(performance.now() - t0);
      if (fs.readFileSync(path.join(dest, 'out', 'result.txt'), 'utf8') !== '42') throw new Error('podman cli run wrote no output');

      t0 = performance.now();
      const runId = newRunId();
      // a back-end and client of its own, as each run of the extension opens (dockerDaemonProvider)
      const backend = new DockerDaemonBackend(createDaemonClient({ id: 'podman', host: podmanHost(), timeoutMs: 60000 }), true);
      const outcome = await runRecipe(
        backend,
        {
          id: runId,
          recipe: 'recipe.py',
          config: r.config,
          image,
          pull: false,
          workspaceDir: ws,
          outputsDir: path.join(dest, runId),
          groups: [],
          interpreters: DEFAULT_INTERPRETERS,
          extensionVersion: 'bench',
        },
        { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
      );
      ours.push(performance.now() - t0);
      backend.dispose();
      if (outcome.state !== 'succeeded' || fs.readFileSync(path.join(dest, runId, 'out', 'result.txt'), 'utf8') !== '42')
        throw new Error(`our run on Podman failed: ${outcome.message}`);
      fs.rmSync(dest, { recursive: true, force: true });
    }
    const [o, c] = [median(ours.slice(1)), median(cli.slice(1))];
    console.log(`bench podman-run: vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} cli-ms=${c.toFixed(0)} files=21`);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function podmanList(client: DaemonClient): Promise<void> {
  const docker = await client.docker();
  const label = `container-exec.bench=${process.pid}`;
  const existing = (await listContainers(client)).length;
  const want = Math.max(0, 200 - existing);
  for (let i = 0; i < want; i += 20)
    await Promise.all(
      Array.from({ length: Math.min(20, want - i) }, (_, k) =>
        docker.createContainer({
          Image: podmanBusyboxImage(),
          Cmd: ['true'],
          Labels: { 'container-exec.bench': String(process.pid), 'container-exec.configuration': `cfg-${(i + k) % 7}` },
        }),
      ),
    );
  try {
    const count = (await listContainers(client)).length;
    if (count < 200) throw new Error(`only ${count} containers on Podman`);
    const ours = () => Promise.all([listContainers(client), listImages(client)]);
    // the floor: the same two requests in raw HTTP on the socket (Podman's own time to build the answers)
    const raw = () => Promise.all([rawGet('/containers/json?all=1'), rawGet('/images/json')]);
    // the two commands at once, as a user's two terminals (and our two lists) would run them
    const cli = () => Promise.all([podmanAsync('ps', '-a'), podmanAsync('images')]);
    const samples: Record<'ours' | 'raw' | 'cli', number[]> = { ours: [], raw: [], cli: [] };
    // interleaved, the first round a warm-up, so that warm-up and daemon-side caching favour none of the three
    for (let i = 0; i < 21; i++)
      for (const [name, fn] of [
        ['raw', raw],
        ['ours', ours],
        ['cli', cli],
      ] as const) {
        const t0 = performance.now();
        await fn();
        samples[name].push(performance.now() - t0);
      }
    const [o, r, c] = [median(samples.ours.slice(1)), median(samples.raw.slice(1)), median(samples.cli.slice(1))];
    console.log(
      `bench podman-list: vs-cli=${(o / c).toFixed(2)} vs-raw=${(o / r).toFixed(2)} ours-ms=${o.toFixed(1)} raw-ms=${r.toFixed(1)} cli-ms=${c.toFixed(1)} containers=${count}`,
    );
  } finally {
    await docker.pruneContainers({ filters: { label: [label] } });
  }
}

const client = createDaemonClient({ id: 'podman', host: podmanHost(), timeoutMs: 60000 });
runBenches(podmanRun, async () => {
  await podmanList(client);
  client.dispose();
});
