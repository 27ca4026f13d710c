// Pools of daemons on the real testbed: placement, budgets and the queue, image copy, faults.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  LABELS,
  PoolBackend,
  createDaemonClient,
  imageExists,
  listContainers,
  newRunId,
  osUser,
  poolUsage,
  runRecipe,
  scanWorkspace,
  validateConfiguration,
  type Budget,
  type DaemonDescriptionInput,
  type PoolSpec,
  type RunOutcome,
  type Usage,
} from '../../src/core';
import { backendContract } from '../support/backendContract';
import { killCrashDaemon, need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';

const daemons = {
  local: (): DaemonDescriptionInput => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tls: (): DaemonDescriptionInput => ({
    id: 'tls',
    host: need('DOCKER_TLS_HOST'),
    tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') },
  }),
  tcp: (): DaemonDescriptionInput => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  blackhole: (): DaemonDescriptionInput => ({ id: 'blackhole', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 }),
};
type Name = keyof typeof daemons;

/** A pool name of its own per test: budgets and usage are counted per pool. */
const poolName = (what: string) => `pool-${what}-${Math.random().toString(36).slice(2, 7)}`;
const spec = (name: string, ids: (Name | string)[], budget?: Budget): PoolSpec => ({
  name,
  daemons: ids.map((id) => ({ id, daemon: (daemons as Record<string, () => DaemonDescriptionInput>)[id]?.() })),
  budget,
});

const config = (name: string, input: Record<string, unknown> = {}) => {
  const r = validateConfiguration({
    name,
    pool: ['local'],
    baseImage: need('BUSYBOX_IMAGE'),
    resources: { memory: '32m', cpus: 0.1 },
    ...input,
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
};

interface Ran {
  outcome: RunOutcome;
  id: string;
  status: string[];
  queued: string[];
  stdout: string;
  placement?: { daemon: string; reason: string };
  /** When the pool admitted it (placed), and when its container was created. */
  admittedAt?: number;
  startedAt?: number;
  endedAt: number;
}

/** One run through the driver on a fresh pool back-end (as one run task does), a shell recipe. */
/** A one-shot event to wait for: `fire` may be called often, `fired` resolves at the first. */
function signalled(): { fire: () => void; fired: Promise<void> } {
  let fire = () => undefined as void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fire: () => fire(), fired };
}

async function runOn(
  s: PoolSpec,
  c: ReturnType<typeof config>,
  script: string,
  opts: {
    signal?: AbortSignal;
    image?: string;
    onQueued?: (r: string | undefined) => void;
    onContainer?: () => void;
    onStatus?: (text: string) => void;
  } = {},
): Promise<Ran> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), script);
  const backend = new PoolBackend(s);
  const id = newRunId();
  const ran: Ran = { outcome: undefined as never, id, status: [], queued: [], stdout: '', endedAt: 0 };
  try {
    ran.outcome = await runRecipe(
      backend,
      {
        id,
        recipe: 'job.sh',
        config: c,
        image: opts.image ?? need('BUSYBOX_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, 'out-local'),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 1,
        extensionVersion: '9.9.9-test',
      },
      {
        signal: opts.signal ?? new AbortController().signal,
        onOutput: (b) => {
          ran.stdout += b.toString();
        },
        onStatus: (t) => {
          ran.status.push(t);
          opts.onStatus?.(t);
        },
        onWarning: (t) => ran.status.push(`warning: ${t}`),
        onContainer: () => {
          ran.startedAt = Date.now();
          opts.onContainer?.();
        },
        onQueued: (r) => {
          if (r) ran.queued.push(r);
          else ran.admittedAt = Date.now();
          opts.onQueued?.(r);
        },
      },
    );
    ran.placement = backend.placement;
    ran.endedAt = Date.now();
    return ran;
  } finally {
    backend.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** Containers labelled with a run id, on the given daemons. */
async function leftOf(runIds: string[], on: Name[] = ['local', 'tcp', 'tls']) {
  const found: string[] = [];
  for (const d of on) {
    const client = createDaemonClient(daemons[d]());
    try {
      for (const c of await listContainers(client)) if (runIds.includes(c.labels[LABELS.run] ?? '')) found.push(`${d}:${c.name}`);
    } finally {
      client.dispose();
    }
  }
  return found;
}

backendContract('Docker pool of one daemon (socket)', {
  open: () => new PoolBackend(spec('contract-pool', ['local'])),
  image: need('BUSYBOX_IMAGE'),
  daemonId: 'contract-pool',
});

describe('pool placement (testbed)', function () {
  this.timeout(120000);

  it('with the primary loaded by running containers, a run goes to the TCP daemon, and the record says why', async () => {
    const local = createDaemonClient(daemons.local());
    const docker = await local.docker();
    const info = await local.info();
    const load: string[] = [];
    try {
      // containers of someone else holding every CPU of the primary
      for (let i = 0; i < 2; i++) {
        const c = await docker.createContainer({
          name: `ce-pool-load-${Date.now()}-${i}`,
          Image: need('BUSYBOX_IMAGE'),
          Cmd: ['sleep', '60'],
          HostConfig: { NanoCpus: Math.round((info.cpus / 2) * 1e9) },
        });
        load.push(c.id);
        await c.start();
      }
      const name = poolName('load');
      const ran = await runOn(spec(name, ['local', 'tcp']), config(name, { resources: { memory: '32m', cpus: 0.5 } }), 'echo on-pool');
      assert.equal(ran.outcome.state, 'succeeded', ran.outcome.message);
      assert.match(ran.stdout, /on-pool/);
      assert.equal(ran.placement?.daemon, 'tcp', JSON.stringify(ran.placement));
      assert.match(ran.placement!.reason, /^tcp: [\d.]+ of \d+ CPUs free/);
      assert.match(ran.placement!.reason, /local: 0 of \d+ CPUs free/);
      assert.ok(
        ran.status.some((s) => /Placed on daemon "tcp"/.test(s)),
        ran.status.join('\n'),
      );
    } finally {
      for (const id of load)
        await docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined);
      local.dispose();
    }
  });

  it('a GPU configuration on a pool of TLS + TCP lands on TCP, the only GPU runtime', async () => {
    const name = poolName('gpu');
    const ran = await runOn(spec(name, ['tls', 'tcp']), config(name, { gpus: 'all' }), 'echo gpu');
    assert.equal(ran.outcome.state, 'succeeded', ran.outcome.message);
    assert.equal(ran.placement?.daemon, 'tcp');
  });

  it('an unreachable daemon is skipped within its deadline; the run goes elsewhere', async () => {
    const name = poolName('down');
    const backend = new PoolBackend(spec(name, ['blackhole', 'local']));
    try {
      const t0 = Date.now();
      const cap = await backend.probe(config(name), { signal: new AbortController().signal });
      const ms = Date.now() - t0;
      assert.deepEqual(cap.errors, []);
      assert.equal(backend.placement?.daemon, 'local');
      assert.ok(ms < 1500 + 4000, `placement took ${ms} ms with a 1500 ms deadline on the blackholed daemon`);
    } finally {
      backend.dispose();
    }
  });
});

describe('pool faults (testbed)', function () {
  this.timeout(60000);
  const probe = async (s: PoolSpec, c: ReturnType<typeof config>) => {
    const b = new PoolBackend(s);
    try {
      return await b.probe(c, { signal: new AbortController().signal });
    } finally {
      b.dispose();
    }
  };

  it('a pool naming an unknown daemon', async () => {
    const name = poolName('unknown');
    const cap = await probe(spec(name, ['local', 'nope']), config(name));
    assert.match(
      cap.errors[0]!.message,
      /pool "pool-unknown-\w+" names daemon "nope", which no daemon setting has: add it in the Daemons view or remove it from the configuration's pool/,
    );
  });

  it('a pool where no daemon can ever run the configuration says why per daemon', async () => {
    const name = poolName('never');
    const cap = await probe(spec(name, ['local', 'tls']), config(name, { runtime: 'fake' }));
    assert.match(
      cap.errors[0]!.message,
      /no daemon of pool "pool-never-\w+" can run configuration pool-never-\w+: local: runtime "fake" is not available on daemon "local".*; tls: runtime "fake" is not available on daemon "tls"/,
    );
  });

  it('every daemon unreachable', async () => {
    const name = poolName('dark');
    const cap = await probe(
      {
        name,
        daemons: [
          { id: 'b1', daemon: { ...daemons.blackhole(), id: 'b1' } },
          { id: 'b2', daemon: { ...daemons.blackhole(), id: 'b2' } },
        ],
      },
      config(name),
    );
    assert.match(cap.errors[0]!.message, /no daemon of pool "pool-dark-\w+" answered: b1: .*did not answer info within 1500 ms.*; b2: /);
  });

  it("a budget smaller than one run's request is refused at once, not queued", async () => {
    const name = poolName('small');
    const t0 = Date.now();
    const ran = await runOn(spec(name, ['local'], { memory: '16m' }), config(name), 'echo never');
    assert.equal(ran.outcome.state, 'failed');
    assert.equal(ran.outcome.failure, 'capacity');
    assert.match(
      ran.outcome.message,
      /the run asks 32m memory, more than your whole memory budget on pool "pool-small-\w+": 16m \(containerExec.budgets\)/,
    );
    assert.equal(ran.queued.length, 0);
    assert.ok(Date.now() - t0 < 10000);
  });
});

describe('pool budgets and queue (testbed)', function () {
  this.timeout(180000);

  it('with a budget of 2 concurrent runs, five started at once run two at a time, in order, and all finish', async () => {
    const name = poolName('two');
    const s = spec(name, ['local', 'tcp'], { maxRuns: 2 });
    const c = config(name);
    const runs: Promise<Ran>[] = [];
    for (let i = 0; i < 5; i++) {
      runs.push(runOn(s, c, `echo run-${i}; sleep 2`));
      await new Promise((r) => setTimeout(r, 50)); // first-come: the order they were started in
    }
    const done = await Promise.all(runs);
    for (const r of done) assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    // never more than two at once: at each start, at most one other run is between its start and end
    for (const r of done) {
      const overlapping = done.filter((o) => o !== r && o.startedAt! <= r.startedAt! && o.endedAt > r.startedAt!);
      assert.ok(overlapping.length <= 1, `run ${r.id} started with ${overlapping.length} others going`);
    }
    const order = done.map((r) => r.admittedAt!);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'runs admitted in the order they came',
    );
    assert.ok(
      done.slice(2).every((r) => r.queued.some((q) => /^queued \d(st|nd|rd|th): /.test(q))),
      JSON.stringify(done.map((r) => r.queued)),
    );
    assert.ok(done[2]!.queued.includes('queued 1st: your budget of 2 concurrent runs has 2 running'), JSON.stringify(done[2]!.queued));
  });

  it('a second process counting the same label sees the same usage', async () => {
    const name = poolName('count');
    const ids: Name[] = ['local', 'tcp'];
    const s = spec(name, ids, { maxRuns: 3 });
    const c = config(name);
    /** The pool's usage as another node process counts it: the compiled core, this OS user, the same daemons. */
    const countElsewhere = () =>
      new Promise<{ user: string; usage: Usage }>((resolve, reject) => {
        const script = `const core = require(${JSON.stringify(path.resolve(__dirname, '../../src/core'))});
const clients = JSON.parse(process.argv[1]).map((d) => core.createDaemonClient(d));
core.poolUsage(clients, process.argv[2], core.osUser()).then(
  (usage) => { process.stdout.write(JSON.stringify({ user: core.osUser(), usage })); clients.forEach((c) => c.dispose()); },
  (e) => { console.error(e); process.exit(1); });`;
        execFile(
          process.execPath,
          ['-e', script, JSON.stringify(ids.map((d) => daemons[d]())), name],
          { timeout: 60000, encoding: 'utf8' },
          (e, stdout, stderr) =>
            e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as { user: string; usage: Usage }),
        );
      });
    // two runs held going (until cancelled) while the other process counts
    const cancel = new AbortController();
    let created = 0;
    let bothCreated: () => void = () => undefined;
    const both = new Promise<void>((r) => (bothCreated = r));
    const runs = [0, 1].map(() => runOn(s, c, 'sleep 60', { signal: cancel.signal, onContainer: () => ++created === 2 && bothCreated() }));
    try {
      const first = await Promise.race([both.then(() => 'created'), Promise.all(runs).then(() => 'ended')]);
      assert.equal(first, 'created', 'the runs ended before both were created');
      const clients = ids.map((d) => createDaemonClient(daemons[d]()));
      const here = await poolUsage(clients, name, osUser()).finally(() => clients.forEach((cl) => cl.dispose()));
      const there = await countElsewhere();
      assert.equal(there.user, osUser());
      assert.deepEqual({ ...here, cpus: here.cpus.toFixed(3) }, { runs: 2, cpus: '0.200', memoryBytes: 64 * 1024 * 1024, gpus: 0 });
      assert.deepEqual(there.usage, here);
    } finally {
      cancel.abort();
    }
    const done = await Promise.all(runs);
    for (const r of done) assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
    // the runs ended: the other process counts nothing left
    assert.deepEqual((await countElsewhere()).usage, { runs: 0, cpus: 0, memoryBytes: 0, gpus: 0 });
    assert.deepEqual(
      await leftOf(
        done.map((r) => r.id),
        ids,
      ),
      [],
    );
  });

  it('a run over a memory budget waits, then starts when another ends', async () => {
    const name = poolName('mem');
    const s = spec(name, ['local'], { memory: '48m' });
    const c = config(name);
    const held = signalled();
    const first = runOn(s, c, 'sleep 3', { onContainer: held.fire });
    await held.fired; // the first holds its memory (issue 29 finding 9: no sleep assuming its admission)
    const second = await runOn(s, c, 'echo second');
    const firstRan = await first;
    assert.equal(second.outcome.state, 'succeeded', second.outcome.message);
    assert.ok(
      second.queued.some((q) => q === 'queued 1st: your memory budget 48m has 32m in use'),
      JSON.stringify(second.queued),
    );
    assert.ok(second.startedAt! >= firstRan.endedAt - 1500, 'the second started once the first ended');
  });

  it('cancel while queued leaves nothing', async () => {
    const name = poolName('cancel');
    const s = spec(name, ['local'], { maxRuns: 1 });
    const c = config(name);
    const held = signalled();
    const first = runOn(s, c, 'sleep 4', { onContainer: held.fire });
    await held.fired; // the first holds the only slot
    const cancel = new AbortController();
    const second = runOn(s, c, 'echo never', { signal: cancel.signal, onQueued: (r) => r && cancel.abort() });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.outcome.state, 'succeeded', a.outcome.message);
    assert.equal(b.outcome.state, 'cancelled', b.outcome.message);
    assert.equal(b.startedAt, undefined);
    assert.deepEqual(await leftOf([a.id, b.id], ['local']), []);
  });
});

