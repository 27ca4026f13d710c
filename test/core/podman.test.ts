// Podman's Docker-compatible API (the testbed's rootful Podman 4.3.1), reached like any daemon: what works
// as on Docker, and the differences the core handles (engine name, exec resize, stats pace, GPU/runtime refusals).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DockerDaemonBackend,
  DaemonHub,
  DaemonUsageSampler,
  DockerSwarmBackend,
  PoolBackend,
  LABELS,
  buildImage,
  createDaemonClient,
  discoverDaemons,
  daemonUsageText,
  discoverPodmanConnections,
  parseConnectionsJson,
  parseContainersConfConnections,
  podmanConnectionFiles,
  engineCallStats,
  followContainerLogs,
  followEvents,
  listContainers,
  listImages,
  newRunId,
  parseDaemonDescription,
  planBaseImage,
  planContext,
  podmanDaemonsFromEnvironment,
  removeContainer,
  removeImage,
  scanWorkspace,
  runRecipe,
  statsStreams,
  validateConfiguration,
  DaemonClient,
  type DaemonDescriptionInput,
  type DaemonUsageTotals,
  type EngineEvent,
  type RunOutcome,
  type UsageSample,
} from '../../src/core';
import { explainSshFailure } from '../../src/core/sshTransport';
import { backendContract } from '../support/backendContract';
import { testRunRequest, runContainersOn } from '../support/runs';
import { need, podmanBusyboxImage, podmanHost, podmanPythonImage } from '../support/testbed';
import { until } from '../support/until';

const daemon = () => ({ id: 'podman', host: podmanHost() });

/** A recipe run through the driver on the Podman daemon; its outcome, output, samples and the workspace. */
async function podmanRun(
  recipe: { file: string; text: string },
  input: Record<string, unknown>,
  opts: {
    image?: string;
    signal?: AbortSignal;
    onOutput?: (t: string, ws: string) => void;
    runId?: string;
    keep?: boolean;
    files?: Record<string, string>;
    client?: DaemonClient;
  } = {},
) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-podman-'));
  for (const [file, text] of Object.entries({ ...opts.files, [recipe.file]: recipe.text })) {
    fs.mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
    fs.writeFileSync(path.join(ws, file), text);
  }
  const image = opts.image ?? podmanPythonImage();
  const r = validateConfiguration({ name: 'podman-test', daemon: 'podman', baseImage: image, ...input });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = opts.runId ?? newRunId();
  const backend = new DockerDaemonBackend(opts.client ?? createDaemonClient(daemon()), true);
  let stdout = '';
  const samples: UsageSample[] = [];
  const warnings: string[] = [];
  const outputsDir = path.join(ws, '.container-exec', 'runs', id);
  try {
    const outcome: RunOutcome = await runRecipe(
      backend,
      testRunRequest({ id, recipe: recipe.file, config: r.config, image, workspaceDir: ws, outputsDir, keepContainer: opts.keep }),
      {
        signal: opts.signal ?? new AbortController().signal,
        onOutput: (chunk, stream) => {
          if (stream !== 'stdout') return;
          stdout += chunk.toString();
          opts.onOutput?.(chunk.toString(), ws);
        },
        onStatus: () => undefined,
        onWarning: (w) => warnings.push(w),
        onUsage: (s) => samples.push(s),
      },
    );
    return { outcome, stdout, samples, warnings, ws, outputsDir, id };
  } finally {
    backend.dispose();
  }
}

const runContainers = (runId: string) => runContainersOn(daemon(), runId);

describe('Podman discovery (pure: an environment and the files that exist)', () => {
  it('CONTAINER_HOST (unix://, tcp:// or ssh:// with CONTAINER_SSHKEY), then the rootful and rootless sockets when they exist, each host once; a bad one is a problem naming it', () => {
    const files = new Set(['/run/podman/podman.sock', '/run/user/1000/podman/podman.sock']);
    const found = podmanDaemonsFromEnvironment({ XDG_RUNTIME_DIR: '/run/user/1000' }, (f) => files.has(f));
    assert.deepEqual(
      found.daemons.map((d) => [d.id, d.host]),
      [
        ['podman', 'unix:///run/podman/podman.sock'],
        ['podman-user', 'unix:///run/user/1000/podman/podman.sock'],
      ],
    );
    const env = podmanDaemonsFromEnvironment({ CONTAINER_HOST: 'unix:///run/podman/podman.sock' }, (f) => files.has(f));
    assert.deepEqual(
      env.daemons.map((d) => [d.id, d.host]),
      [['podman', 'unix:///run/podman/podman.sock']],
    );
    assert.deepEqual(
      podmanDaemonsFromEnvironment({}, () => false),
      { daemons: [], problems: [] },
    );
    const ssh = podmanDaemonsFromEnvironment(
      { CONTAINER_HOST: 'ssh://core@h:22/run/podman/podman.sock', CONTAINER_SSHKEY: '/k/id' },
      () => false,
    );
    assert.deepEqual(ssh, {
      daemons: [
        { id: 'podman', label: 'Podman (CONTAINER_HOST)', host: 'ssh://core@h:22/run/podman/podman.sock', ssh: { identityFile: '/k/id' } },
      ],
      problems: [],
    });
    const bad = podmanDaemonsFromEnvironment({ CONTAINER_HOST: 'ssh://h/run/podman;reboot' }, () => false);
    assert.deepEqual(bad.daemons, []);
    assert.match(bad.problems[0]!, /CONTAINER_HOST ssh:\/\/h\/run\/podman;reboot is not used: .*remote socket path "\/run\/podman;reboot"/);
  });
});

