// A daemon that vanishes mid-call: SIGKILLed (a crash: nothing ends the requests gracefully) or stopped.
// On the throwaway crash daemon of the testbed only: others test against the shared ones meanwhile.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  LABELS,
  buildImage,
  createDaemonClient,
  findLostRunContainers,
  listContainers,
  newRunId,
  packContext,
  removeContainer,
  runRecipe,
  validateConfiguration,
  type BuildLine,
  type DaemonDescriptionInput,
  type RunOutcome,
} from '../../src/core';
import { killCrashDaemon, need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';

const HEARTBEAT_MS = 500;
// container starts take 2-3 s on this loaded 2-core machine; a dead daemon's pings fail at once anyway
const TIMEOUT_MS = 5000;
/** Two missed pings, each up to the daemon's deadline, and some slack for a loaded machine. */
const DEADLINE_MS = HEARTBEAT_MS * 3 + TIMEOUT_MS;

/** Runs a sh recipe on busybox; `onStarted` is called once, when the recipe's first output arrives. */
async function runOn(
  daemon: DaemonDescriptionInput,
  recipe: string,
  onStarted: () => void,
): Promise<{ outcome: RunOutcome; ws: string; id: string; stdout: string }> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-lost-'));
  fs.writeFileSync(path.join(ws, 'recipe.sh'), recipe);
  const r = validateConfiguration({ name: 'lost-test', daemon: daemon.id, baseImage: need('BUSYBOX_IMAGE') });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const client = createDaemonClient(daemon);
  let stdout = '';
  try {
    const outcome = await runRecipe(
      new DockerDaemonBackend(client),
      {
        id,
        recipe: 'recipe.sh',
        config: r.config,
        image: need('BUSYBOX_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, '.container-exec', 'runs', id),
        groups: ['root'],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 1,
        heartbeatMs: HEARTBEAT_MS,
        extensionVersion: '9.9.9-test',
      },
      {
        signal: new AbortController().signal,
        onOutput: (chunk) => {
          if (!stdout) onStarted();
          stdout += chunk.toString();
        },
        onStatus: () => undefined,
        onWarning: () => undefined,
      },
    );
    return { outcome, ws, id, stdout };
  } finally {
    client.dispose();
  }
}

describe('a daemon that vanishes mid-call (the crash daemon of the testbed)', function () {
  this.timeout(90000);
  let host = '';
  const crash = (): DaemonDescriptionInput => ({ id: 'crash', host, timeoutMs: TIMEOUT_MS });
  before(() => (host = startCrashDaemon()));
  after(() => stopCrashDaemon());

  /** Kills the daemon when the recipe has started; resolves with the moment it was dead. */
  const killWhenStarted = () => {
    let killed: Promise<number> | undefined;
    return {
      onStarted: () => (killed ??= killCrashDaemon().then(() => Date.now())),
      killed: () => killed ?? Promise.reject(new Error('the recipe never started')),
    };
  };

  /** After the daemon is back: the run's container is found by its labels and removed. */
  async function cleanUpLostRun(ws: string, id: string) {
    startCrashDaemon();
    const client = createDaemonClient(crash());
    try {
      const lost = await findLostRunContainers(client, ws, new Set());
      const mine = lost.filter((c) => c.labels[LABELS.run] === id);
      assert.equal(mine.length, 1, JSON.stringify(lost.map((c) => c.labels)));
      await removeContainer(client, mine[0]!.id);
      assert.deepEqual(
        (await listContainers(client)).filter((c) => c.labels[LABELS.run] === id),
        [],
      );
    } finally {
      client.dispose();
    }
  }

  it('SIGKILLed mid-run: the run fails as daemon-lost within the heartbeat deadline; its container is found by label when the daemon is back', async () => {
    const kill = killWhenStarted();
    const r = await runOn(crash(), 'trap "exit 143" TERM\necho started\nsleep 60 &\nwait\n', kill.onStarted);
    assert.equal(r.outcome.failure, 'daemon-lost', r.outcome.message);
    const failedAfter = Date.now() - (await kill.killed());
    assert.ok(r.outcome.lost);
    assert.equal(r.stdout, 'started\n');
    assert.ok(failedAfter < DEADLINE_MS, `failed ${failedAfter} ms after the kill (deadline ${DEADLINE_MS} ms)`);
    assert.match(
      r.outcome.message,
      new RegExp(
        `Daemon "crash" \\(${host.replace(/[/.]/g, '\\$&')}\\) stopped answering mid-run: .*its container will be offered for cleanup`,
      ),
    );
    await cleanUpLostRun(r.ws, r.id);
  });

  it('stopped mid-run (gracefully: it stops its containers first): the run ends within the deadline, daemon-lost (its container found when the daemon is back) or killed (137)', async () => {
    let stopAt = 0;
    let stopped: Promise<void> | undefined;
    const r = await runOn(crash(), "trap '' TERM\necho started\nsleep 60\n", () => {
      stopAt = Date.now();
      stopped = stopCrashDaemon();
    });
    const failedAfter = Date.now() - stopAt;
    await stopped;
    // dockerd answers while it shuts down and SIGKILLs the container that ignores SIGTERM after
    // --shutdown-timeout 5: the wait may answer 137 before the API goes, else the pings fail first
    const killed = r.outcome.failure === 'exit' && r.outcome.exitCode === 137;
    assert.ok(r.outcome.failure === 'daemon-lost' || killed, r.outcome.message);
    assert.equal(!!r.outcome.lost, !killed, r.outcome.message);
    assert.ok(failedAfter < 15000, `failed ${failedAfter} ms after the stop began`);
    if (r.outcome.lost) await cleanUpLostRun(r.ws, r.id);
    else startCrashDaemon();
  });

  it('stopped mid-build (gracefully): the build fails at once, it does not hang', async () => {
    startCrashDaemon();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-stop-build-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${need('BUSYBOX_IMAGE')}\nRUN echo building && sleep 60\n`);
    const client = createDaemonClient(crash());
    const packed = await packContext(dir);
    let stopAt = 0;
    let stopped: Promise<void> | undefined;
    try {
      const e = await buildImage(client, packed.stream, {
        tag: 'local/ce-stopped:1',
        labels: {},
        signal: new AbortController().signal,
        heartbeatMs: HEARTBEAT_MS,
        onLine: (l) => {
          if (l.text !== 'building' || stopped) return;
          stopAt = Date.now();
          stopped = stopCrashDaemon();
        },
      }).then(
        () => assert.fail('the build cannot succeed'),
        (err: Error) => err,
      );
      const failedAfter = Date.now() - stopAt;
      // dockerd answers pings while it shuts down, and waits (--shutdown-timeout 5) for the RUN that ignores SIGTERM
      assert.ok(failedAfter < 15000, `failed ${failedAfter} ms after the stop began`);
      // dockerd kills the RUN as it shuts down and may say so in the stream, or its API goes first
      assert.match(e.message, new RegExp(`returned a non-zero code: 137|${host.replace(/[/.]/g, '\\$&')}`), e.message);
    } finally {
      await stopped;
      packed.stream.destroy();
      client.dispose();
    }
  });

  it('SIGKILLed mid-build (RUN sleep 60): the build fails within the deadline, naming the daemon', async () => {
    startCrashDaemon();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-lost-build-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${need('BUSYBOX_IMAGE')}\nRUN echo building && sleep 60\n`);
    const client = createDaemonClient(crash());
    const packed = await packContext(dir);
    const kill = killWhenStarted();
    const lines: BuildLine[] = [];
    try {
      const e = await buildImage(client, packed.stream, {
        tag: 'local/ce-crashed:1',
        labels: {},
        signal: new AbortController().signal,
        heartbeatMs: HEARTBEAT_MS,
        onLine: (l) => {
          lines.push(l);
          if (l.text === 'building') kill.onStarted();
        },
      }).then(
        () => assert.fail('the build cannot succeed'),
        (err: Error) => err,
      );
      const failedAfter = Date.now() - (await kill.killed());
      assert.ok(failedAfter < DEADLINE_MS, `failed ${failedAfter} ms after the kill (deadline ${DEADLINE_MS} ms)`);
      assert.match(e.message, new RegExp(`${host.replace(/[/.]/g, '\\$&')}`), e.message);
      assert.match(e.message, /the build stream from .* was cut before its end|stopped answering during the build/);
      assert.ok(
        lines.some((l) => l.kind === 'step'),
        JSON.stringify(lines),
      );
    } finally {
      packed.stream.destroy();
      client.dispose();
    }
    startCrashDaemon(); // the next test (or `testbed.sh stop`) finds it running, its build container stopped
  });
});
