// `npm run bench` (plain node, testbed's primary daemon):
//   bench stats: twenty runs going on at once, sampled (one stats stream each, as every run is) against the
//   same twenty unsampled, in the same process and run, rounds interleaved. Once all twenty run (and, sampled,
//   each has given a sample), this process's CPU time (process.cpuUsage) is read over the same window in both;
//   the difference over the window is the sampling's added CPU, in % of one core (goal ≤ 2). Then the runs
//   are cancelled (their containers stopped and removed as Stop does). The chart's frame time: statsChart.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  createDaemonClient,
  newRunId,
  runRecipe,
  type RunOutcome,
  validateConfiguration,
  type DaemonClient,
} from '../../src/core';
import { runBenches } from '../support/bench';
import { need } from '../support/testbed';

const RUNS = 20;
const WINDOW_MS = 15_000;
const ROUNDS = Number(process.env.BENCH_STATS_ROUNDS || 2);
/** How long twenty runs may take to start on a busy 2-core machine. */
const START_DEADLINE_MS = 180_000;

interface Round {
  cpuMs: number;
  samples: number;
}

/** Twenty runs at once; this process's CPU over WINDOW_MS once all run (and, when sampled, each sampled once). */
async function round(client: DaemonClient, ws: string, sampled: boolean): Promise<Round> {
  const config = validateConfiguration({ name: 'bench-stats', daemon: 'local', baseImage: need('PYTHON_IMAGE') });
  if (!config.ok) throw new Error('bench configuration');
  const aborts = Array.from({ length: RUNS }, () => new AbortController());
  const ready = new Set<number>();
  let samples = 0;
  let allReady!: () => void;
  const readyAll = new Promise<void>((resolve) => (allReady = resolve));
  const mark = (i: number) => {
    ready.add(i);
    if (ready.size === RUNS) allReady();
  };
  const runs = aborts.map((ctl, i) => {
    const runId = newRunId();
    return runRecipe(
      new DockerDaemonBackend(client),
      {
        id: runId,
        recipe: 'wait.py',
        config: config.config,
        image: need('PYTHON_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(`${ws}-runs`, runId), // outside the workspace: not uploaded by the next round
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        extensionVersion: 'bench',
        graceSeconds: 2,
        ...(sampled ? {} : { usageSampling: false as const }),
      },
      {
        signal: ctl.signal,
        onOutput: () => undefined,
        onStatus: () => undefined,
        onWarning: () => undefined,
        onStarted: () => {
          if (!sampled) mark(i);
        },
        onUsage: () => {
          samples++;
          mark(i);
        },
      },
    );
  });
  let ended: PromiseSettledResult<RunOutcome>[];
  let measured: Round;
  try {
    measured = await measure();
  } finally {
    // also when the measure failed: every container is stopped and removed before this returns
    aborts.forEach((a) => a.abort());
    ended = await Promise.allSettled(runs);
  }
  const left = ended.find((o) => o.status === 'rejected' || o.value.state !== 'cancelled');
  if (left) throw new Error(`bench stats: a run ended ${left.status === 'rejected' ? String(left.reason) : left.value.message}`);
  return measured;

  async function measure(): Promise<Round> {
    const started = await Promise.race([
      readyAll.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), START_DEADLINE_MS).unref()),
      Promise.all(runs).then(() => false),
    ]);
    if (!started) throw new Error(`bench stats: ${ready.size} of ${RUNS} runs ${sampled ? 'sampled' : 'started'}`);
    const cpu0 = process.cpuUsage();
    const samples0 = samples;
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const cpu = process.cpuUsage(cpu0);
    return { cpuMs: (cpu.user + cpu.system) / 1000, samples: samples - samples0 };
  }
}

async function stats(client: DaemonClient): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-stats-'));
  fs.writeFileSync(path.join(ws, 'wait.py'), 'import time\ntime.sleep(600)\n');
  const plain: Round[] = [];
  const sampled: Round[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      plain.push(await round(client, ws, false));
      sampled.push(await round(client, ws, true));
    }
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(`${ws}-runs`, { recursive: true, force: true });
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [p, s] = [mean(plain.map((r) => r.cpuMs)), mean(sampled.map((r) => r.cpuMs))];
  const pct = ((s - p) / WINDOW_MS) * 100;
  const perS = mean(sampled.map((r) => r.samples)) / (WINDOW_MS / 1000);
  const figures = { pct, runs: RUNS, samplesPerS: perS, sampledCpuMs: s, unsampledCpuMs: p, windowMs: WINDOW_MS, rounds: ROUNDS };
  // under npm run bench: scripts/bench.mjs prints them on one line with the chart's frame times
  if (process.env.BENCH_STATS_OUT) fs.writeFileSync(process.env.BENCH_STATS_OUT, JSON.stringify(figures));
  else
    console.log(
      `bench stats: host-cpu-pct=${pct.toFixed(2)} runs=${RUNS} samples-per-s=${perS.toFixed(1)} sampled-cpu-ms=${s.toFixed(0)} ` +
        `unsampled-cpu-ms=${p.toFixed(0)} window-ms=${WINDOW_MS} rounds=${ROUNDS} goal-pct=2 within-goal=${pct <= 2}`,
    );
}

const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST'), timeoutMs: 60000 });
runBenches(async () => {
  await stats(client);
  client.dispose();
});
