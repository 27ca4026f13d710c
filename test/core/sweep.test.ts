// Sweeps on the testbed's real daemons: the trials a matrix gives, with their arguments and environment;
// maxParallel, fail-fast, cancel (nothing left), retries after a daemon lost mid-trial, a pool's spread, metrics.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerDaemonBackend,
  LABELS,
  PoolBackend,
  createDaemonClient,
  listContainers,
  newRunId,
  workspaceLabel,
  type DaemonDescriptionInput,
  type ExecutionBackend,
  type SweepResult,
  type TrialProgress,
} from '../../src/core';
import { TESTBED_DAEMONS, busyboxConfig, runTestSweep } from '../support/sweeps';
import { killCrashDaemon, startCrashDaemon, stopCrashDaemon } from '../support/testbed';

const daemons: Record<string, () => DaemonDescriptionInput> = { ...TESTBED_DAEMONS };

/** Writes its arguments, SWEEP_* and its start and end (the host's uptime: one clock for every container) into out/, then metrics.json. */
const JOB = `mkdir -p out
s=$(cut -d' ' -f1 /proc/uptime)
echo started > out/started.txt
if [ "$SWEEP_FAIL" = "yes" ]; then exit 3; fi
sleep "\${SWEEP_SLEEP:-1}"
e=$(cut -d' ' -f1 /proc/uptime)
printf '%s\\n' "$@" > out/args.txt
env | grep '^SWEEP_' | sort > out/env.txt
echo "{\\"start\\": $s, \\"end\\": $e, \\"score\\": $SWEEP_TRIAL, \\"name\\": \\"x\\"}" > out/metrics.json
`;

interface Swept {
  result: SweepResult;
  ws: string;
  sweepId: string;
  /** Containers of this sweep on the daemons asked, most at once (polled while it ran). */
  maxContainers: number;
}

const configOf = (input: Record<string, unknown>) => busyboxConfig('sweep-test', { resources: { memory: '32m', cpus: 0.1 }, ...input });

/** This workspace's containers on `on` (every run container carries its workspace label). */
async function containersOf(ws: string, on: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const d of on) {
    const client = createDaemonClient(daemons[d]!());
    try {
      for (const c of await listContainers(client)) if (c.labels[LABELS.workspace] === workspaceLabel(ws)) found.push(`${d}:${c.name}`);
    } finally {
      client.dispose();
    }
  }
  return found;
}

async function sweep(
  file: Record<string, unknown>,
  o: {
    config: ReturnType<typeof configOf>;
    open: () => ExecutionBackend;
    watch?: string[];
    signal?: AbortSignal;
    onTrial?: (t: TrialProgress) => void;
    script?: string;
  },
): Promise<Swept> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-sweep-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), o.script ?? JOB);
  const sweepId = newRunId();
  let maxContainers = 0;
  let polling = true;
  const poll = (async () => {
    while (polling && o.watch) {
      maxContainers = Math.max(maxContainers, (await containersOf(ws, o.watch)).length);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const result = await runTestSweep(ws, sweepId, { file, ...o });
    return { result, ws, sweepId, maxContainers };
  } finally {
    polling = false;
    await poll;
  }
}

const onDaemon = (id: string) => () => new DockerDaemonBackend(createDaemonClient(daemons[id]!()), true);
const read = (t: TrialProgress, name: string) => fs.readFileSync(path.join(t.outputsDir, 'out', name), 'utf8');
/** Pairs of trials whose recipes overlapped in time (from the timestamps they wrote). */
const overlapsAt = (ts: TrialProgress[]) => {
  const spans = ts.map((t) => t.metrics!.values).map((m) => [m.start!, m.end!] as const);
  return spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length);
};