describe('pool: a queued run whose configuration is deleted (testbed)', function () {
  this.timeout(60000);
  it('ends with a message saying so, and leaves nothing', async () => {
    const name = poolName('deleted');
    let configured = true;
    const s = { ...spec(name, ['local'], { maxRuns: 1 }), stillConfigured: () => configured };
    const c = config(name);
    const held = signalled();
    const first = runOn(s, c, 'sleep 4', { onContainer: held.fire });
    await held.fired; // the first holds the only slot
    const second = runOn(s, c, 'echo never', { onQueued: (r) => r && (configured = false) });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.outcome.state, 'succeeded', a.outcome.message); // admitted before the deletion: it runs to its end
    assert.equal(b.outcome.state, 'failed');
    assert.match(
      b.outcome.message,
      new RegExp(`configuration ${name} was deleted while its run waited in the queue of pool "${name}": nothing was created`),
    );
    assert.deepEqual(await leftOf([a.id, b.id], ['local']), []);
  });
});

describe('pool image copy (testbed)', function () {
  this.timeout(180000);

  it('an image that only the TLS daemon has runs on the TCP daemon after a streamed copy', async () => {
    const tag = `local/pool-copy:${Date.now().toString(36)}`;
    const tls = createDaemonClient(daemons.tls());
    const tcp = createDaemonClient(daemons.tcp());
    const [repo, version] = tag.split(':') as [string, string];
    try {
      await (await tls.docker()).getImage(need('BUSYBOX_IMAGE')).tag({ repo, tag: version });
      const name = poolName('copy');
      // runtime "fake" exists on TCP alone: the run must land there, where the image is not
      const ran = await runOn(spec(name, ['tls', 'tcp']), config(name, { runtime: 'fake' }), 'echo copied', { image: tag });
      assert.equal(ran.outcome.state, 'succeeded', ran.outcome.message);
      assert.equal(ran.placement?.daemon, 'tcp');
      assert.ok(
        ran.status.some((t) => t === `Copying image ${tag} from daemon "tls" to "tcp"`),
        ran.status.join('\n'),
      );
      assert.match(ran.stdout, /copied/);
    } finally {
      for (const c of [tls, tcp]) {
        await (
          await c.docker()
        )
          .getImage(tag)
          .remove()
          .catch(() => undefined);
        c.dispose();
      }
    }
  });
});

