// `npm run bench` (plain node, the testbed's 3-node swarm), medians of interleaved rounds in the same run:
//   bench swarm-run: a trivial recipe through runRecipe on a swarm configuration (service create → placed →
//     workspace in → gate → wait → outputs out → service removed) vs the Docker CLI running the same command
//     as a job: docker service create --mode replicated-job (waits for the job) + docker service logs + rm.
//     The CLI moves no workspace in and no outputs out: ours does both (two archive calls, ~0.2 s each here).
//   bench swarm-spread: six 2-second runs that fit one per node, all started at once: their makespan on
//     the 3-node swarm vs the same six held on one node (nodeLabels: the manager only); medians of 3. Also
//     the same for bare CLI jobs (cli-vs-one-node): what this machine allows without moving any file.
// BENCH_SWARM=run: swarm-run alone.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerSwarmBackend,
  createDaemonClient,
  newRunId,
  runRecipe,
  validateConfiguration,
  type DaemonDescriptionInput,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';

const nodes = (): DaemonDescriptionInput[] => [
  { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') },
  { id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') },
  { id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') },
];
const docker = (...args: string[]) =>
  execFileSync('docker', ['-H', need('DOCKER_SWARM_MANAGER_HOST'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
const dockerAsync = (...args: string[]) => promisify(execFile)('docker', ['-H', need('DOCKER_SWARM_MANAGER_HOST'), ...args]);
/** On the CLI jobs' containers: Swarm (20.10) leaves a removed job's containers on its node; removed untimed. */
const CLI_LABEL = 'ce-bench-cli=1';
function removeCliContainers(): void {
  for (const { host } of nodes()) {
    const on = (...args: string[]) => execFileSync('docker', ['-H', host, ...args], { encoding: 'utf8' }).trim();
    const ids = on('ps', '-aq', '--filter', `label=${CLI_LABEL}`);
    if (ids) on('rm', '-f', ...ids.split('\n'));
  }
}
const ROUNDS = 5;
const SPREAD_ROUNDS = 3;

async function runOnSwarm(ws: string, configInput: Record<string, unknown>, recipe: string): Promise<void> {
  const r = validateConfiguration({ name: 'bench-swarm', daemon: 'swarm-m', baseImage: need('BUSYBOX_IMAGE'), swarm: {}, ...configInput });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const backend = new DockerSwarmBackend(
    createDaemonClient(nodes()[0]!),
    async () => nodes().map((daemon) => ({ daemon, source: 'user' as const })),
    true,
  );
  const id = newRunId();
  try {
    const outcome = await runRecipe(
      backend,
      {
        id,
        recipe,
        config: r.config,
        image: need('BUSYBOX_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, '.container-exec', 'runs', id),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        extensionVersion: 'bench',
      },
      { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
    );
    if (outcome.state !== 'succeeded') throw new Error(`our swarm run failed: ${outcome.message}`);
  } finally {
    backend.dispose();
  }
}

async function swarmRun(): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-swarm-'));
  fs.writeFileSync(path.join(ws, 'recipe.sh'), 'mkdir -p out; echo 42 > out/result.txt; echo done\n');
  const ours: number[] = [];
  const cli: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const name = `ce-bench-cli-${process.pid}-${i}`;
      let t0 = performance.now();
      docker(
        'service',
        'create',
        '--quiet',
        '--name',
        name,
        '--container-label',
        CLI_LABEL,
        '--mode',
        'replicated-job',
        '--restart-condition',
        'none',
        need('BUSYBOX_IMAGE'),
        'sh',
        '-c',
        'mkdir -p out; echo 42 > out/result.txt; echo done',
      );
      const logs = docker('service', 'logs', '--raw', name);
      docker('service', 'rm', name);
      cli.push(performance.now() - t0);
      removeCliContainers();
      if (!logs.includes('done')) throw new Error(`cli job printed ${JSON.stringify(logs)}`);

      t0 = performance.now();
      await runOnSwarm(ws, {}, 'recipe.sh');
      ours.push(performance.now() - t0);
    }
    const [o, c] = [median(ours.slice(1)), median(cli.slice(1))];
    console.log(
      `bench swarm-run: vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} cli-ms=${c.toFixed(0)} (ours also moves the workspace in and out/ back)`,
    );
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function swarmSpread(): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-spread-'));
  fs.writeFileSync(path.join(ws, 'recipe.sh'), 'sleep 2; echo done\n');
  const big = { resources: { cpus: 1.5, memory: '32m' } };
  const makespan = async (config: Record<string, unknown>) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => runOnSwarm(ws, config, 'recipe.sh')));
    return performance.now() - t0;
  };
  // the machine's own limit: the same six as bare CLI jobs (no files in or out). Three "nodes" here share
  // 2 cores and one kernel: three container starts at once take ~2.4x one.
  const cliMakespan = async (constraint: string[], round: number) => {
    const names = Array.from({ length: 6 }, (_, i) => `ce-bench-spread-${process.pid}-${round}-${i}`);
    const t0 = performance.now();
    await Promise.all(
      names.map((name) =>
        // waits for the job to complete, as `docker service create` does for jobs
        dockerAsync(
          ...['service', 'create', '--quiet', '--name', name, '--container-label', CLI_LABEL],
          ...['--mode', 'replicated-job', '--restart-condition', 'none'],
          ...['--reserve-cpu', '1.5', '--reserve-memory', '32m', ...constraint],
          ...[need('BUSYBOX_IMAGE'), 'sh', '-c', 'sleep 2; echo done'],
        ),
      ),
    );
    const ms = performance.now() - t0;
    docker('service', 'rm', ...names);
    removeCliContainers();
    return ms;
  };
  try {
    // interleaved rounds, medians: one makespan swings by a second with what else the 2 cores do
    const [spreads, ones, cliSpreads, cliOnes]: [number[], number[], number[], number[]] = [[], [], [], []];
    for (let i = 0; i < SPREAD_ROUNDS; i++) {
      spreads.push(await makespan(big));
      ones.push(await makespan({ ...big, swarm: { nodeLabels: { 'dockerenv.role': 'swarm-m' } } }));
      cliSpreads.push(await cliMakespan([], i));
      cliOnes.push(await cliMakespan(['--constraint', 'node.labels.dockerenv.role==swarm-m'], i));
    }
    const [spread, one, cliSpread, cliOne] = [spreads, ones, cliSpreads, cliOnes].map(median) as [number, number, number, number];
    console.log(
      `bench swarm-spread: vs-one-node=${(spread / one).toFixed(2)} swarm-ms=${spread.toFixed(0)} one-node-ms=${one.toFixed(0)} cli-vs-one-node=${(cliSpread / cliOne).toFixed(2)} cli-swarm-ms=${cliSpread.toFixed(0)} cli-one-node-ms=${cliOne.toFixed(0)} runs=6 nodes=3 rounds=${SPREAD_ROUNDS}`,
    );
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

runBenches(...(process.env.BENCH_SWARM === 'run' ? [swarmRun] : [swarmRun, swarmSpread]));