describe('sweeps on real daemons', function () {
  this.timeout(180000);

  it('a 2×3 matrix with an exclude and an include runs exactly the expected trials, with their arguments, SWEEP_* environment and metrics', async () => {
    const { result, ws } = await sweep(
      {
        matrix: {
          opt: ['sgd', 'adam'],
          lr: [1, 2, 3],
          exclude: [{ opt: 'adam', lr: 3 }],
          include: [
            { opt: 'sgd', lr: 1, momentum: 0.9 },
            { opt: 'rmsprop', lr: 5 },
          ],
        },
        args: ['--opt', '${opt}', '--lr=${lr}'],
        maxParallel: 3,
      },
      { config: configOf({ daemon: 'local' }), open: onDaemon('local') },
    );
    assert.equal(result.state, 'succeeded', result.message);
    const seen = result.trials.map((t) => read(t, 'args.txt').trim().split('\n').join(' '));
    assert.deepEqual(seen, [
      '--opt sgd --lr=1',
      '--opt sgd --lr=2',
      '--opt sgd --lr=3',
      '--opt adam --lr=1',
      '--opt adam --lr=2',
      '--opt rmsprop --lr=5',
    ]);
    const env0 = read(result.trials[0]!, 'env.txt').trim().split('\n');
    assert.deepEqual(
      env0.filter((l) => !l.startsWith('SWEEP_ID=')),
      ['SWEEP_LR=1', 'SWEEP_MOMENTUM=0.9', 'SWEEP_OPT=sgd', 'SWEEP_TRIAL=0'],
    );
    assert.ok(env0.includes(`SWEEP_ID=${result.trials[0]!.trial.env.SWEEP_ID}`));
    assert.match(read(result.trials[5]!, 'env.txt'), /^SWEEP_TRIAL=5$/m);
    // metrics: the flat numbers of out/metrics.json, a string left out with a note
    assert.deepEqual(
      result.trials.map((t) => t.metrics?.values.score),
      [0, 1, 2, 3, 4, 5],
    );
    assert.match(result.trials[0]!.metrics!.note ?? '', /left out: name/);
    assert.equal(new Set(result.trials.map((t) => t.runId)).size, 6, 'each trial a run of its own');
    assert.deepEqual(await containersOf(ws, ['local']), []);
  });

  it('maxParallel 2 never has more than two trials at once: on the daemon (containers counted) and inside (timestamps)', async () => {
    const { result, ws, maxContainers } = await sweep(
      { matrix: { i: [1, 2, 3, 4, 5] }, maxParallel: 2 },
      { config: configOf({ daemon: 'local' }), open: onDaemon('local'), watch: ['local'] },
    );
    assert.equal(result.state, 'succeeded', result.message);
    assert.ok(maxContainers >= 1 && maxContainers <= 2, `containers at once: ${maxContainers}`);
    const overlaps = overlapsAt(result.trials);
    assert.ok(Math.max(...overlaps) <= 2, `recipes overlapping: ${overlaps.join(', ')}`);
    assert.equal(Math.max(...overlaps), 2, `two at once did run: ${overlaps.join(', ')}`);
    assert.deepEqual(await containersOf(ws, ['local']), []);
  });

  it('failFast: the first failure cancels the running trials and the queued ones never start; nothing is left', async () => {
    const { result, ws } = await sweep(
      { matrix: { fail: ['no', 'yes', 'no', 'no', 'no'], include: [{ sleep: 20 }] }, maxParallel: 2, failFast: true },
      { config: configOf({ daemon: 'local' }), open: onDaemon('local') },
    );
    assert.equal(result.state, 'failed', result.message);
    assert.deepEqual(
      result.trials.map((t) => t.state),
      ['cancelled', 'failed', 'cancelled', 'cancelled', 'cancelled'],
    );
    assert.equal(result.trials[1]!.outcome?.exitCode, 3);
    // the running one was stopped (its outputs still came back); the queued ones never had a container
    assert.equal(read(result.trials[0]!, 'started.txt'), 'started\n');
    for (const t of result.trials.slice(2)) {
      assert.equal(t.containerId, undefined);
      assert.match(t.message ?? '', /^Not started: the sweep stopped after 1 failed trial \(failFast\)/);
    }
    assert.match(result.message, /1 failed, 4 cancelled of 5 trials/);
    assert.deepEqual(await containersOf(ws, ['local']), []);
  });

  it('cancel of the whole sweep: running trials stop (outputs come back), queued ones never start, no container is left', async () => {
    const cancel = new AbortController();
    const running = new Set<number>();
    const { result, ws } = await sweep(
      { matrix: { i: [1, 2, 3, 4], include: [{ sleep: 30 }] }, maxParallel: 2 },
      {
        config: configOf({ daemon: 'local' }),
        open: onDaemon('local'),
        signal: cancel.signal,
        onTrial: (t) => {
          if (t.state === 'running' && t.containerId) running.add(t.trial.index);
          if (running.size === 2 && !cancel.signal.aborted) setTimeout(() => cancel.abort(), 1000);
        },
      },
    );
    assert.equal(result.state, 'cancelled', result.message);
    assert.deepEqual(
      result.trials.map((t) => t.state),
      ['cancelled', 'cancelled', 'cancelled', 'cancelled'],
    );
    assert.equal(read(result.trials[0]!, 'started.txt'), 'started\n');
    assert.equal(result.trials[3]!.containerId, undefined);
    assert.deepEqual(await containersOf(ws, ['local']), []);
  });

  it('on a pool the trials spread over both daemons, and nothing is left on either', async () => {
    const name = `sweep-pool-${Math.random().toString(36).slice(2, 7)}`;
    const pool = { name, daemons: ['local', 'tls'].map((id) => ({ id, daemon: daemons[id]!() })) };
    const { result, ws } = await sweep(
      { matrix: { i: [1, 2, 3, 4] }, maxParallel: 4 },
      { config: configOf({ pool: ['local', 'tls'] }), open: () => new PoolBackend(pool) },
    );
    assert.equal(result.state, 'succeeded', result.message);
    const on = new Set(result.trials.map((t) => t.placement?.daemon));
    assert.deepEqual([...on].sort(), ['local', 'tls'], result.trials.map((t) => t.placement?.reason).join('\n'));
    assert.deepEqual(await containersOf(ws, ['local', 'tls']), []);
  });

  it("six trials at once on a pool of three: no MaxListenersExceededWarning (each attempt observes a signal of its own), the caller's signal holds one listener", async () => {
    const ids = ['local', 'tls', 'tcp'];
    // deadlines for a loaded machine: six containers start at once
    const pool = {
      name: `sweep-listeners-${Math.random().toString(36).slice(2, 7)}`,
      daemons: ids.map((id) => ({ id, daemon: { ...daemons[id]!(), timeoutMs: 30000 } })),
    };
    const warned: string[] = [];
    const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warned.push(w.message));
    process.on('warning', onWarning);
    const cancel = new AbortController();
    let most = 0;
    try {
      const { result, ws } = await sweep(
        { matrix: { i: [1, 2, 3, 4, 5, 6] }, maxParallel: 6 },
        {
          config: configOf({ pool: ids }),
          open: () => new PoolBackend(pool),
          signal: cancel.signal,
          onTrial: () => (most = Math.max(most, getEventListeners(cancel.signal, 'abort').length)),
        },
      );
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      assert.equal(result.state, 'succeeded', result.trials.map((t) => t.message).join('\n'));
      assert.deepEqual(warned, []);
      assert.equal(most, 1);
      assert.equal(getEventListeners(cancel.signal, 'abort').length, 0);
      assert.deepEqual(await containersOf(ws, ids), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe("sweeps: a retry's placement avoids the daemon that lost the trial's attempt", function () {
  this.timeout(60000);
  const placed = async (ids: string[], config: Record<string, unknown>, avoid: string[]) => {
    const pool = new PoolBackend({
      name: `sweep-avoid-${Math.random().toString(36).slice(2, 7)}`,
      daemons: ids.map((id) => ({ id, daemon: daemons[id]!() })),
    });
    try {
      const cap = await pool.probe(configOf({ pool: ids, ...config }), {
        signal: new AbortController().signal,
        avoid: { daemons: avoid, why: 'lost there' },
      });
      assert.deepEqual(cap.errors, []);
      return pool.placement!;
    } finally {
      pool.dispose(); // releases its place: nothing was created
    }
  };

  it('another daemon of the pool can run it: placed there, the reason says why not on the avoided one', async () => {
    for (const avoid of ['local', 'tls']) {
      const p = await placed(['local', 'tls'], {}, [avoid]);
      assert.equal(p.daemon, avoid === 'local' ? 'tls' : 'local', p.reason);
      assert.match(p.reason, new RegExp(`^not on daemon "${avoid}" \\(lost there\\); `));
    }
  });

  it('only the avoided daemon can run it (runtime "fake" is on tcp alone): placed there all the same', async () => {
    const p = await placed(['local', 'tcp'], { runtime: 'fake' }, ['tcp']);
    assert.equal(p.daemon, 'tcp', p.reason);
    assert.doesNotMatch(p.reason, /not on daemon/);
  });
});

describe('sweeps: a retry after a daemon SIGKILLed mid-trial (the crash daemon of the testbed)', function () {
  this.timeout(180000);
  let host = '';
  before(() => (host = startCrashDaemon()));
  after(() => stopCrashDaemon());

  it('the lost trial is placed again on the other daemon of the pool and succeeds, even when the lost daemon is back by then (restarted: it would be the least loaded); its first run is marked lost', async () => {
    daemons.crash = () => ({ id: 'crash', host, timeoutMs: 5000 });
    const name = `sweep-retry-${Math.random().toString(36).slice(2, 7)}`;
    const pool = { name, daemons: ['crash', 'tcp'].map((id) => ({ id, daemon: daemons[id]!() })) };
    let killed = false;
    let restarted = false;
    const attempts: { attempt: number; runId: string; failure?: string; lost?: boolean }[] = [];
    const { result, ws, sweepId } = await sweep(
      { matrix: { i: [1], include: [{ sleep: 8 }] }, retries: 1 },
      {
        config: configOf({ pool: ['crash', 'tcp'] }),
        open: () => new PoolBackend(pool),
        onTrial: (t) => {
          if (t.outcome) attempts.push({ attempt: t.attempt, runId: t.runId, failure: t.outcome.failure, lost: t.outcome.lost });
          // back up before the retry is placed (a dockerd its service manager restarts): idle, it is the least loaded of the two
          if (t.outcome?.lost && !restarted) {
            restarted = true;
            startCrashDaemon();
          }
          // the crash daemon runs nothing and ties keep the pool's order: the first attempt lands there
          if (!killed && t.state === 'running' && t.containerId && t.placement?.daemon === 'crash') {
            killed = true;
            void killCrashDaemon();
          }
        },
      },
    );
    assert.ok(killed, 'the first attempt ran on the crash daemon');
    const t = result.trials[0]!;
    assert.equal(result.state, 'succeeded', result.message);
    assert.equal(t.attempt, 1);
    assert.deepEqual({ ...attempts[0], runId: undefined }, { attempt: 0, runId: undefined, failure: 'daemon-lost', lost: true });
    assert.equal(t.placement?.daemon, 'tcp', t.placement?.reason);
    assert.match(t.placement?.reason ?? '', /^not on daemon "crash" \(an earlier attempt of this trial was lost there\); /);
    assert.equal(t.metrics?.values.score, 0);
    assert.deepEqual(await containersOf(ws, ['tcp']), []);
    // the lost attempt's container stays on the crash daemon, and so does the workspace image it was made from (the
    // sweep's end could not remove it): the lost-run cleanup finds both by the workspace label and removes them
    assert.ok(restarted);
    const crash = onDaemon('crash')();
    try {
      const lost = await crash.findLost(ws, new Set());
      const sweepImage = `container-exec-sweep:${sweepId}-1`;
      assert.deepEqual(lost.map((l) => (l.image ? `image ${l.name}` : `container of run ${l.runId}`)).sort(), [
        `container of run ${attempts[0]!.runId}`,
        `image ${sweepImage}`,
      ]);
      for (const l of lost) await crash.removeLost(l);
      const cli = (args: string[]) => execFileSync('docker', ['-H', host, ...args], { encoding: 'utf8' }).trim();
      assert.equal(cli(['ps', '-a', '-q', '--filter', `label=${LABELS.workspace}=${workspaceLabel(ws)}`]), '');
      assert.equal(cli(['images', '-q', sweepImage]), '');
    } finally {
      crash.dispose();
    }
  });
});