describe('Podman connections (podman system connection list), discovered read-only like Docker contexts', () => {
  it('containers.conf as Podman 4 writes it and podman-connections.json as Podman 5 does: names, URIs, identities and the default', () => {
    const conf = [
      '[containers]',
      '',
      '[engine]',
      '  active_service = "box"',
      '  [engine.service_destinations]',
      '    [engine.service_destinations.box]',
      '      uri = "ssh://core@box.example:2222/run/user/1000/podman/podman.sock"',
      '      identity = "/home/me/.ssh/id_ed25519"',
      '    [engine.service_destinations."local sock"]',
      '      uri = "unix:///run/podman/podman.sock" # rootful',
      '[machine]',
      '  uri = "tcp://not-a-connection:1"',
    ].join('\n');
    assert.deepEqual(parseContainersConfConnections(conf), [
      {
        name: 'box',
        uri: 'ssh://core@box.example:2222/run/user/1000/podman/podman.sock',
        identity: '/home/me/.ssh/id_ed25519',
        default: true,
      },
      { name: 'local sock', uri: 'unix:///run/podman/podman.sock', default: false },
    ]);
    assert.deepEqual(parseContainersConfConnections('[engine.service_destinations]\nci = { uri = "tcp://10.0.0.5:8080" }\n'), [
      { name: 'ci', uri: 'tcp://10.0.0.5:8080', default: false },
    ]);
    const json = JSON.stringify({
      Connection: { Default: 'ci', Connections: { ci: { URI: 'tcp://10.0.0.5:8080', Identity: '', IsMachine: false } } },
      Farm: {},
    });
    assert.deepEqual(parseConnectionsJson(json), [{ name: 'ci', uri: 'tcp://10.0.0.5:8080', default: true }]);
  });

  it('a connection whose URI Container Exec cannot use is a problem naming the connection, the URI and what is wrong', async () => {
    const conf = '[engine.service_destinations.odd]\nuri = "ssh://core@h/run/podman/$(reboot).sock"\n';
    const found = await discoverPodmanConnections(['/x/containers.conf'], async () => conf);
    assert.deepEqual(found.daemons, []);
    assert.equal(found.problems[0]?.file, '/x/containers.conf');
    assert.match(
      found.problems[0]!.error,
      /Podman connection "odd" \(ssh:\/\/core@h\/run\/podman\/\$\(reboot\)\.sock\) is not used: .*remote socket path/,
    );
  });

  it('a real `podman system connection add` (scratch CONTAINERS_CONF): its unix connection is a daemon that answers as Podman, its ssh one a daemon with its identity; nothing else read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-podman-conn-'));
    const conf = path.join(dir, 'containers.conf');
    fs.writeFileSync(conf, ''); // Podman writes connections into CONTAINERS_CONF only when it exists
    const env = { ...process.env, CONTAINERS_CONF: conf, XDG_CONFIG_HOME: path.join(dir, 'config'), HOME: dir };
    const podman = (...args: string[]) => execFileSync('podman', ['system', 'connection', 'add', ...args], { env, stdio: 'pipe' });
    try {
      podman('testbed', podmanHost());
      podman('--identity', path.join(dir, 'id_ed25519'), 'far', 'ssh://core@far.example:2222/run/podman/podman.sock');
      const files = podmanConnectionFiles({ CONTAINERS_CONF: conf, XDG_CONFIG_HOME: path.join(dir, 'config') }, dir, true);
      const found = await discoverPodmanConnections(files);
      assert.deepEqual(
        found.daemons.map((d) => [d.id, d.host, d.ssh]),
        [
          ['podman:far', 'ssh://core@far.example:2222/run/podman/podman.sock', { identityFile: path.join(dir, 'id_ed25519') }],
          ['podman:testbed', podmanHost(), undefined],
        ],
      );
      assert.deepEqual(found.problems, []);
      const client = createDaemonClient(found.daemons.find((d) => d.id === 'podman:testbed')!);
      try {
        assert.equal((await client.engine()).engine, 'Podman');
      } finally {
        client.dispose();
      }
      // and through the Daemons view's discovery, beside the environment's daemon, read-only as a context is
      const all = await discoverDaemons({ CONTAINERS_CONF: conf, XDG_CONFIG_HOME: path.join(dir, 'config'), DOCKER_CONFIG: dir }, dir);
      const listed = all.daemons.find((d) => d.daemon.id === 'podman:testbed');
      assert.equal(listed?.source, 'context');
      assert.equal(listed?.description, 'Podman connection');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Podman's ssh form for the bench's Podman socket: the testbed's sshd (root@127.0.0.1) sees the same files. */
const podmanSshDaemon = (socket = podmanHost().replace(/^unix:\/\//, '')): DaemonDescriptionInput => ({
  id: 'podman-ssh',
  host: `${need('DOCKER_SSH_HOST')}${socket}`,
  ssh: { configFile: need('DOCKER_SSH_CONFIG') },
  timeoutMs: 20000, // each connection is an ssh login and a podman start: seconds on a loaded bench
});
/** A client on it that records the ssh processes it starts (its onProcess hook): `live` until each has exited. */
function trackedSshClient(socket?: string) {
  const started: number[] = [];
  const live = new Set<number>();
  const hooks = { onProcess: (pid: number, running: boolean) => (running ? (started.push(pid), live.add(pid)) : live.delete(pid)) };
  const client = new DaemonClient(parseDaemonDescription(podmanSshDaemon(socket)), hooks);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** Waits a moment for the ssh processes to end, then says which are still there (the system's word, not only the hook's). */
  const leftAfterEnd = async (waitMs = 2000) => {
    for (const t0 = Date.now(); Date.now() - t0 < waitMs && started.some(alive);) await new Promise((res) => setTimeout(res, 50));
    return { live: [...live], alive: started.filter(alive), started: started.length };
  };
  return { client, live, leftAfterEnd };
}

describe('Podman over ssh (ssh://…/podman.sock, as Podman connections name it): the testbed sshd to the bench’s Podman', function () {
  this.timeout(120000);

  it('Test Connection answers "Podman 4…" through the remote’s podman system dial-stdio, and a recipe runs over it with its outputs back', async () => {
    const client = createDaemonClient(podmanSshDaemon());
    try {
      assert.match((await client.check()).summary, /^Podman 4\.\d+\.\d+ \(API 1\.\d+/);
    } finally {
      client.dispose();
    }
    const recipe =
      'import os\nos.makedirs("out", exist_ok=True)\nopen("out/via.txt", "w").write(open("in.txt").read() + " over ssh")\nprint("done")\n';
    const ssh = trackedSshClient();
    const r = await podmanRun({ file: 'ssh.py', text: recipe }, {}, { client: ssh.client, files: { 'in.txt': 'podman' } });
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.stdout, 'done\n');
    assert.equal(fs.readFileSync(path.join(r.outputsDir, 'out', 'via.txt'), 'utf8'), 'podman over ssh');
    assert.deepEqual(await runContainers(r.id), []);
    const left = await ssh.leftAfterEnd();
    assert.ok(left.started >= 1, 'the run went through ssh');
    assert.deepEqual(
      { live: left.live, alive: left.alive },
      { live: [], alive: [] },
      'no ssh process is left once the run’s back-end is disposed',
    );
  });

  it('a remote without podman, or a name that does not resolve: the ssh error says which (pure: what ssh printed)', () => {
    const t = { host: 'ssh://box/run/podman/podman.sock', hostname: 'box', socketPath: '/run/podman/podman.sock', connectTimeoutMs: 5000 };
    assert.match(
      explainSshFailure(t, 'bash: line 1: podman: command not found\n', 127).message,
      /no podman CLI with "system dial-stdio" on box: install Podman there \(the remote side runs "podman --url 'unix:\/\/\/run\/podman\/podman\.sock' system dial-stdio"\)/,
    );
    const unresolved = explainSshFailure(
      t,
      'Warning: Identity file /k not accessible: No such file or directory.\nssh: Could not resolve hostname box\n',
      255,
    );
    assert.match(unresolved.message, /\(the name box does not resolve\)$/);
  });

  it('a socket path nothing serves: the error names the path and says the service may not run there', async () => {
    const client = createDaemonClient(podmanSshDaemon('/run/nothing-here/podman.sock'));
    try {
      await assert.rejects(client.check(), (e: Error) => {
        assert.match(e.message, /podman on 127\.0\.0\.1 cannot reach \/run\/nothing-here\/podman\.sock: is the service running there/);
        return true;
      });
    } finally {
      client.dispose();
    }
  });

  it('cancelled while ssh connects: the call rejects as cancelled at once, and its ssh process ends without a dispose', async () => {
    const { client, live, leftAfterEnd } = trackedSshClient();
    const ctl = new AbortController();
    try {
      const call = listContainers(client, { signal: ctl.signal });
      await until('an ssh process starts', 5000, () => live.size > 0);
      ctl.abort();
      await assert.rejects(call, /list containers on ssh:.* was cancelled/);
      // not dispose: the cancelled connection's end reaches the remote (half-open, as an exec's stdin end does), which ends ssh
      const left = await leftAfterEnd(20000);
      assert.deepEqual({ live: left.live, alive: left.alive }, { live: [], alive: [] });
    } finally {
      client.dispose();
    }
  });
});

describe('Podman through its Docker-compatible API (testbed: rootful Podman 4.3.1)', function () {
  this.timeout(120000);

  it('the engine that answers is named from /version’s components: "Podman 4.3.1", not "Docker 4.3.1" (the Daemons view’s Engine row)', async () => {
    const client = createDaemonClient(daemon());
    const docker = createDaemonClient({ id: 'local', host: 'unix:///var/run/docker.sock' });
    try {
      const v = await client.check();
      assert.equal(v.engine, 'Podman');
      assert.match(v.summary, /^Podman 4\.\d+\.\d+ \(API 1\.\d+, linux\/amd64\)/);
      assert.equal((await docker.engine()).engine, 'Docker');
    } finally {
      client.dispose();
      docker.dispose();
    }
  });

  it('a run’s probe through a fresh client of an endpoint already probed asks neither /version nor /info (Podman: 0.3 s and 0.15 s, paid by every run)', async () => {
    const r = validateConfiguration({ name: 'probe', daemon: 'podman', baseImage: podmanBusyboxImage() });
    assert.ok(r.ok);
    // each run opens its own back-end and client, as dockerDaemonProvider does
    const callsOfOneProbe = async () => {
      const backend = new DockerDaemonBackend(createDaemonClient(daemon()), true);
      try {
        const before = engineCallStats.calls;
        const capacity = await backend.probe(r.config, { signal: new AbortController().signal });
        assert.deepEqual(capacity.errors, []);
        return engineCallStats.calls - before;
      } finally {
        backend.dispose();
      }
    };
    await callsOfOneProbe();
    assert.equal(await callsOfOneProbe(), 0);
  });

  it('lists and events: a labelled container is listed, and its create/start/die come through the event stream', async () => {
    const client = createDaemonClient(daemon());
    const ctl = new AbortController();
    const events: EngineEvent[] = [];
    const runId = newRunId();
    const following = followEvents(client, (e) => events.push(e), ctl.signal);
    try {
      const r = await podmanRun({ file: 'hi.sh', text: 'echo hi\n' }, {}, { image: podmanBusyboxImage(), runId, keep: true });
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      const listed = await runContainers(runId);
      assert.equal(listed.length, 1, 'the kept container is listed by its run label');
      const name = listed[0]!.name;
      await until('its die event', 10000, () =>
        events.some((e) => e.type === 'container' && e.action === 'die' && e.attributes.name === name),
      );
      const actions = events.filter((e) => e.attributes.name === name).map((e) => e.action);
      for (const a of ['create', 'start', 'die']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    } finally {
      ctl.abort();
      await following;
      for (const c of await runContainers(runId)) await removeContainer(client, c.id);
      client.dispose();
    }
  });

  it('a run with limits and env: the limits are set inside, the env reaches the recipe, its output file comes back, nothing is left', async () => {
    const recipe = [
      'import os',
      'os.makedirs("out", exist_ok=True)',
      'mem = open("/sys/fs/cgroup/memory/memory.limit_in_bytes").read().strip() if os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") else open("/sys/fs/cgroup/memory.max").read().strip()',
      'open("out/result.txt", "w").write(f"{os.environ[\'GREETING\']} {mem}")',
      'print("done")',
    ].join('\n');
    const r = await podmanRun(
      { file: 'limits.py', text: recipe },
      { resources: { memory: '96m', cpus: 0.5, pidsLimit: 50 }, env: { GREETING: 'hello-podman' } },
    );
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.stdout, 'done\n');
    assert.equal(fs.readFileSync(path.join(r.outputsDir, 'out', 'result.txt'), 'utf8'), `hello-podman ${96 * 1024 * 1024}`);
    assert.deepEqual(await runContainers(r.id), []);
  });

  it('outputs both ways: a nested input folder reaches the recipe whole, and a nested output folder comes back whole', async () => {
    const recipe = [
      'import os',
      'rows = open("data/in/table.csv").read().splitlines()',
      'os.makedirs("out/deep/er", exist_ok=True)',
      'open("out/deep/er/count.txt", "w").write(str(len(rows)))',
      'open("out/top.txt", "w").write(open("data/in/nested/note.txt").read())',
    ].join('\n');
    const r = await podmanRun(
      { file: 'both.py', text: recipe },
      {},
      { files: { 'data/in/table.csv': 'a,b\n1,2\n3,4\n', 'data/in/nested/note.txt': 'from the workspace' } },
    );
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(fs.readFileSync(path.join(r.outputsDir, 'out', 'deep', 'er', 'count.txt'), 'utf8'), '3');
    assert.equal(fs.readFileSync(path.join(r.outputsDir, 'out', 'top.txt'), 'utf8'), 'from the workspace');
    assert.deepEqual(await runContainers(r.id), []);
  });

  it('lost-run cleanup: a run whose window went away is found by its labels on Podman (not while active) and removed', async () => {
    const runId = newRunId();
    let checked: Promise<void> | undefined;
    const cleanUp = async (ws: string) => {
      // a fresh back-end, as after a reload: no run is active in this window
      const backend = new DockerDaemonBackend(createDaemonClient(daemon()), true);
      try {
        assert.deepEqual(
          (await backend.findLost(ws, new Set([runId]))).filter((l) => l.runId === runId),
          [],
        );
        const lost = (await backend.findLost(ws, new Set())).filter((l) => l.runId === runId);
        assert.equal(lost.length, 1);
        await backend.removeLost(lost[0]!);
        assert.deepEqual(await runContainers(runId), []);
      } finally {
        backend.dispose();
      }
    };
    const r = await podmanRun(
      { file: 'long.sh', text: 'echo started; sleep 60\n' },
      {},
      { image: podmanBusyboxImage(), runId, onOutput: (t, ws) => t.includes('started') && (checked ??= cleanUp(ws)) },
    );
    assert.ok(checked, 'the recipe never started');
    await checked;
    assert.notEqual(r.outcome.state, 'succeeded', r.outcome.message);
    assert.deepEqual(await runContainers(runId), []);
  });

  it('a recipe past its memory limit is SIGKILLed (exit 137) and, since Podman never reports OOMKilled, the outcome says it may have been the limit', async () => {
    const hog = 'b = bytearray(300 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint("survived")\n';
    const r = await podmanRun({ file: 'hog.py', text: hog }, { resources: { memory: '64m' } });
    assert.equal(r.outcome.state, 'failed', r.outcome.message);
    assert.equal(r.outcome.exitCode, 137, r.outcome.message);
    assert.match(r.outcome.message ?? '', /killed \(exit code 137, SIGKILL\): this engine does not report out-of-memory kills.*memory 64m/);
    assert.deepEqual(await runContainers(r.id), []);
  });

  it('cancel mid-run: the outcome is cancelled and no container of the run is left', async () => {
    const ctl = new AbortController();
    const runId = newRunId();
    const r = await podmanRun(
      { file: 'long.sh', text: 'echo started; sleep 60\n' },
      {},
      {
        image: podmanBusyboxImage(),
        signal: ctl.signal,
        runId,
        onOutput: (t) => t.includes('started') && ctl.abort(),
      },
    );
    assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
    assert.deepEqual(await runContainers(runId), []);
  });

  it('logs: a kept container’s stdout and stderr are followed, demultiplexed', async () => {
    const runId = newRunId();
    const r = await podmanRun(
      { file: 'log.sh', text: 'echo to-out; echo to-err >&2\n' },
      {},
      { image: podmanBusyboxImage(), runId, keep: true },
    );
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    const client = createDaemonClient(daemon());
    try {
      const [c] = await runContainers(runId);
      const got = { stdout: '', stderr: '' };
      await followContainerLogs(client, c!.id, (t, s) => (got[s] += t), AbortSignal.timeout(20000));
      assert.deepEqual(got, { stdout: 'to-out\n', stderr: 'to-err\n' });
      await removeContainer(client, c!.id);
    } finally {
      client.dispose();
    }
  });

  it('exec as Open Shell does it: a tty resized (Podman answers resize with 201, which dockerode took for an error) reports the new size', async () => {
    const backend = new DockerDaemonBackend(createDaemonClient(daemon()), true);
    const runId = newRunId();
    const handle = backend.run(runId);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-podman-exec-'));
    try {
      const r = validateConfiguration({ name: 'exec', daemon: 'podman', baseImage: podmanBusyboxImage() });
      assert.ok(r.ok);
      const follow = new AbortController();
      await handle.start(
        {
          runId,
          image: podmanBusyboxImage(),
          cmd: ['sleep', '60'],
          workingDir: '/workspace',
          env: {},
          labels: { [LABELS.run]: runId, [LABELS.kind]: 'shell' },
          config: r.config,
          workspace: { dir: ws, scan: await scanWorkspace(ws), emptyDirs: [] },
          keep: false,
        },
        { signal: new AbortController().signal, follow: follow.signal, onOutput: () => undefined, onStatus: () => undefined },
      );
      const shell = await handle.exec(['sh'], { tty: true, stdin: true });
      let text = '';
      shell.stdout.on('data', (b: Buffer) => (text += b.toString()));
      await shell.resize!(101, 33);
      shell.stdin.end('stty size; exit 0\n');
      assert.equal(await shell.exit(), 0);
      assert.match(text, /33 101/);
      follow.abort();
    } finally {
      await handle.remove().catch(() => undefined);
      backend.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('stats: a recipe burning CPU under cpus 0.5 is sampled on one stream at Podman’s 5 s pace (not reopened every 5 s), near the share it measured itself', async () => {
    const burn =
      'import os, time\nt = time.time()\nwhile time.time() - t < 16: pass\nc = os.times()\nprint(f"{(c.user + c.system) / (time.time() - t) * 100:.1f}")\n';
    const opened = statsStreams.opened;
    const r = await podmanRun({ file: 'burn.py', text: burn }, { resources: { cpus: 0.5 } });
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    const own = Number(r.stdout.trim());
    const seen = `samples ${r.samples.map((x) => x.cpuPct.toFixed(0)).join(', ')}; the recipe measured ${own} %`;
    assert.ok(r.samples.length >= 2, seen);
    assert.equal(statsStreams.opened - opened, 1, `one stats stream for the whole run (${seen})`);
    for (const s of r.samples) assert.ok(s.cpuPct <= 0.5 * 100 * 1.3, `no sample above the quota: ${seen}`);
    if (own >= 40) for (const s of r.samples) assert.ok(s.cpuPct >= 25, `no near-zero sample from a 1 ms baseline: ${seen}`);
    assert.equal(statsStreams.open, 0);
  });

  it('the Daemons view’s totals: a busy container not ours counts its CPU (Podman’s snapshot has no earlier reading: a second one makes the delta), then round after round', async () => {
    const cli = (...args: string[]) => execFileSync('docker', ['-H', podmanHost(), ...args], { encoding: 'utf8' }).trim();
    const id = cli('run', '-d', '--name', `ce-busy-${process.pid}`, podmanBusyboxImage(), 'sh', '-c', 'while :; do :; done');
    const hub = new DaemonHub();
    hub.setDaemons([{ daemon: parseDaemonDescription(daemon()), source: 'user' }]);
    const sampler = new DaemonUsageSampler(hub, { intervalMs: 3000 });
    const rounds: DaemonUsageTotals[] = [];
    sampler.onDidChange((d) => d === 'podman' && sampler.get(d) && rounds.push(sampler.get(d)!));
    try {
      assert.equal((await hub.connect('podman')).state, 'connected');
      sampler.setRunning(true);
      await until('two rounds of totals', 60000, () => rounds.length >= 2);
      const seen = rounds.map((t) => `${daemonUsageText(t)} (${t.counted} of ${t.running} counted)`).join('; ');
      for (const t of rounds.slice(0, 2)) {
        assert.ok(t.running >= 1 && t.counted >= 1, seen);
        assert.ok(t.cpuPct > 5, `the busy loop’s CPU counts: ${seen}`);
      }
    } finally {
      sampler.dispose();
      hub.dispose();
      cli('rm', '-f', id);
    }
  });

  it('an image build through the compat endpoint (POST /build): steps reported, the image listed, its labels set', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-podman-build-'));
    const tag = `local/ce-podman-build:${process.pid}`;
    const r = validateConfiguration({ name: 'podman-build', daemon: 'podman', build: { from: podmanBusyboxImage(), python: false, tag } });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const plan = await planBaseImage(r.config, { extensionVersion: '9.9.9-test', workspaceDir: ws });
    const ctx = await planContext(plan);
    const client = createDaemonClient(daemon());
    try {
      const steps: string[] = [];
      const result = await buildImage(client, ctx.packed.stream, {
        tag: plan.tag,
        labels: plan.labels,
        buildArgs: plan.buildArgs,
        dockerfile: ctx.dockerfile,
        signal: AbortSignal.timeout(100000),
        onLine: (l) => steps.push(l.text),
      });
      assert.ok(result.imageId, 'the build answered its image id');
      assert.ok(
        steps.some((s) => /STEP 1\/\d+: FROM/.test(s)),
        steps.join('\n'),
      );
      const images = await listImages(client);
      assert.ok(
        images.some((i) => i.tags.includes(tag)),
        `listed by its tag as on Docker, not as docker.io/${tag}: ${images.flatMap((i) => i.tags).join(', ')}`,
      );
      assert.equal(images.find((i) => i.tags.includes(tag))?.builtBy?.version, '9.9.9-test', 'its labels say who built it');
    } finally {
      await removeImage(client, tag).catch(() => undefined);
      await ctx.dispose();
      client.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('a swarm configuration whose manager is the Podman daemon is refused naming swarm and Podman (before: "not in a swarm… run docker swarm init there")', async () => {
    const backend = new DockerSwarmBackend(createDaemonClient(daemon()), async () => [{ daemon: daemon(), source: 'user' as const }], true);
    try {
      const r = validateConfiguration({ name: 'podman-swarm', daemon: 'podman', swarm: {}, baseImage: podmanBusyboxImage() });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
      const probed = await backend.probe(r.config, { signal: AbortSignal.timeout(20000) });
      assert.deepEqual(
        probed.errors.map((e) => e.field),
        ['swarm'],
      );
      assert.match(probed.errors[0]!.message, /is Podman 4\.\d+\.\d+, which has no swarm mode/);
    } finally {
      backend.dispose();
    }
  });

  it('a pool with a Podman member never places a runtime configuration there (Podman lists runtimes it ignores: kata, runsc…)', async () => {
    const pool = new PoolBackend({
      name: 'podman-runtime-pool',
      daemons: [
        { id: 'local', daemon: { id: 'local', host: need('DOCKER_LOCAL_HOST') } },
        { id: 'podman', daemon: daemon() },
      ],
    });
    try {
      const r = validateConfiguration({ name: 'kata', pool: ['local', 'podman'], runtime: 'kata', baseImage: need('BUSYBOX_IMAGE') });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
      const probed = await pool.probe(r.config, { signal: AbortSignal.timeout(20000) });
      const text = probed.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
      assert.match(text, /podman: .*Podman 4\.\d+\.\d+, whose Docker-compatible API ignores HostConfig\.Runtime/);
    } finally {
      pool.dispose();
    }
  });

  it('a pool with a Podman member never places a GPU configuration there: its API lists no CDI devices, so nothing says the member has them', async () => {
    const pool = new PoolBackend({
      name: 'podman-gpu-pool',
      daemons: [
        { id: 'local', daemon: { id: 'local', host: need('DOCKER_LOCAL_HOST') } },
        { id: 'podman', daemon: daemon() },
      ],
    });
    try {
      const r = validateConfiguration({ name: 'gpu', pool: ['local', 'podman'], gpus: ['0'], baseImage: need('BUSYBOX_IMAGE') });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
      const probed = await pool.probe(r.config, { signal: AbortSignal.timeout(20000) });
      const text = probed.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
      assert.match(
        text,
        /daemon "podman" is Podman 4\.\d+\.\d+, whose API does not list its CDI devices: a pool does not place GPU runs there/,
      );
    } finally {
      pool.dispose();
    }
  });

  it('unlimited swap (memorySwap -1) is refused before anything is created: Podman’s compat API makes it twice the memory', async () => {
    const runId = newRunId();
    const r = await podmanRun(
      { file: 'swap.sh', text: 'echo ran\n' },
      { resources: { memory: '64m', memorySwap: -1 } },
      { image: podmanBusyboxImage(), runId },
    );
    assert.equal(r.outcome.failure, 'capacity', r.outcome.message);
    assert.match(r.outcome.message ?? '', /resources\.memorySwap -1.*Podman 4\.\d+\.\d+.*twice the memory limit.*Nothing was created/);
    assert.deepEqual(await runContainers(runId), []);
  });

  for (const [field, input, pattern] of [
    ['runtime', { runtime: 'kata' }, /runtime.*Podman 4\.\d+\.\d+.*ignores HostConfig\.Runtime/],
    [
      'gpus',
      { gpus: 2 },
      /gpus: 2 is a count, which has no CDI form: list the device ids .*or use gpus: "all".*Podman 4\.\d+\.\d+.*CDI devices/,
    ],
  ] as const)
    it(`a configuration with ${field} ${JSON.stringify(input)} is refused before anything is created, naming the field`, async () => {
      const runId = newRunId();
      const r = await podmanRun({ file: 'gpu.sh', text: 'echo ran\n' }, input, { image: podmanBusyboxImage(), runId });
      assert.equal(r.outcome.state, 'failed');
      assert.equal(r.outcome.failure, 'capacity');
      assert.match(r.outcome.message ?? '', pattern);
      assert.match(r.outcome.message ?? '', /Nothing was created/);
      assert.equal(r.stdout, '');
      assert.deepEqual(await runContainers(runId), []);
    });

  // the testbed's fake CDI spec (/var/run/cdi/container-exec-testbed.yaml): each device's edit is an env var
  const fakeGpus = 'import os\nprint(sorted(k for k in os.environ if k.startswith("CONTAINER_EXEC_FAKE_GPU")))\n';

  it('GPUs as CDI devices: gpus ["1"] reaches the container as nvidia.com/gpu=1 (its edit, not device 0’s), with the limits, ulimits, env and outputs of any run', async () => {
    const recipe = [
      fakeGpus,
      'import os, resource',
      // cgroup v1 (this testbed) or v2
      'read = lambda *ps: next(open(p).read().strip() for p in ps if os.path.exists(p))',
      'mem = read("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max")',
      'cpu = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu.max").split()[0]',
      'pids = read("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max")',
      'lim = [resource.getrlimit(r)[0] for r in (resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC)]',
      'os.makedirs("out", exist_ok=True)',
      'open("out/result.txt", "w").write(f"{os.environ[\'GREETING\']} {mem} {cpu} {pids} {lim} {os.getcwd()}")',
    ].join('\n');
    const r = await podmanRun(
      { file: 'gpu.py', text: recipe },
      {
        gpus: ['1'],
        resources: { memory: '96m', cpus: 0.5, pidsLimit: 50, ulimits: { nofile: { soft: 512, hard: 512 } } },
        env: { GREETING: 'hi-cdi' },
      },
    );
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.stdout, "['CONTAINER_EXEC_FAKE_GPU1']\n");
    // nproc 4096: the testbed's containers.conf default, not Podman's 1048576
    assert.match(
      fs.readFileSync(path.join(r.outputsDir, 'out', 'result.txt'), 'utf8'),
      new RegExp(`^hi-cdi ${96 * 1024 * 1024} 50000 50 \\[512, 4096\\] /`),
    );
    assert.deepEqual(await runContainers(r.id), []);
  });

  it('GPUs as CDI devices: gpus "all" is nvidia.com/gpu=all (network none kept); an id the daemon’s spec lacks fails the start naming the CDI device, nothing left', async () => {
    const all = await podmanRun(
      { file: 'gpu.py', text: `${fakeGpus}print(sorted(os.listdir("/sys/class/net")))\n` },
      { gpus: 'all', network: 'none' },
    );
    assert.equal(all.outcome.state, 'succeeded', all.outcome.message);
    assert.equal(all.stdout, "['CONTAINER_EXEC_FAKE_GPU0', 'CONTAINER_EXEC_FAKE_GPU1', 'CONTAINER_EXEC_FAKE_GPU_ALL']\n['lo']\n");
    const missing = await podmanRun({ file: 'gpu.py', text: fakeGpus }, { gpus: ['7'] });
    assert.equal(missing.outcome.state, 'failed');
    assert.match(missing.outcome.message ?? '', /unresolvable CDI devices nvidia\.com\/gpu=7/);
    assert.deepEqual(await runContainers(missing.id), []);
  });

  it('ulimits naming nofile only run (Podman would set nproc to 1048576, above this host’s hard limit): nproc is the daemon’s default, nothing left', async () => {
    const r = await podmanRun(
      { file: 'ulimits.sh', text: 'echo "$(ulimit -n) $(ulimit -u)"\n' },
      { resources: { ulimits: { nofile: { soft: 512, hard: 512 } } } },
      { image: podmanBusyboxImage() },
    );
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    // the testbed's containers.conf: default_ulimits nproc=4096:4096
    assert.equal(r.stdout, '512 4096\n');
    assert.deepEqual(await runContainers(r.id), []);
  });
});

// a pool of one Docker and one Podman member: placement reads both daemons' /info and containers; the
// image's short name (local/busybox:latest) resolves on both (Podman's copy is localhost/local/busybox:latest)
backendContract('Docker pool of the primary Docker daemon and the Podman daemon', {
  open: () =>
    new PoolBackend({
      name: 'podman-pool',
      daemons: [
        { id: 'local', daemon: { id: 'local', host: need('DOCKER_LOCAL_HOST') } },
        { id: 'podman', daemon: daemon() },
      ],
    }),
  image: need('BUSYBOX_IMAGE'),
  daemonId: 'podman-pool',
});
