// Pools of daemons on the real testbed: placement, budgets and the queue, image copy, faults.
import * as assert from 'node:assert/strict';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CLAIM_MAX_AGE_MS,
  DEFAULT_INTERPRETERS,
  LABELS,
  INSPECT_CONCURRENCY,
  LOAD_RECOUNT_MS,
  containerHoldings,
  copyIdleMs,
  PoolBackend,
  createDaemonClient,
  followEvents,
  placedRunIds,
  imageExists,
  listContainers,
  newRunId,
  osUser,
  poolUsage,
  recountVerdict,
  runsAmong,
  runRecipe,
  scanWorkspace,
  validateConfiguration,
  type Budget,
  type DaemonClient,
  type DaemonDescriptionInput,
  type PoolSpec,
  type RunOutcome,
  type Usage,
} from '../../src/core';
import { backendContract } from '../support/backendContract';
import type { WindowJob, WindowRan } from '../support/poolWindow';
import { Relay } from '../support/relay';
import { killCrashDaemon, need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';
import { until } from '../support/until';

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
    onOutput?: (text: string) => void;
    id?: string;
  } = {},
): Promise<Ran> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), script);
  const backend = new PoolBackend(s);
  const id = opts.id ?? newRunId();
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
          opts.onOutput?.(b.toString());
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

  it('a run on a pool of six daemons: no MaxListenersExceededWarning (each daemon asked under a signal of its own), nothing left', async () => {
    // six members: the three testbed daemons, each under two ids
    const name = poolName('six');
    const s: PoolSpec = {
      name,
      daemons: (['local', 'tcp', 'tls', 'local', 'tcp', 'tls'] as const).map((d, i) => ({
        id: `${d}-${i}`,
        daemon: { ...daemons[d](), id: `${d}-${i}` },
      })),
    };
    const warned: string[] = [];
    const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warned.push(w.message));
    process.on('warning', onWarning);
    try {
      const ran = await runOn(s, config(name, { pool: s.daemons.map((d) => d.id) }), 'echo six');
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      assert.equal(ran.outcome.state, 'succeeded', ran.outcome.message);
      assert.match(ran.stdout, /six/);
      assert.deepEqual(warned, []);
      assert.deepEqual(await leftOf([ran.id]), []);
    } finally {
      process.off('warning', onWarning);
    }
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

  it("perDaemonRuns 1 on a pool of one daemon: a second run waits (queued naming the daemon's run slots), then starts when the first ends", async () => {
    const name = poolName('slots');
    const s = spec(name, ['local'], { perDaemonRuns: 1 });
    const c = config(name);
    const held = signalled();
    const first = runOn(s, c, 'sleep 3', { onContainer: held.fire });
    await held.fired; // the first holds the daemon's one slot
    const second = await runOn(s, c, 'echo second');
    const firstRan = await first;
    assert.equal(firstRan.outcome.state, 'succeeded', firstRan.outcome.message);
    assert.equal(second.outcome.state, 'succeeded', second.outcome.message);
    assert.ok(
      second.queued.some((q) => q.startsWith('queued 1st:') && q.includes('your 1 of 1 run slots')),
      JSON.stringify(second.queued),
    );
    assert.ok(second.startedAt! >= firstRan.endedAt - 1500, 'the second started once the first ended');
  });

  it('a run over a CPU budget waits (queued naming the CPU budget), then starts when another ends', async () => {
    const name = poolName('cpu');
    const s = spec(name, ['local'], { cpus: 0.15 });
    const c = config(name);
    const held = signalled();
    const first = runOn(s, c, 'sleep 3', { onContainer: held.fire });
    await held.fired; // the first holds its 0.1 CPU
    const second = await runOn(s, c, 'echo second');
    const firstRan = await first;
    assert.equal(firstRan.outcome.state, 'succeeded', firstRan.outcome.message);
    assert.equal(second.outcome.state, 'succeeded', second.outcome.message);
    assert.ok(
      second.queued.some((q) => q === 'queued 1st: your CPU budget 0.15 has 0.1 in use'),
      JSON.stringify(second.queued),
    );
    assert.ok(second.startedAt! >= firstRan.endedAt - 1500, 'the second started once the first ended');
  });

  it('a run over a GPU budget waits (queued naming the GPU budget), then starts when another ends (gpus: 1, TCP daemon)', async () => {
    const name = poolName('gpus');
    const s = spec(name, ['tcp'], { gpus: 1 });
    const c = config(name, { pool: ['tcp'], gpus: 1 });
    const held = signalled();
    const first = runOn(s, c, 'sleep 3', { onContainer: held.fire });
    await held.fired; // the first holds the only GPU of the budget
    const second = await runOn(s, c, 'echo second');
    const firstRan = await first;
    assert.equal(firstRan.outcome.state, 'succeeded', firstRan.outcome.message);
    assert.equal(firstRan.placement?.daemon, 'tcp');
    assert.equal(second.outcome.state, 'succeeded', second.outcome.message);
    assert.ok(
      second.queued.some((q) => q === 'queued 1st: your GPU budget 1 has 1 in use'),
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

describe('pool: Open Shell in Run (finding 6, testbed)', function () {
  this.timeout(120000);
  it("a shell exec reaches a running pool run's container on the daemon it landed on; closing it leaves the run placed and going", async () => {
    const name = poolName('shell');
    const s = spec(name, ['local', 'tcp'], { maxRuns: 2 });
    const id = newRunId();
    const cancel = new AbortController();
    let printed = '';
    const running = runOn(s, config(name), 'echo started; sleep 60', { id, signal: cancel.signal, onOutput: (t) => (printed += t) });
    let settled = false;
    void running.finally(() => (settled = true));
    try {
      await until('the run started', 60000, () => printed.includes('started') || settled);
      assert.ok(!settled, 'the run ended before the shell');
      assert.ok(placedRunIds(name).includes(id), 'the run is placed');
      // as Open Shell in Run does: a back-end of the run's target opened for the exec alone, then disposed
      const shellBackend = new PoolBackend(s);
      let out = '';
      try {
        const session = await shellBackend.run(id).exec(['/bin/sh', '-c', 'echo "in-run-$CONTAINER_EXEC_RUN_ID"; exit 3']);
        session.stdout.on('data', (b: Buffer) => (out += b.toString()));
        assert.equal(await session.exit(), 3);
      } finally {
        shellBackend.dispose();
      }
      assert.equal(out, `in-run-${id}\n`);
      // the shell's back-end released nothing: the run still counts in placement, and goes on
      assert.deepEqual(placedRunIds(name), [id]);
      assert.ok(!settled, 'the run ended with the shell');
    } finally {
      cancel.abort();
    }
    const ran = await running;
    assert.equal(ran.outcome.state, 'cancelled', ran.outcome.message);
    assert.deepEqual(placedRunIds(name), []);
    assert.deepEqual(await leftOf([id], ['local', 'tcp']), []);
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

describe('pool: a silent event stream (finding 5 of issue 23; a relay in front of the TCP daemon)', function () {
  this.timeout(120000);
  let relay: Relay;
  // everything is forwarded but the /events answer: the stream stays open and says nothing, as through a NAT that dropped it
  let streams = 0;
  before(
    async () =>
      (relay = await Relay.start(need('DOCKER_TCP_HOST'), (_, p) => {
        if (!/\/events\b/.test(p)) return undefined;
        streams++;
        return 0;
      })),
  );
  after(() => relay.close());

  it(`finding 5: a queued run starts within the stated recount period (${LOAD_RECOUNT_MS / 1000} s, 3× allowed) of its blocker ending though no event arrives, and the stream is opened again`, async () => {
    const name = poolName('silent');
    const s: PoolSpec = { name, daemons: [{ id: 'relayed', daemon: { id: 'relayed', host: relay.host } }], budget: { maxRuns: 1 } };
    const c = config(name);
    const tcp = createDaemonClient(daemons.tcp());
    const docker = await tcp.docker();
    // the blocker: the user's run of this pool from another window (its labels are what budgets count)
    const blocker = await docker.createContainer({
      Image: need('BUSYBOX_IMAGE'),
      Cmd: ['sleep', '600'],
      Labels: {
        [LABELS.user]: osUser(),
        [LABELS.pool]: name,
        [LABELS.run]: `blocker-${name}`,
        [LABELS.request]: 'cpus=0.1;memory=0;gpus=0',
      },
    });
    const cancel = new AbortController();
    let endedAt = 0;
    try {
      await blocker.start();
      const ran = runOn(s, c, 'echo admitted', {
        signal: cancel.signal,
        onQueued: (r) => {
          if (!r || endedAt) return;
          endedAt = -1;
          // queued behind the blocker: it ends now; its die event goes nowhere (the relay drops it)
          void blocker.kill().then(() => {
            endedAt = Date.now();
            setTimeout(() => cancel.abort(), 3 * LOAD_RECOUNT_MS).unref();
          });
        },
      });
      const r = await ran;
      assert.ok(endedAt > 0, `the run was never queued behind the blocker: ${JSON.stringify(r.queued)}`);
      assert.ok(relay.silencedAt, 'the daemon sent events, and the relay held them back');
      assert.ok(streams >= 2, `the recount that found the blocker ended did not open a new event stream (${streams} opened)`);
      assert.equal(
        r.outcome.state,
        'succeeded',
        `not started within 3 × ${LOAD_RECOUNT_MS} ms of its blocker ending: ${r.outcome.message}`,
      );
      assert.ok(r.admittedAt! - endedAt <= 3 * LOAD_RECOUNT_MS, `admitted ${r.admittedAt! - endedAt} ms after the blocker ended`);
      assert.match(r.stdout, /admitted/);
      assert.deepEqual(await leftOf([r.id], ['tcp']), []);
    } finally {
      cancel.abort();
      await blocker.remove({ force: true }).catch(() => undefined);
      tcp.dispose();
    }
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

describe('pool: counting what containers hold on a daemon with many exited ones (issue 23; a relay in front of the TCP daemon)', function () {
  this.timeout(240000);
  const label = `container-exec.test-holdings`;
  const value = `h${process.pid}-${Date.now().toString(36)}`;
  const tcp = createDaemonClient(daemons.tcp());
  const exited: string[] = [];
  const running: string[] = [];
  // enough that inspecting each (as main did) is far past the slack below; few enough to stay quick to make
  const EXITED = 60;
  /** `n` containers of `cmd`, started, at most 6 at once. */
  async function make(n: number, cmd: string[], into: string[]) {
    const docker = await tcp.docker();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const c = await docker.createContainer({
          Image: need('BUSYBOX_IMAGE'),
          Cmd: cmd,
          Labels: { [label]: value },
          HostConfig: { NanoCpus: 1e8, LogConfig: { Type: 'none', Config: {} } },
        });
        into.push(c.id);
        await c.start();
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
  }
  const ours = async () => (await listContainers(tcp)).filter((c) => c.labels[label] === value);
  before(async () => {
    await make(EXITED, ['true'], exited);
    await make(INSPECT_CONCURRENCY + 4, ['sleep', '600'], running);
    // `true` ends at once, but let every one of them be exited before counting
    for (let t0 = Date.now(); (await ours()).filter((c) => c.state === 'exited').length < EXITED;) {
      assert.ok(Date.now() - t0 < 60000, `the ${EXITED} containers did not all exit`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    const docker = await tcp.docker();
    const ids = [...exited, ...running];
    while (ids.length)
      await Promise.all(
        ids.splice(0, 10).map((id) =>
          docker
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    tcp.dispose();
  });

  it(`inspects only the containers that hold something, at most ${INSPECT_CONCURRENCY} at once; the exited ones are read from the list`, async () => {
    let inspects = 0;
    const relay = await Relay.start(need('DOCKER_TCP_HOST'), (_, p) => void (/\/containers\/[0-9a-f]+\/json/.test(p) && inspects++));
    const client = createDaemonClient({ id: 'relayed', host: relay.host });
    try {
      const holdings = await containerHoldings(client, { all: true });
      const byId = new Map(holdings.map((h) => [h.id, h]));
      for (const id of exited) assert.equal(byId.get(id)?.state, 'exited', `exited container ${id} was not counted as exited`);
      for (const id of exited) assert.equal(byId.get(id)?.labels[label], value);
      for (const id of running) assert.deepEqual([byId.get(id)?.state, byId.get(id)?.cpus], ['running', 0.1]);
      const holdingNow = holdings.filter((h) => ['running', 'paused', 'restarting'].includes(h.state)).length;
      // other tests' containers may start or end meanwhile: a few inspects of slack, not one per exited container
      assert.ok(inspects <= holdingNow + 10, `${inspects} inspects for ${holdingNow} containers holding something`);
      assert.ok(relay.maxOpen <= INSPECT_CONCURRENCY + 1, `${relay.maxOpen} connections at once`);
    } finally {
      client.dispose();
      await relay.close();
    }
  });

  it('an inspect that fails (not a 404) fails the count instead of reading the container as gone', async () => {
    const victim = running[0]!;
    const relay = await Relay.start(need('DOCKER_TCP_HOST'), (_, p) => (p.includes(`/containers/${victim}/json`) ? 'cut' : undefined));
    const client = createDaemonClient({ id: 'relayed', host: relay.host });
    try {
      await assert.rejects(containerHoldings(client, { all: true }), (e: Error) => {
        assert.doesNotMatch(e.message, /HTTP 404|no such container/i);
        return true;
      });
    } finally {
      client.dispose();
      await relay.close();
    }
  });
});

describe('pool: an image copy whose source or target goes silent mid-stream (finding 7 of issue 23; relays in front of real daemons)', function () {
  this.timeout(180000);
  const tag = `local/pool-silent:${Date.now().toString(36)}`;
  let imageId = '';
  let relay: Relay;
  const local = need('DOCKER_LOCAL_HOST');
  const docker = (h: string, ...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('docker', ['-H', h, ...args], { encoding: 'utf8', timeout: 120000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`docker ${args.join(' ')}: ${stderr || e.message}`)) : resolve(stdout.trim()),
      ),
    );
  before(async () => {
    // an image only the socket daemon has, of 30 MB: the relay passes the first 1 MB of its save, then nothing (the connection stays open)
    const maker = `pool-silent-maker-${process.pid}`;
    await docker(local, 'run', '--name', maker, need('BUSYBOX_IMAGE'), 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=30');
    await docker(local, 'commit', maker, tag);
    await docker(local, 'rm', maker);
    imageId = await docker(local, 'image', 'inspect', '--format', '{{.Id}}', tag);
    relay = await Relay.start(local, (_, p) => (/\/images\/get\b/.test(p) ? 1e6 : undefined));
  });
  after(async () => {
    await relay?.close();
    for (const h of [local, need('DOCKER_TCP_HOST')]) await docker(h, 'image', 'rm', '-f', tag).catch(() => undefined);
  });

  it("finding 7: the run fails within the copy's idle deadline naming the image and both daemons, and nothing is created on the target", async () => {
    const name = poolName('silent-copy');
    const source = { id: 'src', host: relay.host, timeoutMs: 1500 };
    const target = { ...daemons.tcp(), timeoutMs: 1500 };
    const s: PoolSpec = {
      name,
      daemons: [
        { id: 'src', daemon: source },
        { id: 'tcp', daemon: target },
      ],
    };
    const [from, to] = [createDaemonClient(source), createDaemonClient(target)];
    const idleMs = copyIdleMs(from, to);
    const cancel = new AbortController();
    // today's bound: without a deadline the copy waits for ever; the test cancels it after 3 × the deadline
    void relay.firstSilence.then(() => setTimeout(() => cancel.abort(), 3 * idleMs).unref());
    // runtime "fake" exists on TCP alone: the run lands there and the image comes from the relayed socket daemon
    const ran = await runOn(s, config(name, { runtime: 'fake' }), 'echo never', { image: tag, signal: cancel.signal });
    assert.ok(relay.silencedAt, `the save never went silent: ${ran.status.join('\n')}`);
    assert.equal(ran.outcome.state, 'failed', ran.outcome.message);
    assert.ok(ran.endedAt - relay.silencedAt <= 3 * idleMs, `ended ${ran.endedAt - relay.silencedAt} ms after the save went silent`);
    const esc = (t: string) => t.replace(/[/.]/g, '\\$&');
    assert.match(
      ran.outcome.message,
      new RegExp(
        `^Could not copy image ${esc(tag)} from daemon "src" \\(${esc(relay.host)}\\) to daemon "tcp" \\(${esc(target.host)}\\): Copying image ${esc(tag)} from ${esc(relay.host)} to ${esc(target.host)} was cut after [\\d.]+ MB: ${esc(relay.host)} sent no bytes for ${idleMs} ms\\. Nothing was created on "tcp"`,
      ),
    );
    assert.equal(ran.startedAt, undefined, 'no container was started');
    try {
      assert.equal(await imageExists(to, tag), false, 'the stalled copy left the tag on tcp');
      assert.equal(await imageExists(to, imageId), false, 'the stalled copy left the image on tcp');
    } finally {
      from.dispose();
      to.dispose();
    }
    assert.deepEqual(await leftOf([ran.id], ['tcp']), []);
  });

  it('finding 7: a target that freezes once the archive is on its way fails the run through its heartbeat, naming the image and both daemons', async () => {
    // the target behind a relay that freezes (every byte dropped both ways, pings too) after 8 MB went through
    const frozen = await Relay.start(need('DOCKER_TCP_HOST'), () => undefined);
    const name = poolName('frozen-target');
    const source = { id: 'local', host: local, timeoutMs: 1500 };
    const target = { id: 'tcp', host: frozen.host, timeoutMs: 1500 };
    const s: PoolSpec = {
      name,
      daemons: [
        { id: 'local', daemon: source },
        { id: 'tcp', daemon: target },
      ],
    };
    const [from, to] = [createDaemonClient(source), createDaemonClient(target)];
    const idleMs = copyIdleMs(from, to);
    from.dispose();
    to.dispose();
    const cancel = new AbortController();
    let frozenAt = 0;
    try {
      const ran = await runOn(s, config(name, { runtime: 'fake' }), 'echo never', {
        image: tag,
        signal: cancel.signal,
        onStatus: (t) => {
          if (frozenAt || !t.startsWith(`Copying image ${tag}: `)) return;
          frozenAt = Date.now();
          frozen.freeze();
          // without a heartbeat the copy waits for ever: the test cancels it after 3 × the idle deadline
          setTimeout(() => cancel.abort(), 3 * idleMs).unref();
        },
      });
      assert.ok(frozenAt, `the copy never reported progress: ${ran.status.join('\n')}`);
      assert.equal(ran.outcome.state, 'failed', ran.outcome.message);
      assert.ok(ran.endedAt - frozenAt <= 3 * idleMs, `ended ${ran.endedAt - frozenAt} ms after the target froze`);
      const esc = (t: string) => t.replace(/[/.]/g, '\\$&');
      assert.match(
        ran.outcome.message,
        new RegExp(
          `^Could not copy image ${esc(tag)} from daemon "local" \\(${esc(local)}\\) to daemon "tcp" \\(${esc(frozen.host)}\\): Copying image ${esc(tag)} from ${esc(local)} to ${esc(frozen.host)} was cut after [\\d.]+ MB: ${esc(frozen.host)} stopped answering during the copy \\(.+\\)\\. Nothing was created on "tcp"`,
        ),
      );
      assert.equal(ran.startedAt, undefined, 'no container was started');
    } finally {
      cancel.abort();
      await frozen.close();
    }
    // the relay gone, the daemon behind it saw the archive cut: it tagged nothing
    const tcp = createDaemonClient(daemons.tcp());
    try {
      assert.equal(await imageExists(tcp, tag), false, 'the cut copy left the tag on tcp');
      assert.equal(await imageExists(tcp, imageId), false, 'the cut copy left the image on tcp');
    } finally {
      tcp.dispose();
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

/** Windows of their own: node processes (test/support/poolWindow.ts), each with its own queue and caches, as VS Code windows have. */
async function openWindows(n: number) {
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const child = fork(path.join(__dirname, '../support/poolWindow.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`window ${i} exited (${code}) before it was ready`)));
      });
    }
  } catch (e) {
    children.forEach((c) => c.kill());
    throw e;
  }
  return {
    /** Job i in window i, all from the same instant. */
    run: (jobs: Omit<WindowJob, 'at'>[]): Promise<WindowRan[]> => {
      const at = Date.now() + 300;
      return Promise.all(
        jobs.map(
          (job, i) =>
            new Promise<WindowRan>((resolve, reject) => {
              children[i]!.once('message', (m: { ran?: WindowRan; error?: string }) =>
                m.ran ? resolve(m.ran) : reject(new Error(m.error)),
              );
              children[i]!.send({ ...job, at });
            }),
        ),
      );
    },
    close: () => children.forEach((c) => c.kill()),
  };
}

/** A recipe stamping its start and end from inside the container (the host's uptime: the testbed's daemons share one kernel). */
const stamped = (seconds: number) =>
  `echo "start $(cut -d' ' -f1 /proc/uptime)"; sleep ${seconds}; echo "end $(cut -d' ' -f1 /proc/uptime)"`;
function spanOf(r: WindowRan) {
  const start = Number(/^start ([\d.]+)$/m.exec(r.stdout)?.[1]);
  const end = Number(/^end ([\d.]+)$/m.exec(r.stdout)?.[1]);
  assert.ok(start > 0 && end >= start, `run ${r.id} stamped no start and end: ${r.stdout} (${r.outcome.state}: ${r.outcome.message})`);
  return { start, end };
}
/** The most recipes going at once, from their own stamps (one ending as another starts does not overlap). */
function mostAtOnce(runs: WindowRan[]): number {
  const edges = runs.flatMap((r) => {
    const { start, end } = spanOf(r);
    return [
      [start, 1],
      [end, -1],
    ] as const;
  });
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

/** A container held going on a daemon (`sleep 600`), removed by the returned function. */
async function holdGoing(client: DaemonClient, labels: Record<string, string>, hostConfig: object = {}, start = true) {
  const docker = await client.docker();
  const c = await docker.createContainer({
    name: `ce-pool-hold-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
    Image: need('BUSYBOX_IMAGE'),
    Cmd: ['sleep', '600'],
    Labels: labels,
    HostConfig: hostConfig,
  });
  if (start) await c.start();
  return { id: c.id, remove: () => c.remove({ force: true }).catch(() => undefined) };
}
const runLabels = (pool: string, runId: string, kind = 'run') => ({
  [LABELS.user]: osUser(),
  [LABELS.pool]: pool,
  [LABELS.run]: runId,
  [LABELS.kind]: kind,
  [LABELS.request]: 'cpus=0.1;memory=33554432;gpus=0',
});

describe('pool budgets across windows (processes admitting at the same instant, testbed)', function () {
  this.timeout(600000);
  let windows: Awaited<ReturnType<typeof openWindows>>;
  before(async () => (windows = await openWindows(3)));
  after(() => windows?.close());
  const both = (): DaemonDescriptionInput[] => [daemons.local(), daemons.tcp()];

  it('three windows admitting at the same instant against maxRuns 2 on a pool of two daemons, ten times: never more than two recipes overlap', async () => {
    for (let rep = 0; rep < 10; rep++) {
      const name = poolName(`three-${rep}`);
      const job = { pool: name, daemons: both(), budget: { maxRuns: 2 }, script: stamped(1) };
      const ran = await windows.run([job, job, job]);
      for (const r of ran) assert.equal(r.outcome.state, 'succeeded', `rep ${rep}: ${r.outcome.message}\n${r.status.join('\n')}`);
      assert.ok(mostAtOnce(ran) <= 2, `rep ${rep}: ${mostAtOnce(ran)} recipes at once: ${JSON.stringify(ran.map(spanOf))}`);
      assert.deepEqual(
        await leftOf(
          ran.map((r) => r.id),
          ['local', 'tcp'],
        ),
        [],
      );
    }
  });

  it('finding 3: with one run on daemon X and two windows admitting at once on Y, maxRuns 2 is not overshot (the recount lists every daemon)', async () => {
    const local = createDaemonClient(daemons.local());
    const cpus = (await local.info()).cpus;
    for (let rep = 0; rep < 3; rep++) {
      const name = poolName(`across-${rep}`);
      // a run of this user's on "local" (another window's), holding every CPU there: the two windows' runs go to "tcp"
      const held = await holdGoing(local, runLabels(name, `other-window-${rep}`), { NanoCpus: cpus * 1e9 });
      try {
        const job = { pool: name, daemons: both(), budget: { maxRuns: 2 }, script: stamped(1) };
        const ran = await windows.run([job, job]);
        for (const r of ran) assert.equal(r.outcome.state, 'succeeded', `rep ${rep}: ${r.outcome.message}\n${r.status.join('\n')}`);
        assert.deepEqual(
          ran.map((r) => r.placement?.daemon),
          ['tcp', 'tcp'],
        );
        // the run on "local" holds one of the two: the windows' recipes never overlap
        assert.equal(
          mostAtOnce(ran),
          1,
          `rep ${rep}: both windows' recipes went at once beside the run on "local": ${JSON.stringify(ran.map(spanOf))}`,
        );
      } finally {
        await held.remove();
      }
    }
    local.dispose();
  });

  it('finding 3: two windows admitting at once on the same daemon, perDaemonRuns 1 is re-checked: never two runs at once on one daemon', async () => {
    const local = createDaemonClient(daemons.local());
    const cpus = (await local.info()).cpus;
    for (let rep = 0; rep < 3; rep++) {
      const name = poolName(`slots-${rep}`);
      // someone else's container holding half of "local"'s CPUs: both windows rank "tcp" first
      const other = await holdGoing(local, {}, { NanoCpus: (cpus / 2) * 1e9 });
      try {
        const job = { pool: name, daemons: both(), budget: { perDaemonRuns: 1 }, script: stamped(1) };
        const ran = await windows.run([job, job]);
        for (const r of ran) assert.equal(r.outcome.state, 'succeeded', `rep ${rep}: ${r.outcome.message}\n${r.status.join('\n')}`);
        const [a, b] = ran as [WindowRan, WindowRan];
        if (a.placement?.daemon === b.placement?.daemon)
          assert.equal(
            mostAtOnce(ran),
            1,
            `rep ${rep}: two runs at once on "${a.placement?.daemon}" with perDaemonRuns 1: ${JSON.stringify(ran.map(spanOf))}`,
          );
      } finally {
        await other.remove();
      }
    }
    local.dispose();
  });

  it('the claim back-off waits in the queue: a window that lost the race shows why and claims at most once more, not every 0.5–2 s', async () => {
    const local = createDaemonClient(daemons.local());
    const stop = new AbortController();
    const claims = new Map<string, number>();
    void followEvents(
      local,
      (e) => {
        const run = e.attributes[LABELS.run];
        if (e.type === 'container' && e.action === 'create' && e.attributes[LABELS.kind] === 'claim' && run)
          claims.set(run, (claims.get(run) ?? 0) + 1);
      },
      stop.signal,
    );
    let raced = 0;
    try {
      for (let rep = 0; rep < 4 && !raced; rep++) {
        const name = poolName(`backoff-${rep}`);
        const job = { pool: name, daemons: [daemons.local()], budget: { maxRuns: 1 }, script: stamped(4) };
        const ran = await windows.run([job, job]);
        for (const r of ran) assert.equal(r.outcome.state, 'succeeded', `rep ${rep}: ${r.outcome.message}\n${r.status.join('\n')}`);
        assert.equal(mostAtOnce(ran), 1);
        // the claims of both runs were created (their events came) before the runs ended
        await until('the claim events', 5000, () => ran.every((r) => claims.has(r.id)));
        const lost = ran.filter((r) => r.status.some((t) => /another window/i.test(t)));
        if (!lost.length) continue; // no race this time: both did not pass admission at the same instant
        raced++;
        for (const r of lost) {
          assert.ok(
            claims.get(r.id)! <= 2,
            `run ${r.id} created ${claims.get(r.id)} claims while the other ran 4 s:\n${r.status.join('\n')}`,
          );
          assert.ok(
            r.queued.some((q) =>
              /^queued 1st: another window claimed the room at the same moment \(your budget of 1 concurrent runs has 1 running\)/.test(q),
            ),
            JSON.stringify(r.queued),
          );
        }
      }
      assert.ok(raced, 'in 4 tries the two windows never admitted at the same instant: the back-off was not exercised');
    } finally {
      stop.abort();
      local.dispose();
    }
  });
});

/**
 * A TCP path to a unix-socket daemon that holds one exchange: the first request whose text matches
 * `match` (side `request`: it and what follows on its connection are held) or its answer (side
 * `response`: the daemon gets the request at once, the client gets nothing more on that connection) until
 * `release()`. A held connection the client drops stays open to the daemon, which finishes its work.
 */
async function holdingRelay(host: string, match: RegExp, side: 'request' | 'response') {
  const socketPath = host.replace(/^unix:\/\//, '');
  const open = new Set<net.Socket>();
  const releases: (() => void)[] = [];
  let fired = false;
  let onHeld: () => void = () => undefined;
  const held = new Promise<void>((r) => (onHeld = r));
  const server = net.createServer((down) => {
    const up = net.connect(socketPath);
    open.add(down).add(up);
    let holdUp: Buffer[] | undefined;
    let holdDown: Buffer[] | undefined;
    down.on('data', (b: Buffer) => {
      if (!fired && match.test(b.toString('latin1'))) {
        fired = true;
        if (side === 'request') holdUp = [];
        else holdDown = [];
        releases.push(() => {
          if (holdUp) for (const x of holdUp.splice(0)) up.write(x);
          if (holdDown && !down.destroyed) for (const x of holdDown.splice(0)) down.write(x);
          holdUp = holdDown = undefined;
        });
        onHeld();
      }
      if (holdUp) holdUp.push(b);
      else up.write(b);
    });
    up.on('data', (b: Buffer) => (holdDown ? holdDown.push(b) : !down.destroyed && down.write(b)));
    down.on('error', () => undefined);
    up.on('error', () => down.destroy());
    down.on('close', () => open.delete(down));
    up.on('close', () => (open.delete(up), down.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    held,
    release: () => releases.splice(0).forEach((r) => r()),
    close: () => {
      server.close();
      open.forEach((s) => s.destroy());
    },
  };
}

describe('pool claims are never left behind (testbed)', function () {
  this.timeout(120000);
  const CLAIM_CREATE = /^POST \S*\/containers\/create\?name=container-exec-run-\S*-claim[ &]/m;
  const RECOUNT = /^GET \S*\/containers\/json\?\S*filters=\S*container-exec\.(user|pool)/m;

  /** A run on a pool of "local" reached through `relay`, stopped when the relay holds its exchange; then a second run must not wait. */
  async function stopWhenHeld(relay: Awaited<ReturnType<typeof holdingRelay>>, what: string) {
    const name = poolName(what);
    const s: PoolSpec = { name, daemons: [{ id: 'local', daemon: { id: 'local', host: relay.host } }], budget: { maxRuns: 1 } };
    const cancel = new AbortController();
    void relay.held.then(() => {
      cancel.abort();
      // the daemon's late answer, after the Stop
      setTimeout(relay.release, 200);
    });
    const stopped = await runOn(s, config(name), 'echo never', { signal: cancel.signal });
    assert.equal(stopped.outcome.state, 'cancelled', stopped.outcome.message);
    assert.equal(stopped.startedAt, undefined, 'the run container was never created');
    assert.deepEqual(await leftOf([stopped.id], ['local']), [], 'the claim was left behind');
    // nothing holds the budget of 1: the next run of the pool goes without waiting
    const queuedCancel = new AbortController();
    const next = await runOn({ ...s, daemons: [{ id: 'local', daemon: daemons.local() }] }, config(name), 'echo next', {
      signal: queuedCancel.signal,
      onQueued: (r) => r && queuedCancel.abort(),
    });
    assert.deepEqual(next.queued, [], 'the next run queued behind a leftover claim');
    assert.equal(next.outcome.state, 'succeeded', next.outcome.message);
  }

  it('finding 4: Stop during the recount leaves no claim, and the next run of a maxRuns 1 pool does not queue', async () => {
    const relay = await holdingRelay(need('DOCKER_LOCAL_HOST'), RECOUNT, 'request');
    try {
      await stopWhenHeld(relay, 'stop-recount');
    } finally {
      relay.close();
    }
  });

  it("finding 4: Stop while the claim's create is answered late leaves no claim, and the next run does not queue", async () => {
    const relay = await holdingRelay(need('DOCKER_LOCAL_HOST'), CLAIM_CREATE, 'response');
    try {
      await stopWhenHeld(relay, 'stop-create');
    } finally {
      relay.close();
    }
  });

  it('finding 4: a window closing mid-admission (its back-end disposed during the recount) removes its claim', async () => {
    const relay = await holdingRelay(need('DOCKER_LOCAL_HOST'), RECOUNT, 'request');
    const name = poolName('dispose');
    const backend = new PoolBackend({
      name,
      daemons: [{ id: 'local', daemon: { id: 'local', host: relay.host } }],
      budget: { maxRuns: 1 },
    });
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-dispose-'));
    fs.writeFileSync(path.join(ws, 'job.sh'), 'echo never');
    const cancel = new AbortController();
    const id = newRunId();
    const claim = `local:container-exec-run-${id}-claim`;
    try {
      const ran = runRecipe(
        backend,
        {
          id,
          recipe: 'job.sh',
          config: config(name),
          image: need('BUSYBOX_IMAGE'),
          pull: false,
          workspaceDir: ws,
          outputsDir: path.join(ws, 'out-local'),
          groups: [],
          interpreters: DEFAULT_INTERPRETERS,
          extensionVersion: '9.9.9-test',
        },
        { signal: cancel.signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
      );
      await relay.held;
      assert.deepEqual(await leftOf([id], ['local']), [claim], 'the claim exists while the recount is held');
      backend.dispose();
      await until('the claim removed after the dispose', 3 * 5000, async () => (await leftOf([id], ['local'])).length === 0);
      cancel.abort();
      relay.release();
      await ran;
    } finally {
      relay.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it(`finding 4: a claim older than ${CLAIM_MAX_AGE_MS / 60000} min whose window is gone stops counting and is removed by the next admission`, async () => {
    const name = poolName('stale');
    const local = createDaemonClient(daemons.local());
    // a claim its window never removed (closed mid-admission): made 3 minutes ago by a process that is gone
    const stale = await holdGoing(
      local,
      {
        ...runLabels(name, 'gone-window-run', 'claim'),
        [LABELS.claimedAt]: new Date(Date.now() - CLAIM_MAX_AGE_MS - 60000).toISOString(),
        [LABELS.claimOwner]: 'gone-host:1',
      },
      {},
      false,
    );
    try {
      const cancel = new AbortController();
      const ran = await runOn(spec(name, ['local'], { maxRuns: 1 }), config(name), 'echo went', {
        signal: cancel.signal,
        onQueued: (r) => r && cancel.abort(),
      });
      assert.deepEqual(ran.queued, [], 'the run queued behind the stale claim');
      assert.equal(ran.outcome.state, 'succeeded', ran.outcome.message);
      assert.deepEqual(await leftOf(['gone-window-run'], ['local']), [], 'the stale claim is still there');
    } finally {
      await stale.remove();
      local.dispose();
    }
  });
});

describe('pool claims: what the admission recount counts', () => {
  const ask = { cpus: 0.1, memoryBytes: 32 * 1024 ** 2, gpus: 0 };
  const req = 'cpus=0.1;memory=33554432;gpus=0';
  const ours = { runId: 'r-b', daemon: 'y', claimedAt: 1000, countEveryClaim: false };

  it('runs always count, claims made before ours count, later ones do not (every window orders them alike)', () => {
    const daemons = [
      { id: 'x', runs: new Map([['r-run', { request: req }]]) },
      {
        id: 'y',
        runs: new Map([
          ['r-a', { request: req, claimedAt: 1000 }], // same instant, run id before ours
          ['r-c', { request: req, claimedAt: 1000 }], // same instant, after
          ['r-d', { request: req, claimedAt: 1200 }],
        ]),
      },
    ];
    assert.equal(recountVerdict(ours, daemons, { maxRuns: 3 }, ask), undefined);
    assert.equal(recountVerdict(ours, daemons, { maxRuns: 2 }, ask), 'your budget of 2 concurrent runs has 2 running');
    // a claim whose create was slow counts every claim it sees
    assert.equal(
      recountVerdict({ ...ours, countEveryClaim: true }, daemons, { maxRuns: 4 }, ask),
      'your budget of 4 concurrent runs has 4 running',
    );
    assert.equal(recountVerdict(ours, daemons, { perDaemonRuns: 1 }, ask), 'your 1 of 1 run slots on daemon "y" in use');
  });

  it(`a claim older than ${CLAIM_MAX_AGE_MS / 60000} min is expired, not counted; a run container wins over its claim`, () => {
    const c = (id: string, run: string, kind: string, at: number) => ({
      id,
      state: 'created',
      createdMs: at,
      labels: { ...runLabels('p', run, kind), [LABELS.claimedAt]: new Date(at).toISOString() },
    });
    const now = 10 * CLAIM_MAX_AGE_MS;
    const { runs, expired } = runsAmong(
      [c('old', 'r1', 'claim', now - CLAIM_MAX_AGE_MS - 1), c('fresh', 'r2', 'claim', now - 1000), c('r2', 'r2', 'run', now)],
      'p',
      osUser(),
      now,
    );
    assert.deepEqual(expired, ['old']);
    assert.deepEqual([...runs.keys()], ['r2']);
    assert.equal(runs.get('r2')!.claimedAt, undefined, 'the run container, not its claim');
  });
});