describe('pool: the chosen daemon vanishing between placement and create (the crash daemon of the testbed)', function () {
  this.timeout(120000);
  let host = '';
  const crash = (): DaemonDescriptionInput => ({ id: 'crash', host, timeoutMs: 5000 });
  before(() => (host = startCrashDaemon()));
  after(() => stopCrashDaemon());

  it('places the run again, once: it lands on the other daemon and the record says why', async () => {
    const name = poolName('vanish');
    const s: PoolSpec = {
      name,
      daemons: [
        { id: 'crash', daemon: crash() },
        { id: 'tcp', daemon: daemons.tcp() },
      ],
    };
    const c = config(name);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-vanish-'));
    const backend = new PoolBackend(s);
    const runId = newRunId();
    const signal = new AbortController().signal;
    const status: string[] = [];
    try {
      // the driver's steps, with the crash daemon SIGKILLed after the probe placed the run there and found its image
      assert.deepEqual((await backend.probe(c, { signal })).errors, []);
      // the crash daemon runs nothing and reserves nothing, and ties keep the pool's order: it ranks first
      assert.equal(backend.placement?.daemon, 'crash', JSON.stringify(backend.placement));
      assert.equal(await backend.hasImage(need('BUSYBOX_IMAGE'), { signal }), true);
      await killCrashDaemon();
      const handle = backend.run(runId);
      const follow = new AbortController();
      let stdout = '';
      const started = await handle.start(
        {
          runId,
          image: need('BUSYBOX_IMAGE'),
          cmd: ['sh', '-c', 'echo landed'],
          workingDir: '/workspace',
          env: {},
          labels: { [LABELS.run]: runId, [LABELS.kind]: 'run' },
          config: c,
          workspace: { dir: ws, scan: await scanWorkspace(ws), emptyDirs: [] },
          keep: false,
        },
        {
          signal,
          follow: follow.signal,
          onOutput: (chunk) => {
            stdout += chunk.toString();
          },
          onStatus: (t) => status.push(t),
        },
      );
      try {
        assert.deepEqual(await handle.wait(follow.signal), { exitCode: 0, oomKilled: false });
        await started.output;
        assert.equal(stdout, 'landed\n');
      } finally {
        follow.abort();
        await handle.remove();
      }
      assert.equal(backend.placement?.daemon, 'tcp', JSON.stringify(backend.placement));
      assert.match(
        backend.placement!.reason,
        /^placed again: daemon "crash" stopped answering between placement and create \(.+\); tcp: [\d.]+ of \d+ CPUs free/,
      );
      assert.equal(
        status.filter((t) => /^Daemon "crash" stopped answering \(.+\): placing the run again$/.test(t)).length,
        1,
        status.join('\n'),
      );
      assert.deepEqual(await leftOf([runId], ['tcp']), []);
    } finally {
      backend.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
    // back up, the crash daemon has nothing of the run: it vanished before anything was created there
    startCrashDaemon();
    const client = createDaemonClient(crash());
    try {
      assert.deepEqual(
        (await listContainers(client)).filter((x) => x.labels[LABELS.run] === runId),
        [],
      );
    } finally {
      client.dispose();
    }
  });
});

describe('pool: an image copy cut mid-stream (the crash daemon of the testbed)', function () {
  this.timeout(240000);
  let host = '';
  const crash = (): DaemonDescriptionInput => ({ id: 'crash', host, timeoutMs: 5000 });
  const tag = `local/pool-cut:${Date.now().toString(36)}`;
  let imageId = '';
  const docker = (h: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('docker', ['-H', h, ...args], { encoding: 'utf8', timeout: 120000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`docker ${args.join(' ')}: ${stderr || e.message}`)) : resolve(stdout.trim()),
      ),
    );
  before(async () => {
    host = startCrashDaemon();
    // an image only the crash daemon has, large enough (150 MB) that its save is still streaming when the daemon is killed
    const maker = `pool-cut-maker-${process.pid}`;
    await docker(host, 'run', '--name', maker, need('BUSYBOX_IMAGE'), 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=150');
    await docker(host, 'commit', maker, tag);
    await docker(host, 'rm', maker);
    imageId = await docker(host, 'image', 'inspect', '--format', '{{.Id}}', tag);
  });
  after(async () => {
    await docker(need('DOCKER_TCP_HOST'), 'image', 'rm', '-f', tag).catch(() => undefined);
    startCrashDaemon();
    await docker(host, 'image', 'rm', '-f', tag).catch(() => undefined);
    await stopCrashDaemon();
  });

  it('ends the run naming the image and both daemons, leaves nothing on the target, and a retry copies it', async () => {
    const name = poolName('cut');
    const s: PoolSpec = {
      name,
      daemons: [
        { id: 'crash', daemon: crash() },
        { id: 'tcp', daemon: daemons.tcp() },
      ],
    };
    // runtime "fake" exists on TCP alone: the run lands there and the image comes from the crash daemon
    const c = config(name, { runtime: 'fake' });
    let killed: Promise<void> | undefined;
    const cut = await runOn(s, c, 'echo never', {
      image: tag,
      // SIGKILLed once the first 8 MB passed: the save is cut mid-stream
      onStatus: (t) => t.startsWith(`Copying image ${tag}: `) && (killed ??= killCrashDaemon()),
    });
    await killed;
    assert.ok(killed, `the copy never reported progress: ${cut.status.join('\n')}`);
    assert.equal(cut.outcome.state, 'failed');
    assert.match(
      cut.outcome.message,
      new RegExp(
        `^Could not copy image ${tag} from daemon "crash" \\(${host.replace(/[/.]/g, '\\$&')}\\) to daemon "tcp" \\(${need('DOCKER_TCP_HOST').replace(/[/.]/g, '\\$&')}\\): Copying image ${tag} from .+ was cut after [\\d.]+ MB: .+\\. Nothing was created on "tcp": run again to copy it once more, or give the configuration a registry\\.$`,
      ),
    );
    assert.equal(cut.startedAt, undefined, 'no container was started');
    // no half image on the target: neither the tag nor the image's content id
    const tcp = createDaemonClient(daemons.tcp());
    try {
      assert.equal(await imageExists(tcp, tag), false, 'the cut copy left the tag on tcp');
      assert.equal(await imageExists(tcp, imageId), false, 'the cut copy left the image on tcp');
    } finally {
      tcp.dispose();
    }
    assert.deepEqual(await leftOf([cut.id], ['tcp']), []);

    // the crash daemon back (its data-root keeps the image): the same run copies it and runs
    startCrashDaemon();
    const retry = await runOn(s, c, 'echo copied', { image: tag });
    assert.equal(retry.outcome.state, 'succeeded', retry.outcome.message);
    assert.equal(retry.placement?.daemon, 'tcp');
    assert.ok(retry.status.includes(`Copying image ${tag} from daemon "crash" to "tcp"`), retry.status.join('\n'));
    assert.match(retry.stdout, /copied/);
    assert.deepEqual(await leftOf([cut.id, retry.id], ['tcp']), []);
  });
});
