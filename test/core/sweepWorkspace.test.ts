// A sweep uploads the workspace once per daemon its trials land on (issue 27): archive PUTs counted by the
// daemons' own events; each trial still sees the workspace and its own writes, its outputs come back; the
// sweep's workspace images and seed containers are gone after it, succeeded, cancelled or failed. A swarm
// uploads per trial (its node is chosen after the service exists).
import * as assert from 'node:assert/strict';
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerDaemonBackend,
  DockerSwarmBackend,
  LABELS,
  PoolBackend,
  createDaemonClient,
  newRunId,
  workspaceLabel,
  type SweepResult,
  type TrialProgress,
} from '../../src/core';
import type { SweepJob } from '../support/sweepWindow';
import { TESTBED_DAEMONS, busyboxConfig, runTestSweep, type TestSweep } from '../support/sweeps';
import { need } from '../support/testbed';

/** How the Docker CLI reaches each daemon (a local socket; the extension's way is TESTBED_DAEMONS). */
const CLI_HOST: Record<string, string> = {
  local: 'DOCKER_LOCAL_HOST',
  tls: 'DOCKER_TLS_SOCK',
  tcp: 'DOCKER_TCP_SOCK',
  'swarm-m': 'DOCKER_SWARM_MANAGER_HOST',
  'swarm-w1': 'DOCKER_SWARM_WORKER1_HOST',
  'swarm-w2': 'DOCKER_SWARM_WORKER2_HOST',
  podman: 'PODMAN_HOST',
};
const daemon = (id: string) => TESTBED_DAEMONS[id]!();
const docker = (on: string, args: string[]) => execFileSync('docker', ['-H', need(CLI_HOST[on]!), ...args], { encoding: 'utf8' });
const lines = (s: string) => s.split('\n').filter(Boolean);

/** Writes into the workspace (its own notes.txt line), then copies what it sees into out/. */
const JOB = `mkdir -p out
echo "trial $SWEEP_TRIAL" >> notes.txt
cp notes.txt out/notes.txt
cp data.txt out/data.txt
sleep "\${SWEEP_SLEEP:-0}"
if [ "$SWEEP_FAIL" = "yes" ]; then exit 3; fi
`;

const configOf = (input: Record<string, unknown>) => busyboxConfig('sweep-ws-test', { resources: { memory: '32m' }, ...input });

/** A workspace with the job, data.txt and notes.txt (and `bigBytes` more in data/big.bin). */
function workspace(bigBytes?: number): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-sweep-ws-'));
  if (bigBytes) {
    fs.mkdirSync(path.join(ws, 'data'));
    fs.writeFileSync(path.join(ws, 'data', 'big.bin'), Buffer.alloc(bigBytes, 7));
  }
  fs.writeFileSync(path.join(ws, 'job.sh'), JOB);
  fs.writeFileSync(path.join(ws, 'data.txt'), 'the workspace\n');
  fs.writeFileSync(path.join(ws, 'notes.txt'), 'start\n');
  return ws;
}

interface Swept {
  result: SweepResult;
  ws: string;
  sweepId: string;
  since: string;
  until: string;
}

async function sweep(
  file: Record<string, unknown>,
  o: Omit<TestSweep, 'file' | 'request'> & {
    onStatus?: (text: string) => void;
    /** Extra workspace bytes (data/big.bin). */
    bigBytes?: number;
    uploadWarnBytes?: number;
  },
): Promise<Swept> {
  const ws = workspace(o.bigBytes);
  const sweepId = newRunId();
  // the daemons' clocks are this machine's: one second of margin either side
  const since = new Date(Date.now() - 1000).toISOString();
  const result = await runTestSweep(ws, sweepId, {
    ...o,
    file,
    request: { uploadWarnBytes: o.uploadWarnBytes },
    hooks: () => ({ onStatus: (text) => o.onStatus?.(text) }),
  });
  return { result, ws, sweepId, since, until: new Date(Date.now() + 1000).toISOString() };
}

/** The archive PUTs (`extract-to-dir` events) into this workspace's containers on daemon `on` during the sweep. */
const uploadsOn = (s: Swept, on: string) =>
  lines(
    docker(on, [
      'events',
      '--since',
      s.since,
      '--until',
      s.until,
      '--filter',
      'type=container',
      '--filter',
      'event=extract-to-dir',
      '--filter',
      `label=${LABELS.workspace}=${workspaceLabel(s.ws)}`,
      '--format',
      '{{.Actor.Attributes.name}}',
    ]),
  );

/** What the sweep could leave on `on`: its workspace's containers (trials, seeds) and its workspace images. */
const leftOn = (s: Swept, on: string) => [
  ...lines(docker(on, ['ps', '-a', '--filter', `label=${LABELS.workspace}=${workspaceLabel(s.ws)}`, '--format', 'container {{.Names}}'])),
  ...lines(docker(on, ['images', '--filter', `label=${LABELS.run}=${s.sweepId}`, '--format', 'image {{.Repository}}:{{.Tag}}'])),
  ...lines(
    docker(on, ['images', '--filter', `reference=container-exec-sweep:${s.sweepId}-*`, '--format', 'image {{.Repository}}:{{.Tag}}']),
  ),
];

