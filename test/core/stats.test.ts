// A run's resource use: docker stats' computation on captured stats JSON, and sampling of runs on the testbed's real daemons.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerDaemonBackend,
  DockerSwarmBackend,
  EngineStatsSchema,
  PoolBackend,
  STATS_FILE,
  StatsLog,
  addSample,
  cpuPercent,
  createDaemonClient,
  emptyUsage,
  liveUsageText,
  memoryText,
  memoryUsed,
  newRunId,
  readStatsLog,
  rightSizingHint,
  runRecipe,
  sampleOf,
  statsStreams,
  usageSummaryText,
  validateConfiguration,
  type DaemonDescriptionInput,
  type ExecutionBackend,
  type RunOutcome,
  type UsageSample,
} from '../../src/core';
import { testRunRequest } from '../support/runs';
import { killCrashDaemon, need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';

const FIXTURES = path.resolve(__dirname, '../../../test/core/fixtures/stats');
const fixture = (name: string) => EngineStatsSchema.parse(JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')));
const streamFixture = (name: string) =>
  fs
    .readFileSync(path.join(FIXTURES, name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => EngineStatsSchema.parse(JSON.parse(l)));
const MiB = 1024 * 1024;

describe('resource use computation (pure, stats JSON captured from the testbed: Docker 20.10, cgroup v1)', () => {
  const v1 = fixture('docker20-cgroup1-busybox.json');

  it('CPU % as docker stats: Δtotal / Δsystem × online CPUs (a busybox loop under cpus 0.5: 49.7 %)', () => {
    // (2070446991 − 1573185502) / (23091660000000 − 23089660000000) × 2 × 100
    assert.equal(cpuPercent(v1).toFixed(2), '49.73');
  });

  it('online_cpus missing: percpu_usage length; both missing and no system time: CPU time over the wall time between reads', () => {
    const noOnline = structuredClone(v1);
    delete noOnline.cpu_stats!.online_cpus;
    assert.equal(cpuPercent(noOnline).toFixed(2), '49.73');
    const bare = structuredClone(noOnline);
    delete bare.cpu_stats!.cpu_usage!.percpu_usage;
    delete bare.cpu_stats!.system_cpu_usage;
    // 497 ms of CPU in the 1.005 s between preread and read
    const pct = cpuPercent(bare);
    assert.ok(pct > 45 && pct < 55, `${pct}`);
  });

  it('precpu_stats empty (Podman): the delta is taken from the previous sample of the stream, the same number Docker gives', () => {
    const [first, second] = streamFixture('docker20-cgroup1-python-stream.jsonl');
    const docker = cpuPercent(second!);
    const podmanLike = structuredClone(second!);
    podmanLike.precpu_stats = {};
    assert.ok(docker > 0);
    assert.equal(cpuPercent(podmanLike, first).toFixed(3), docker.toFixed(3));
    assert.equal(cpuPercent(podmanLike), 0, 'no baseline at all: 0, never NaN');
  });

  it('memory = usage − total_inactive_file (v1) or inactive_file (v2), against the limit; network summed over interfaces; block I/O by op', () => {
    assert.equal(memoryUsed(v1), 1687552 - 552960);
    const s = sampleOf(v1);
    assert.deepEqual(
      { limit: s.memLimitBytes, rx: s.netRxBytes, tx: s.netTxBytes, pids: s.pids, read: s.blkReadBytes },
      { limit: 512 * MiB, rx: 736, tx: 0, pids: 2, read: 0 },
    );
    // cgroup v2's fields (this machine has no v2 daemon: the same numbers in v2's shape)
    const v2 = sampleOf(fixture('cgroup2-shape-derived.json'));
    assert.deepEqual(
      { mem: v2.memBytes, cpu: v2.cpuPct.toFixed(2), read: v2.blkReadBytes, write: v2.blkWriteBytes },
      { mem: 1687552 - 552960, cpu: '49.73', read: 4096, write: 8192 },
    );
  });

  it('the summary keeps peaks, the mean and CPU-seconds; its line reads "peak memory 1.2 of 4.0 GB · CPU 1.8 of 2 cores"', () => {
    const at = (t: number, cpuPct: number, memBytes: number): UsageSample => ({
      t,
      cpuPct,
      memBytes,
      memLimitBytes: 4e9,
      netRxBytes: t,
      netTxBytes: 0,
      blkReadBytes: 0,
      blkWriteBytes: 0,
      pids: 3,
    });
    let s = emptyUsage(2);
    s = addSample(s, at(1000, 100, 1.0e9), 0);
    s = addSample(s, at(2000, 180, 1.2e9), 1000);
    s = addSample(s, at(3000, 20, 0.5e9), 1000);
    assert.equal(s.peakMemBytes, 1.2e9);
    assert.equal(s.meanCpuPct, 100);
    assert.equal(s.cpuSeconds.toFixed(1), '2.0');
    assert.equal(s.netRxBytes, 3000);
    assert.equal(usageSummaryText(s), 'peak memory 1.2 of 4.0 GB · CPU 1.8 of 2 cores');
    assert.equal(liveUsageText(at(0, 143.4, 1.2e9)), 'CPU 143% · 1.2 of 4.0 GB');
    assert.equal(memoryText(300e6, 4e9), '300 MB of 4.0 GB');
  });

  it('stats.jsonl is bounded: 5000 samples against a bound of 100 keep at most 100, and a one-second spike survives', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-statslog-'));
    const log = new StatsLog(path.join(dir, STATS_FILE), 100);
    for (let i = 0; i < 5000; i++)
      log.add({
        t: i,
        cpuPct: i === 3333 ? 900 : 10,
        memBytes: i === 4444 ? 9e9 : 1e6,
        netRxBytes: i,
        netTxBytes: 0,
        blkReadBytes: 0,
        blkWriteBytes: 0,
        pids: 1,
      });
    await log.close();
    const kept = await readStatsLog(path.join(dir, STATS_FILE));
    assert.ok(kept.length <= 100 && kept.length >= 50, `${kept.length}`);
    assert.equal(Math.max(...kept.map((k) => k.cpuPct)), 900);
    assert.equal(Math.max(...kept.map((k) => k.memBytes)), 9e9);
    assert.equal(kept.at(-1)!.netRxBytes, 4999, 'the last sample is kept');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('right-sizing hints (pure)', () => {
  const cfg = (name: string, memory: string, cpus: number) => {
    const r = validateConfiguration({ name, daemon: 'gpu-box', resources: { memory, cpus } });
    assert.ok(r.ok);
    return r.config;
  };
  const used = (peakMemBytes: number, peakCpuPct: number) => ({ ...emptyUsage(8), samples: 10, peakMemBytes, peakCpuPct });

  it('"last 5 runs of train.py: peak 1.1 of 16 GB, CPU 0.9 of 8", naming the smallest configuration that holds the peaks with room', () => {
    const big = cfg('big', '16g', 8);
    const others = [big, cfg('small', '2g', 2), cfg('tiny', '1g', 1), cfg('medium', '4g', 4)];
    const runs = [
      ...[0.9e9, 1.1e9, 1.0e9, 0.8e9, 1.05e9].map((m, i) => ({ recipe: 'train.py', configuration: 'big', usage: used(m, 50 + i * 10) })),
      { recipe: 'train.py', configuration: 'big', usage: used(9e9, 700) }, // a sixth, older run: not read
      { recipe: 'other.py', configuration: 'small', usage: used(5e8, 10) },
    ];
    assert.equal(
      rightSizingHint(big, runs, others),
      'last 5 runs of train.py: peak 1.1 of 17.2 GB, CPU 0.9 of 8; configuration small (memory 2g, 2 CPUs) fits them with less held',
    );
    // tiny (1 GiB) is below the peak with its 25 % headroom; a configuration nearly full is pointed to a larger one
    const small = others[1]!;
    assert.equal(
      rightSizingHint(small, [{ recipe: 'etl.py', configuration: 'small', usage: used(2.0e9, 150) }], others),
      'last run of etl.py: peak 2.0 of 2.1 GB, CPU 1.5 of 2; configuration medium (memory 4g, 4 CPUs) fits with more room',
    );
    assert.equal(rightSizingHint(cfg('unused', '8g', 4), runs, others), undefined);
  });
});

/** Runs `script` (a recipe file of the workspace) through the driver on `backend`; the outcome, samples seen and streams open at its end. */
async function sampledRun(
  backend: ExecutionBackend,
  target: Record<string, unknown>,
  recipe: { file: string; text: string },
  resources: Record<string, unknown>,
  hooks: { onUsage?: (s: UsageSample) => void; image?: string; timeoutMs?: number } = {},
) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-stats-'));
  fs.writeFileSync(path.join(ws, recipe.file), recipe.text);
  const r = validateConfiguration({
    name: 'stats',
    ...target,
    baseImage: hooks.image ?? need('BUSYBOX_IMAGE'),
    resources,
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const samples: UsageSample[] = [];
  let stdout = '';
  const warnings: string[] = [];
  const outputsDir = path.join(ws, '.container-exec', 'runs', id);
  const outcome: RunOutcome = await runRecipe(
    backend,
    testRunRequest({
      id,
      recipe: recipe.file,
      config: r.config,
      image: hooks.image ?? need('BUSYBOX_IMAGE'),
      workspaceDir: ws,
      outputsDir,
      heartbeatMs: 500,
    }),
    {
      signal: new AbortController().signal,
      onOutput: (chunk, stream) => void (stream === 'stdout' && (stdout += chunk.toString())),
      onStatus: () => undefined,
      onWarning: (w) => warnings.push(w),
      onUsage: (s) => {
        samples.push(s);
        hooks.onUsage?.(s);
      },
    },
  );
  const openAtEnd = statsStreams.open;
  const file = fs.existsSync(path.join(outputsDir, STATS_FILE)) ? await readStatsLog(path.join(outputsDir, STATS_FILE)) : [];
  fs.rmSync(ws, { recursive: true, force: true });
  return { outcome, samples, warnings, openAtEnd, file, stdout };
}

describe('resource use of runs on real daemons', function () {
  this.timeout(120000);
  const local = (): DaemonDescriptionInput => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') });

  it('a recipe holding 200 MB under memory 512m: peak ≥ 200 MB and < the 512 MB limit; stats.jsonl has the samples; no stream left open', async () => {
    const backend = new DockerDaemonBackend(createDaemonClient(local()), true);
    try {
      const hold = 'import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(4)\n';
      const { outcome, samples, file, openAtEnd } = await sampledRun(
        backend,
        { daemon: 'local' },
        { file: 'hold.py', text: hold },
        { memory: '512m' },
        { image: need('PYTHON_IMAGE') },
      );
      assert.equal(outcome.state, 'succeeded', outcome.message);
      const u = outcome.usage!;
      assert.ok(u, 'the outcome has a usage summary');
      assert.ok(u.peakMemBytes >= 200 * MiB, `peak ${u.peakMemBytes}`);
      assert.ok(u.peakMemBytes < 512 * MiB, `peak ${u.peakMemBytes}`);
      assert.equal(u.memLimitBytes, 512 * MiB);
      assert.ok(samples.length >= 2, `${samples.length} samples`);
      assert.equal(file.length, samples.length, 'every sample is in stats.jsonl');
      assert.equal(openAtEnd, 0, 'no stats stream outlives the run');
    } finally {
      backend.dispose();
    }
  });

  it('a recipe burning CPU under cpus 0.5 averages 40–60 % of one CPU (the share it measured itself, ± 8 points); the summary says "of 0.5 cores"', async () => {
    const backend = new DockerDaemonBackend(createDaemonClient(local()), true);
    try {
      // the recipe's own CPU share is the truth: on a busy shared machine it may get less than its quota
      const burn =
        'import os, time\nt = time.time()\nwhile time.time() - t < 7: pass\nc = os.times()\nprint(f"{(c.user + c.system) / (time.time() - t) * 100:.1f}")\n';
      const { outcome, openAtEnd, samples, stdout } = await sampledRun(
        backend,
        { daemon: 'local' },
        { file: 'burn.py', text: burn },
        { cpus: 0.5 },
        { image: need('PYTHON_IMAGE') },
      );
      assert.equal(outcome.state, 'succeeded', outcome.message);
      const u = outcome.usage!;
      const own = Number(stdout.trim());
      const seen = `mean ${u.meanCpuPct.toFixed(1)} % of ${samples.map((x) => x.cpuPct.toFixed(0)).join(', ')}; the recipe measured ${own} %`;
      assert.ok(u.meanCpuPct <= 60, seen);
      assert.ok(Math.abs(u.meanCpuPct - own) <= 8, seen);
      if (own >= 45) assert.ok(u.meanCpuPct >= 40, seen);
      assert.match(usageSummaryText(u), /CPU 0\.\d of 0\.5 cores$/);
      assert.equal(openAtEnd, 0);
    } finally {
      backend.dispose();
    }
  });

  const tls = (): DaemonDescriptionInput => ({
    id: 'tls',
    host: need('DOCKER_TLS_HOST'),
    tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') },
  });
  const ssh = (): DaemonDescriptionInput => ({
    id: 'ssh',
    host: need('DOCKER_SSH_HOST'),
    ssh: { configFile: need('DOCKER_SSH_CONFIG') },
    timeoutMs: 20000,
  });
  const swarmNodes = (): DaemonDescriptionInput[] => [
    { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') },
    { id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') },
    { id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') },
  ];
  const backends: [string, Record<string, unknown>, () => ExecutionBackend][] = [
    ['socket', { daemon: 'local' }, () => new DockerDaemonBackend(createDaemonClient(local()), true)],
    ['TLS', { daemon: 'tls' }, () => new DockerDaemonBackend(createDaemonClient(tls()), true)],
    ['ssh', { daemon: 'ssh' }, () => new DockerDaemonBackend(createDaemonClient(ssh()), true)],
    [
      'pool (where the run landed)',
      { pool: ['tls'] },
      () => new PoolBackend({ name: 'pool-stats', daemons: [{ id: 'tls', daemon: tls() }] }),
    ],
    [
      'swarm (its node’s daemon)',
      { daemon: 'swarm-m', swarm: {} },
      () =>
        new DockerSwarmBackend(
          createDaemonClient(swarmNodes()[0]!),
          async () => swarmNodes().map((daemon) => ({ daemon, source: 'user' as const })),
          true,
        ),
    ],
  ];
  for (const [name, target, open] of backends)
    it(`samples on the ${name} back-end: memory against the 64 MiB limit, then no stream left open`, async () => {
      const backend = open();
      try {
        const opened = statsStreams.opened;
        const { outcome, samples, openAtEnd } = await sampledRun(
          backend,
          target,
          { file: 'wait.sh', text: 'sleep 4\n' },
          { memory: '64m' },
        );
        assert.equal(outcome.state, 'succeeded', outcome.message);
        assert.ok(samples.length >= 1, 'samples came');
        assert.equal(outcome.usage?.memLimitBytes, 64 * MiB);
        assert.ok(statsStreams.opened > opened);
        assert.equal(openAtEnd, 0);
      } finally {
        backend.dispose();
      }
    });

  describe('a daemon lost mid-run (the crash daemon of the testbed)', () => {
    let host = '';
    before(() => (host = startCrashDaemon()));
    after(() => stopCrashDaemon());

    it('SIGKILLed after the first sample: the run is daemon-lost, the sampling ends without a warning and no stream stays open', async () => {
      const backend = new DockerDaemonBackend(createDaemonClient({ id: 'crash', host, timeoutMs: 5000 }), true);
      let killed: Promise<void> | undefined;
      try {
        const { outcome, warnings, openAtEnd, samples } = await sampledRun(
          backend,
          { daemon: 'crash' },
          { file: 'long.sh', text: 'sleep 60\n' },
          { memory: '64m' },
          { onUsage: () => void (killed ??= killCrashDaemon()) },
        );
        await killed;
        assert.ok(samples.length >= 1, outcome.message);
        assert.equal(outcome.failure, 'daemon-lost', outcome.message);
        assert.deepEqual(
          warnings.filter((w) => /stats/i.test(w)),
          [],
        );
        assert.equal(openAtEnd, 0);
      } finally {
        backend.dispose();
        startCrashDaemon();
      }
    });
  });
});
