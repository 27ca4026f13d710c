// `npm run bench` (plain node, testbed daemons):
//   bench sweep: 36 trials of about a second (a 5 MB workspace of 100 files) as one sweep on a pool of the
//     testbed's three daemons with 2 run slots each (maxParallel 6), makespan against the same 36 dispatched
//     with the Docker CLI (create, cp in, start -a, cp out, rm) by six parallel workers round-robin over the
//     three daemons: medians of 3 interleaved rounds (order alternating) after a warm-up. Both reach the
//     daemons through their local sockets. The sweep uploads the workspace once per daemon (WorkspaceImages).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  PoolBackend,
  newRunId,
  planSweep,
  runSweep,
  validateConfiguration,
  type DaemonDescriptionInput,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';
import { cliDispatch } from './cliDispatch';

const TRIALS = 36;
const RECIPE = 'mkdir -p out\nsleep 1\nls data | wc -l > out/files.txt\n';
const hosts = () => [need('DOCKER_LOCAL_HOST'), need('DOCKER_TCP_SOCK'), need('DOCKER_TLS_SOCK')];
const daemons = (): DaemonDescriptionInput[] => hosts().map((host, i) => ({ id: `d${i}`, host }));

function workspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-sweep-'));
  fs.writeFileSync(path.join(ws, 'trial.sh'), RECIPE);
  fs.mkdirSync(path.join(ws, 'data'));
  for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(ws, 'data', `f${i}.bin`), Buffer.alloc(50_000, i));
  return ws;
}

async function extensionSweep(ws: string, trials: number): Promise<number> {
  const name = `bench-sweep-${process.pid}`;
  const c = validateConfiguration({ name, pool: daemons().map((d) => d.id), baseImage: need('BUSYBOX_IMAGE') });
  if (!c.ok) throw new Error(JSON.stringify(c.errors));
  const spec = { name, daemons: daemons().map((daemon) => ({ id: daemon.id, daemon })), budget: { perDaemonRuns: 2 } };
  const sweepId = newRunId();
  const plan = planSweep(
    'bench.sweep.json',
    JSON.stringify({ recipe: 'trial.sh', matrix: { i: [...Array(trials).keys()] }, maxParallel: 6 }),
    sweepId,
  );
  const t0 = performance.now();
  const result = await runSweep({
    sweepId,
    plan,
    request: {
      config: c.config,
      image: need('BUSYBOX_IMAGE'),
      pull: false,
      workspaceDir: ws,
      groups: [],
      interpreters: DEFAULT_INTERPRETERS,
      extensionVersion: 'bench',
    },
    openBackend: async () => new PoolBackend(spec),
    trialFolder: async (_, attempt, runId) => {
      const folder = path.join(ws, '.container-exec', 'sweeps', sweepId, `${runId}-${attempt}`);
      fs.mkdirSync(folder, { recursive: true });
      return folder;
    },
    signal: new AbortController().signal,
    onTrial: () => undefined,
    onWarning: (w) => console.error(w),
  });
  const ms = performance.now() - t0;
  if (result.state !== 'succeeded') throw new Error(result.message);
  for (const t of result.trials)
    if (fs.readFileSync(path.join(t.outputsDir, 'out', 'files.txt'), 'utf8').trim() !== '100')
      throw new Error(`trial ${t.trial.index}: no outputs`);
  return ms;
}

async function cliSweep(ws: string, trials: number): Promise<number> {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-sweep-cli-'));
  try {
    return await cliDispatch({
      hosts: hosts(),
      runs: trials,
      workers: 6,
      image: need('BUSYBOX_IMAGE'),
      workspace: ws,
      recipe: 'trial.sh',
      dest,
    });
  } finally {
    fs.rmSync(dest, { recursive: true, force: true });
  }
}

async function sweepBench(): Promise<void> {
  const ws = workspace();
  try {
    await extensionSweep(ws, 6); // warm-up: connections, load caches, not timed
    await cliSweep(ws, 6);
    const ext: number[] = [];
    const cli: number[] = [];
    // interleaved rounds, the order alternating: a load that comes and goes hits both sides alike
    for (let round = 0; round < 3; round++) {
      const sides = [() => extensionSweep(ws, TRIALS).then((ms) => ext.push(ms)), () => cliSweep(ws, TRIALS).then((ms) => cli.push(ms))];
      for (const side of round % 2 ? sides.reverse() : sides) await side();
    }
    const [e, c] = [median(ext), median(cli)];
    console.log(
      `bench sweep: vs-cli=${(e / c).toFixed(2)} trials=${TRIALS} daemons=3 sweep-ms=${e.toFixed(0)} cli-ms=${c.toFixed(0)} (medians of ${ext.length} interleaved rounds after a warm-up; 6 at once, 2 per daemon; workspace 5 MB, 101 files) goal<=1.0`,
    );
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

runBenches(sweepBench);