const read = (t: TrialProgress, name: string) => fs.readFileSync(path.join(t.outputsDir, 'out', name), 'utf8');
const onDaemon = (id: string) => () => new DockerDaemonBackend(createDaemonClient(daemon(id)), true);
const poolOf = (ids: string[]) => {
  const spec = {
    name: `sweep-ws-${Math.random().toString(36).slice(2, 7)}`,
    daemons: ids.map((id) => ({ id, daemon: daemon(id) })),
  };
  return () => new PoolBackend(spec);
};

/** Every trial saw the workspace as uploaded plus its own write alone, and its outputs came back. */
function assertOwnWorkspace(result: SweepResult): void {
  for (const t of result.trials) {
    assert.equal(read(t, 'data.txt'), 'the workspace\n');
    assert.equal(read(t, 'notes.txt'), `start\ntrial ${t.trial.index}\n`, `trial ${t.trial.index} sees its own write alone`);
  }
}

describe('sweeps upload the workspace once per daemon (issue 27), on real daemons', function () {
  this.timeout(240000);

  it('one daemon: six trials, one workspace upload (archive PUTs counted by its events); each trial writes its own copy; nothing left', async () => {
    const s = await sweep(
      { matrix: { i: [1, 2, 3, 4, 5, 6] }, maxParallel: 3 },
      { config: configOf({ daemon: 'local' }), open: onDaemon('local') },
    );
    assert.equal(s.result.state, 'succeeded', s.result.message);
    assertOwnWorkspace(s.result);
    const uploads = uploadsOn(s, 'local');
    assert.equal(uploads.length, 1, `archive PUTs on local: ${uploads.join(', ')}`);
    assert.deepEqual(leftOn(s, 'local'), []);
  });

  it('a pool of three daemons: one workspace upload per daemon the trials landed on, not one per trial; nothing left on any', async () => {
    const ids = ['local', 'tcp', 'tls'];
    const s = await sweep(
      { matrix: { i: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, maxParallel: 6 },
      { config: configOf({ pool: ids }), open: poolOf(ids) },
    );
    assert.equal(s.result.state, 'succeeded', s.result.message);
    assertOwnWorkspace(s.result);
    const landed = new Set(s.result.trials.map((t) => t.placement!.daemon));
    assert.ok(landed.size >= 2, `the trials spread: ${[...landed].join(', ')}`);
    for (const on of ids) {
      const uploads = uploadsOn(s, on);
      assert.equal(uploads.length, landed.has(on) ? 1 : 0, `archive PUTs on ${on}: ${uploads.join(', ')}`);
      assert.deepEqual(leftOn(s, on), [], on);
    }
  });

  it('a pool of Docker and Podman: the workspace image is made once on each (Podman commits too), every trial starts from it with its own copy; nothing left on either', async () => {
    const ids = ['local', 'podman'];
    const statuses: string[] = [];
    const s = await sweep(
      { matrix: { i: [1, 2, 3, 4, 5, 6] }, maxParallel: 6 },
      { config: configOf({ pool: ids }), open: poolOf(ids), onStatus: (t) => statuses.push(t) },
    );
    assert.equal(s.result.state, 'succeeded', s.result.message);
    assertOwnWorkspace(s.result);
    const landed = s.result.trials.map((t) => t.placement!.daemon);
    assert.deepEqual([...new Set(landed)].sort(), ids, 'the trials landed on both');
    for (const on of ids) {
      const made = statuses.filter((t) => t.startsWith(`Uploading the workspace once for the sweep's trials on daemon "${on}"`));
      const shared = statuses.filter((t) => t.endsWith(`(the image shared on daemon "${on}")`));
      assert.equal(made.length, 1, `one workspace image on ${on}: ${made.join(' | ')}`);
      assert.equal(shared.length, landed.filter((d) => d === on).length, `each trial on ${on} started from it`);
      assert.deepEqual(leftOn(s, on), [], on);
    }
  });

  it('cancel of a pool sweep mid-run leaves no container, seed or workspace image on any daemon', async () => {
    const ids = ['local', 'tcp'];
    const cancel = new AbortController();
    const running = new Set<number>();
    const s = await sweep(
      { matrix: { i: [1, 2, 3, 4, 5, 6], sleep: [30] }, maxParallel: 4 },
      {
        config: configOf({ pool: ids }),
        open: poolOf(ids),
        signal: cancel.signal,
        onTrial: (t) => {
          if (t.state === 'running' && t.containerId) running.add(t.trial.index);
          if (running.size === 4 && !cancel.signal.aborted) cancel.abort();
        },
      },
    );
    assert.equal(s.result.state, 'cancelled', s.result.message);
    assert.equal(running.size, 4, 'four trials were running when cancelled');
    for (const on of ids) assert.deepEqual(leftOn(s, on), [], on);
  });

  it('cancel while the first trial uploads the workspace into its seed leaves no seed container nor image', async () => {
    const cancel = new AbortController();
    const s = await sweep(
      { matrix: { i: [1, 2, 3] }, maxParallel: 3 },
      {
        config: configOf({ daemon: 'local' }),
        open: onDaemon('local'),
        signal: cancel.signal,
        bigBytes: 100e6,
        onStatus: (text) => /^Uploading \d+ files/.test(text) && cancel.abort(),
      },
    );
    assert.ok(cancel.signal.aborted, 'the upload into the seed was seen');
    assert.equal(s.result.state, 'cancelled', s.result.message);
    assert.deepEqual(
      s.result.trials.map((t) => t.containerId),
      [undefined, undefined, undefined],
      'no trial container was made',
    );
    assert.deepEqual(leftOn(s, 'local'), []);
    fs.rmSync(s.ws, { recursive: true, force: true });
  });

  it('a workspace past containerExec.uploadWarnMB is said once per sweep (not per trial, not never)', async () => {
    const warnings: string[] = [];
    const s = await sweep(
      { matrix: { i: [1, 2, 3] }, maxParallel: 3 },
      {
        config: configOf({ daemon: 'local' }),
        open: onDaemon('local'),
        bigBytes: 2e6,
        uploadWarnBytes: 1e6,
        onWarning: (w) => warnings.push(w),
      },
    );
    assert.equal(s.result.state, 'succeeded', s.result.message);
    assert.equal(warnings.filter((w) => w.includes('containerExec.uploadWarnMB')).length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /^Uploading 2\.0 MB \(4 files\) from /);
    assert.deepEqual(leftOn(s, 'local'), []);
  });

  it('failFast: the sweep that failed leaves no container, seed or workspace image', async () => {
    const s = await sweep(
      { matrix: { fail: ['no', 'yes', 'no', 'no'] }, maxParallel: 2, failFast: true },
      { config: configOf({ daemon: 'tcp' }), open: onDaemon('tcp') },
    );
    assert.equal(s.result.state, 'failed', s.result.message);
    assert.equal(s.result.trials[1]!.outcome?.exitCode, 3);
    assert.deepEqual(leftOn(s, 'tcp'), []);
  });

  it('a swarm uploads per trial (its node is chosen after the service exists): the trials succeed with their own workspace, no image is made', async () => {
    const nodes = ['swarm-m', 'swarm-w1', 'swarm-w2'];
    const open = () =>
      new DockerSwarmBackend(
        createDaemonClient(daemon('swarm-m')),
        async () => nodes.map((id) => ({ daemon: daemon(id), source: 'user' as const })),
        true,
      );
    const s = await sweep({ matrix: { i: [1, 2, 3] }, maxParallel: 3 }, { config: configOf({ daemon: 'swarm-m', swarm: {} }), open });
    assert.equal(s.result.state, 'succeeded', s.result.message);
    assertOwnWorkspace(s.result);
    const uploads = nodes.flatMap((on) => uploadsOn(s, on));
    assert.equal(uploads.length, 3, `archive PUTs over the nodes: ${uploads.join(', ')}`);
    for (const on of nodes) assert.deepEqual(leftOn(s, on), [], on);
  });
});

describe('a sweep abandoned with its window (issue 27): nothing left behind', function () {
  this.timeout(180000);

  it('a window SIGKILLed mid-sweep leaves its trial containers and workspace images: the lost-run cleanup finds both by the workspace label and removes them', async () => {
    const ids = ['local', 'tcp'];
    const ws = workspace();
    const s = { ws, sweepId: newRunId() } as Swept;
    const child = fork(path.join(__dirname, '../support/sweepWindow.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.on('message', (m: { ready?: boolean; running?: number[]; error?: string; ended?: boolean }) => {
          if (m.ready)
            child.send({
              sweepId: s.sweepId,
              workspaceDir: ws,
              daemons: ids.map((id) => daemon(id)),
              file: { matrix: { i: [1, 2, 3, 4], sleep: [60] }, maxParallel: 4 },
            } satisfies SweepJob);
          else if (m.running?.length === 4) resolve();
          else if (m.error || m.ended) reject(new Error(m.error ?? 'the sweep ended before its window was killed'));
        });
      });
      child.kill('SIGKILL');
      await exited;
      const left = ids.flatMap((on) => leftOn(s, on));
      assert.equal(left.filter((l) => l.startsWith('container ')).length, 4, left.join(', '));
      assert.ok(
        left.some((l) => l.startsWith('image ')),
        `the sweep's workspace images stay: ${left.join(', ')}`,
      );
      // what the extension does when it finds them (offerLostRunCleanup): each daemon's lost leftovers of this workspace, removed
      for (const on of ids) {
        const backend = onDaemon(on)();
        try {
          for (const l of await backend.findLost(ws, new Set())) await backend.removeLost(l);
        } finally {
          backend.dispose();
        }
        assert.deepEqual(leftOn(s, on), [], on);
      }
    } finally {
      child.kill('SIGKILL');
      // what a failed test left (never others'): this sweep's containers and images
      for (const on of ids)
        for (const l of new Set(leftOn(s, on))) {
          try {
            docker(on, [l.startsWith('image ') ? 'rmi' : 'rm', '-f', l.slice(l.indexOf(' ') + 1)]);
          } catch {
            // gone with its container
          }
        }
    }
  });
});
