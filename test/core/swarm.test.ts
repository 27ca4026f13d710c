// The Docker Swarm back-end on the testbed's 3-node swarm (scripts/testbed.sh: manager swarm-m, workers
// swarm-w1 and swarm-w2, the last with a fake GPU): placement, limits, queueing, faults, nothing left behind.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  DEFAULT_INTERPRETERS,
  DockerSwarmBackend,
  LABELS,
  copyIdleMs,
  createDaemonClient,
  imageExists,
  listContainers,
  listServices,
  listTasks,
  followEvents,
  removeService,
  setNodeAvailability,
  newRunId,
  runRecipe,
  swarmMembership,
  validateConfiguration,
  type DaemonDescriptionInput,
  type KnownDaemon,
  type RunOutcome,
  type RunRequest,
} from '../../src/core';
import { Relay } from '../support/relay';
import { need, startTestbed, stopSwarmDaemon } from '../support/testbed';
import { until } from '../support/until';

const swarm = {
  manager: (): DaemonDescriptionInput => ({ id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') }),
  w1: (): DaemonDescriptionInput => ({ id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') }),
  w2: (): DaemonDescriptionInput => ({ id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') }),
};
const allNodes = () => [swarm.manager(), swarm.w1(), swarm.w2()];
/** The daemons the extension "knows": the swarm's three, and one that is in no swarm. */
const known = () => [...allNodes(), { id: 'tcp', host: need('DOCKER_TCP_HOST') }];
const asUser = (ds: DaemonDescriptionInput[]): KnownDaemon[] => ds.map((daemon) => ({ daemon, source: 'user' }));

async function nodeIdOf(d: DaemonDescriptionInput): Promise<string> {
  const c = createDaemonClient(d);
  try {
    return (await swarmMembership(c)).nodeId;
  } finally {
    c.dispose();
  }
}

interface Ran {
  outcome: RunOutcome;
  stdout: string;
  status: string[];
  ws: string;
  id: string;
  /** The node Swarm placed the task on, read from the task while it ran. */
  node?: string;
  startedAt?: number;
  endedAt: number;
}

async function run(
  configInput: Record<string, unknown>,
  script: string,
  opts: {
    manager?: DaemonDescriptionInput;
    known?: () => DaemonDescriptionInput[];
    /** Daemons defined in workspace settings, besides `known` (the user's). */
    workspaceKnown?: () => DaemonDescriptionInput[];
    /** Where the manager's definition came from (default: user settings). */
    managerSource?: KnownDaemon['source'];
    signal?: AbortSignal;
    onStatus?: (t: string) => void;
    request?: Partial<RunRequest>;
    image?: string;
    /** Called with the back-end before the run (a long-lived back-end has met its nodes before). */
    before?: (backend: DockerSwarmBackend) => Promise<void>;
    /** More files of the workspace, by relative path. */
    files?: Record<string, string | Buffer>;
  } = {},
): Promise<Ran> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-swarm-'));
  fs.writeFileSync(path.join(ws, 'recipe.sh'), script);
  fs.writeFileSync(path.join(ws, 'input.txt'), 'from the workspace\n');
  for (const [rel, body] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), body);
  }
  const manager = opts.manager ?? swarm.manager();
  const image = opts.image ?? need('BUSYBOX_IMAGE');
  const r = validateConfiguration({ name: 'swarm-test', daemon: manager.id, baseImage: image, swarm: {}, ...configInput });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const client = createDaemonClient(manager);
  const backend = new DockerSwarmBackend(
    client,
    async () => [
      ...asUser((opts.known ?? known)()),
      ...(opts.workspaceKnown?.() ?? []).map((daemon) => ({ daemon, source: 'workspace' as const })),
    ],
    true,
    opts.managerSource,
  );
  const ran: Partial<Ran> = { stdout: '', status: [], ws, id };
  const decoder = new StringDecoder('utf8');
  try {
    await opts.before?.(backend);
    ran.outcome = await runRecipe(
      backend,
      {
        id,
        recipe: 'recipe.sh',
        config: r.config,
        image,
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, '.container-exec', 'runs', id),
        groups: ['root'],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 2,
        extensionVersion: '9.9.9-test',
        ...opts.request,
      },
      {
        signal: opts.signal ?? new AbortController().signal,
        onOutput: (chunk) => {
          if (ran.startedAt === undefined) {
            ran.startedAt = Date.now();
            void listTasks(client, { service: [`container-exec-run-${id}`] }).then((t) => (ran.node = t[0]?.nodeId));
          }
          ran.stdout += decoder.write(chunk);
        },
        onStatus: (t) => (ran.status!.push(t), opts.onStatus?.(t)),
        onWarning: (t) => ran.status!.push(`warning: ${t}`),
      },
    );
    ran.endedAt = Date.now();
    return ran as Ran;
  } finally {
    backend.dispose();
  }
}

/** Services and containers of run `id` left anywhere on the swarm. */
async function leftovers(id: string): Promise<string[]> {
  const left: string[] = [];
  const m = createDaemonClient(swarm.manager());
  try {
    left.push(...(await listServices(m, [`${LABELS.run}=${id}`])).map((s) => `service ${s.name}`));
  } finally {
    m.dispose();
  }
  for (const d of allNodes()) {
    const c = createDaemonClient(d);
    try {
      left.push(...(await listContainers(c)).filter((x) => x.labels[LABELS.run] === id).map((x) => `container ${x.name} on ${d.id}`));
    } finally {
      c.dispose();
    }
  }
  return left;
}
const nothingLeft = (id: string) =>
  until(`nothing of run ${id} left`, 15000, async () => (await leftovers(id)).length === 0).catch(async (e: Error) =>
    assert.fail(`${e.message}: ${(await leftovers(id)).join(', ')}`),
  );

/** Follows every node's events: the "start" of any container of run `id`, as each node's daemon reports it. */
async function containerStartsOf(id: string): Promise<{ seen: () => string[]; close: () => void }> {
  const stop = new AbortController();
  const seen: string[] = [];
  const clients = allNodes().map((d) => ({ d, c: createDaemonClient(d) }));
  for (const { d, c } of clients)
    void followEvents(
      c,
      (e) => e.type === 'container' && e.action === 'start' && e.attributes[LABELS.run] === id && seen.push(`${e.id} on ${d.id}`),
      stop.signal,
    );
  return { seen: () => seen, close: () => (stop.abort(), clients.forEach(({ c }) => c.dispose())) };
}

/**
 * A TCP path to a unix-socket daemon, to cut as a network would: until `cut()` every connection goes
 * through to the real daemon; after it, connecting is refused and open connections are closed.
 */
async function relayTo(host: string): Promise<{ host: string; connections: () => number; cut: () => Promise<void> }> {
  const socketPath = host.replace(/^unix:\/\//, '');
  const open = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((down) => {
    connections++;
    const up = net.connect(socketPath);
    for (const s of [down, up]) {
      open.add(s);
      s.on('error', () => (down.destroy(), up.destroy()));
      s.on('close', () => (open.delete(s), down.destroy(), up.destroy()));
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `tcp://127.0.0.1:${port}`,
    connections: () => connections,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        open.forEach((s) => s.destroy());
      }),
  };
}

const LIMITS = `
if [ -f /sys/fs/cgroup/memory.max ]; then echo "mem $(cat /sys/fs/cgroup/memory.max)"; echo "cpu $(cat /sys/fs/cgroup/cpu.max)"
else echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi
`;

describe('Docker Swarm back-end (testbed swarm)', function () {
  this.timeout(120000);

  it("a recipe runs on the node Swarm chose, with the configuration's limits; its output in order; out/ comes back; no service or container is left", async () => {
    const r = await run(
      { resources: { memory: '64m', cpus: 0.5 } },
      `cat input.txt\n${LIMITS}\nfor i in 1 2 3 4 5; do echo "line $i"; done\nmkdir -p out; echo "$CONTAINER_EXEC_RUN_ID" > out/result.txt\n`,
    );
    assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.status.join('\n')}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'from the workspace');
    assert.equal(lines[1], `mem ${64 * 1024 * 1024}`);
    assert.match(lines[2]!, /^cpu 50000 100000$/);
    assert.deepEqual(lines.slice(3), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    assert.equal(fs.readFileSync(path.join(r.ws, '.container-exec', 'runs', r.id, 'out', 'result.txt'), 'utf8'), `${r.id}\n`);
    const ids = await Promise.all(allNodes().map(nodeIdOf));
    assert.ok(r.node && ids.includes(r.node), `the task's node ${r.node} is one of the swarm's ${ids.join(', ')}`);
    assert.ok(
      r.status.some((s) => s.startsWith(`Placed on node ${r.node!.slice(0, 12)}`)),
      r.status.join('\n'),
    );
    await nothingLeft(r.id);
  });

  it("three runs that reserve most of a node run on three different nodes at once; a fourth is queued with Swarm's reason and starts when one ends", async () => {
    const big = { resources: { cpus: 1.5, memory: '32m' } };
    const script = 'echo started; sleep 4; echo done\n';
    let placed = 0;
    const onStatus = (t: string) => void (t.startsWith('Placed on node') && placed++);
    const first = [run(big, script, { onStatus }), run(big, script, { onStatus }), run(big, script, { onStatus })];
    await until('the three placed', 60000, () => placed === 3); // issue 29 finding 9: no sleep assuming their placement
    const queued: string[] = [];
    const fourth = run(big, script, { onStatus: (t) => t.startsWith('Queued') && queued.push(t) });
    const ran = await Promise.all(first);
    const last = await fourth;
    for (const r of [...ran, last]) assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.status.join('\n')}`);
    assert.equal(new Set(ran.map((r) => r.node)).size, 3, `three nodes: ${ran.map((r) => r.node).join(', ')}`);
    // the three overlapped: each started before any ended
    assert.ok(Math.max(...ran.map((r) => r.startedAt!)) < Math.min(...ran.map((r) => r.endedAt)), 'the three ran at once');
    assert.ok(
      queued.some((q) => /insufficient resources/.test(q)),
      `queued with Swarm's reason: ${queued.join(' | ')}`,
    );
    assert.ok(last.startedAt! >= Math.min(...ran.map((r) => r.endedAt)) - 1500, 'the fourth started when one of the three ended');
    for (const r of [...ran, last]) await nothingLeft(r.id);
  });

  it('a GPU configuration lands on the worker that advertises the generic resource', async () => {
    const r = await run({ gpus: 1 }, 'echo on the gpu node\n');
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.node, await nodeIdOf(swarm.w2()));
    assert.equal(r.stdout, 'on the gpu node\n');
    await nothingLeft(r.id);
  });

  describe('images on the nodes (a tag of this test only)', () => {
    const docker = (h: string, ...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile('docker', ['-H', h, ...args], { encoding: 'utf8', timeout: 120000 }, (e, stdout, stderr) =>
          e ? reject(new Error(`docker ${args.join(' ')}: ${stderr || e.message}`)) : resolve(stdout.trim()),
        ),
      );
    const hosts = () => [need('DOCKER_SWARM_MANAGER_HOST'), need('DOCKER_SWARM_WORKER1_HOST'), need('DOCKER_SWARM_WORKER2_HOST')];
    const onW1 = { swarm: { nodeLabels: { 'dockerenv.role': 'swarm-w1' } } };
    /** Deletes the pushed manifest (the registry's API), so the test leaves nothing in the registry. */
    async function dropFromRegistry(registry: string, ref: string) {
      const [repo, tag] = ref.slice(registry.length + 1).split(':') as [string, string];
      const accept = { Accept: 'application/vnd.docker.distribution.manifest.v2+json' };
      const head = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: accept });
      const digest = head.headers.get('docker-content-digest');
      if (digest) await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
    }
    async function has(d: DaemonDescriptionInput, ref: string) {
      const c = createDaemonClient(d);
      try {
        return await imageExists(c, ref);
      } finally {
        c.dispose();
      }
    }

    it('without a registry, a node lacking the image gets a copy from the manager: the run works there and the node has the image after', async () => {
      const tag = `local/swarm-copy-test:${newRunId().toLowerCase()}`;
      await docker(need('DOCKER_SWARM_MANAGER_HOST'), 'tag', need('BUSYBOX_IMAGE'), tag);
      try {
        assert.equal(await has(swarm.w1(), tag), false, 'swarm-w1 has the fresh tag before the run');
        const r = await run(onW1, 'echo copied\n', { image: tag });
        assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.status.join('\n')}`);
        assert.equal(r.node, await nodeIdOf(swarm.w1()));
        assert.equal(r.stdout, 'copied\n');
        assert.ok(
          r.status.some((t) => t.startsWith(`Copying image ${tag} to node `) && t.includes(need('DOCKER_SWARM_WORKER1_HOST'))),
          r.status.join('\n'),
        );
        assert.equal(await has(swarm.w1(), tag), true, 'swarm-w1 lacks the image after the run');
        await nothingLeft(r.id);
      } finally {
        for (const h of hosts()) await docker(h, 'image', 'rm', tag).catch(() => undefined);
      }
    });

    it("with the configuration's registry, nodes pull the image themselves: no copy, and the node lacking it has it after the run", async () => {
      const registry = need('DOCKER_REGISTRY');
      const tag = `${registry}/container-exec-test/swarm-pull:${newRunId().toLowerCase()}`;
      const m = need('DOCKER_SWARM_MANAGER_HOST');
      await docker(m, 'tag', need('BUSYBOX_IMAGE'), tag);
      try {
        await docker(m, 'push', tag);
        assert.equal(await has(swarm.w1(), tag), false, 'swarm-w1 has the fresh tag before the run');
        const r = await run({ ...onW1, registry: { url: registry } }, 'echo pulled\n', { image: tag });
        assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.status.join('\n')}`);
        assert.equal(r.node, await nodeIdOf(swarm.w1()));
        assert.equal(r.stdout, 'pulled\n');
        assert.ok(!r.status.some((t) => t.startsWith('Copying image')), r.status.join('\n'));
        assert.equal(await has(swarm.w1(), tag), true, 'swarm-w1 did not pull the image');
        await nothingLeft(r.id);
      } finally {
        for (const h of hosts()) await docker(h, 'image', 'rm', tag).catch(() => undefined);
        await dropFromRegistry(registry, tag).catch(() => undefined);
      }
    });
  });

  it('Stop mid-run ends the task: its outputs still come back, and the service goes', async () => {
    const stop = new AbortController();
    const p = run({}, 'mkdir -p out; echo partial > out/partial.txt; echo ready; sleep 60\n', {
      signal: stop.signal,
      onStatus: (t) => t.startsWith('Running sh') && setTimeout(() => stop.abort(), 1000),
    });
    const r = await p;
    assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
    assert.equal(fs.readFileSync(path.join(r.ws, '.container-exec', 'runs', r.id, 'out', 'partial.txt'), 'utf8'), 'partial\n');
    await nothingLeft(r.id);
  });

  it("Open Shell in Run on a swarm run (finding 6): an exec from another back-end of the swarm reaches the task's container on its node; the run goes on", async () => {
    const stop = new AbortController();
    const id = newRunId();
    let running = false;
    const p = run({}, 'echo ready; sleep 60\n', {
      signal: stop.signal,
      request: { id },
      onStatus: (t) => t.startsWith('Running sh') && (running = true),
    });
    let ended = false;
    void p.finally(() => (ended = true));
    try {
      await until('the run running', 90000, () => running || ended);
      // as Open Shell in Run does: a back-end of the run's target opened for the exec alone, then disposed
      const other = new DockerSwarmBackend(createDaemonClient(swarm.manager()), async () => asUser(known()), true);
      let out = '';
      try {
        const session = await other.run(id).exec(['/bin/sh', '-c', 'echo "in-run-$CONTAINER_EXEC_RUN_ID"']);
        session.stdout.on('data', (b: Buffer) => (out += b.toString()));
        assert.equal(await session.exit(), 0);
      } finally {
        other.dispose();
      }
      assert.equal(out, `in-run-${id}\n`);
      assert.ok(!ended, 'the run ended with the shell');
    } finally {
      stop.abort();
    }
    const r = await p;
    assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
    await nothingLeft(id);
  });

  describe('bad input and faults', () => {
    it("cancel while queued: the run shows Swarm's reason, then is cancelled and its service removed", async () => {
      const stop = new AbortController();
      const r = await run({ swarm: { nodeLabels: { 'dockerenv.role': 'nowhere' } } }, 'echo never\n', {
        signal: stop.signal,
        onStatus: (t) => /^Queued.*no suitable node/.test(t) && stop.abort(),
      });
      assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
      assert.ok(
        r.status.some((s) =>
          /^Queued on swarm of manager "swarm-m".*: no suitable node \(scheduling constraints not satisfied on 3 nodes\)/.test(s),
        ),
        r.status.join('\n'),
      );
      assert.equal(r.stdout, '');
      await nothingLeft(r.id);
    });

    it('cancel once the service exists, before its container started (issue 29 finding 3): the task was assigned when cancelled, and no container of it ever starts', async () => {
      // Swarm (20.10) still starts the container of a job task assigned before its service was removed
      const BEFORE_START = new Set(['assigned', 'accepted', 'preparing']);
      let rounds = 0;
      for (let attempt = 0; rounds < 3; attempt++) {
        assert.ok(attempt < 8, `only ${rounds} of 8 attempts cancelled while the task was assigned`);
        const id = newRunId();
        const starts = await containerStartsOf(id);
        const stop = new AbortController();
        const m = createDaemonClient(swarm.manager());
        // the test's own look at the manager: cancel the moment Swarm gave the task a node, before it runs
        const watching = (async () => {
          while (!stop.signal.aborted) {
            const [t] = await listTasks(m, { service: [`container-exec-run-${id}`] }).catch(() => []);
            if (t && t.state !== 'new' && t.state !== 'pending') return (stop.abort(), BEFORE_START.has(t.state) ? t : undefined);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })().finally(() => m.dispose());
        const r = await run({}, 'echo never\n', { signal: stop.signal, request: { id } });
        const atCancel = await watching;
        assert.equal(r.outcome.state, 'cancelled', `${r.outcome.message}\n${r.status.join('\n')}`);
        if (atCancel) rounds++; // else the task ran before the look saw it assigned: that round shows nothing
        // a bounded poll that fails the moment an orphan appears: its container is made within ~1 s
        const t0 = Date.now();
        while (Date.now() - t0 < 5000) {
          if (atCancel)
            assert.deepEqual(starts.seen(), [], `round ${rounds}: a container of the run cancelled while ${atCancel.state} started`);
          assert.deepEqual(await leftovers(id), [], `attempt ${attempt}: ${r.status.join(' | ')}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        starts.close();
      }
    });

    it('a service removed by hand while its run waits fails that run, naming why; a run waiting beside it goes on waiting', async () => {
      const nowhere = { swarm: { nodeLabels: { 'dockerenv.role': 'nowhere' } } };
      const victimId = newRunId();
      const bystanderStop = new AbortController();
      const bystander = run(nowhere, 'echo never\n', { signal: bystanderStop.signal });
      const m = createDaemonClient(swarm.manager());
      let removed = false;
      const victim = await run(nowhere, 'echo never\n', {
        request: { id: victimId },
        onStatus: (t) => {
          if (/^Queued/.test(t) && !removed) {
            removed = true;
            void removeService(m, `container-exec-run-${victimId}`);
          }
        },
      }).finally(() => m.dispose());
      assert.equal(victim.outcome.state, 'failed', victim.outcome.message);
      assert.match(
        victim.outcome.message,
        /The run's service \w+ was removed from the swarm \(unix:.*\) while the run waited for Swarm to start it/,
      );
      // the bystander's own poll still answers: it is cancelled, not failed, when stopped
      await new Promise((resolve) => setTimeout(resolve, 1000));
      bystanderStop.abort();
      const b = await bystander;
      assert.equal(b.outcome.state, 'cancelled', `${b.outcome.message}\n${b.status.join('\n')}`);
      await nothingLeft(victimId);
      await nothingLeft(b.id);
    });

    it('a workspace folder named like the old gate marker (.container-exec-go) does not open the gate before the upload ends: the recipe sees the whole workspace, that folder included', async () => {
      const big = 32 * 1024 * 1024;
      const r = await run({}, 'cat .container-exec-go/keep.txt; wc -c < zz-big.bin; ls -A\n', {
        files: { '.container-exec-go/keep.txt': 'kept\n', 'zz-big.bin': Buffer.alloc(big, 7) },
      });
      assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.status.join('\n')}`);
      const [kept, size, ...listing] = r.stdout.trim().split('\n');
      assert.equal(kept, 'kept', r.stdout);
      assert.equal(size?.trim(), String(big), `the recipe started before zz-big.bin was all in: ${r.stdout}`);
      // the gate leaves nothing of its own in the working directory
      assert.deepEqual(listing.sort(), ['.container-exec-go', 'input.txt', 'out', 'recipe.sh', 'zz-big.bin']);
      await nothingLeft(r.id);
    });

    it('a daemon that is in no swarm is refused as a swarm target', async () => {
      const r = await run({}, 'echo never\n', { manager: { id: 'tcp', host: need('DOCKER_TCP_HOST') } });
      assert.equal(r.outcome.failure, 'capacity');
      assert.match(
        r.outcome.message,
        /daemon "tcp" \(tcp:\/\/127\.0\.0\.1:23750\) is not in a swarm \(its swarm state is "inactive"\).*Run "docker swarm init" there, or remove "swarm" from configuration swarm-test/,
      );
    });

    it('a worker given as the target is refused: only a manager places services', async () => {
      const r = await run({}, 'echo never\n', { manager: swarm.w1() });
      assert.equal(r.outcome.failure, 'capacity');
      assert.match(r.outcome.message, /daemon "swarm-w1" .* is a worker of its swarm, not a manager/);
    });

    it('a request larger than every node is refused with the numbers, before anything is created', async () => {
      const r = await run({ resources: { memory: '4096g', cpus: 64 } }, 'echo never\n');
      assert.equal(r.outcome.failure, 'capacity');
      assert.match(
        r.outcome.message,
        /a run reserves 4096g of memory, but the largest node of swarm of manager "swarm-m" .* has [\d.]+g \(3 nodes\)/,
      );
      assert.match(r.outcome.message, /resources\.cpus 64 exceeds every node of .*: the largest has 2 CPUs/);
      assert.match(r.outcome.message, /Nothing was created/);
      assert.deepEqual(await leftovers(r.id), []);
    });

    it('a run only a node the extension cannot reach could hold is refused naming that node; other runs stay off it', async () => {
      const w2 = await nodeIdOf(swarm.w2());
      const knowNoW2 = () => [swarm.manager(), swarm.w1()];
      const r = await run({ gpus: 1 }, 'echo never\n', { known: knowNoW2 });
      assert.equal(r.outcome.failure, 'capacity');
      assert.match(
        r.outcome.message,
        new RegExp(
          `only nodes the extension cannot reach could hold the run: \\S+ \\(${w2.slice(0, 12)}\\); their outputs could not come back`,
        ),
      );
      const ok = await run({}, 'echo fine\n', { known: knowNoW2 });
      assert.equal(ok.outcome.state, 'succeeded', ok.outcome.message);
      assert.notEqual(ok.node, w2);
      assert.ok(
        ok.status.some((s) => s.startsWith('warning: runs are not placed on') && s.includes(w2.slice(0, 12))),
        ok.status.join('\n'),
      );
    });

    it('a workspace daemon that says it is a node of a user-settings swarm is not trusted with it (an impostor would get the workspace and image): a run only that node could hold is refused naming the entry; a workspace-defined swarm may use it', async () => {
      const w2 = await nodeIdOf(swarm.w2());
      // a different daemon endpoint (an impostor's relay) that answers /info as swarm-w2 does
      const relay = await relayTo(need('DOCKER_SWARM_WORKER2_HOST'));
      try {
        const impostor = () => [{ id: 'ws-w2', host: relay.host }];
        const r = await run({ gpus: 1 }, 'echo never\n', { known: () => [swarm.manager(), swarm.w1()], workspaceKnown: impostor });
        assert.equal(r.outcome.failure, 'capacity', `${r.outcome.message}\n${r.status.join('\n')}`);
        assert.match(
          r.outcome.message,
          new RegExp(`only nodes the extension cannot reach could hold the run: \\S+ \\(${w2.slice(0, 12)}\\)`),
        );
        assert.ok(
          r.outcome.message.includes(
            `daemon "ws-w2" (${relay.host}) from workspace settings says it is that node, but workspace settings cannot name the nodes of a swarm whose manager is not theirs`,
          ),
          r.outcome.message,
        );
        assert.deepEqual(await leftovers(r.id), []);
        // the manager itself from the workspace: the workspace's own daemons serve its swarm
        const ok = await run({ gpus: 1 }, 'echo through the workspace daemon\n', {
          known: () => [swarm.manager(), swarm.w1()],
          workspaceKnown: impostor,
          managerSource: 'workspace',
        });
        assert.equal(ok.outcome.state, 'succeeded', `${ok.outcome.message}\n${ok.status.join('\n')}`);
        assert.equal(ok.node, w2);
        assert.ok(
          ok.status.some((t) => t.startsWith(`Placed on node ${w2.slice(0, 12)} (${relay.host})`)),
          ok.status.join('\n'),
        );
        await nothingLeft(ok.id);
      } finally {
        await relay.cut();
      }
    });

    it('two daemons with different connections that say they are the same node: that node is refused naming both; two entries with one connection are one daemon', async () => {
      const w2 = await nodeIdOf(swarm.w2());
      const relay = await relayTo(need('DOCKER_SWARM_WORKER2_HOST'));
      try {
        const r = await run({ gpus: 1 }, 'echo never\n', { known: () => [...allNodes(), { id: 'w2-other', host: relay.host }] });
        assert.equal(r.outcome.failure, 'capacity', `${r.outcome.message}\n${r.status.join('\n')}`);
        assert.match(r.outcome.message, new RegExp(`node \\S+ \\(${w2.slice(0, 12)}\\): daemon .* each say they are that node`));
        for (const named of [`daemon "swarm-w2" (${need('DOCKER_SWARM_WORKER2_HOST')})`, `daemon "w2-other" (${relay.host})`])
          assert.ok(r.outcome.message.includes(named), `${named} in: ${r.outcome.message}`);
        assert.deepEqual(await leftovers(r.id), []);
        // a run other nodes can hold goes there, with a warning that says why that node is left out
        const elsewhere = await run({}, 'echo elsewhere\n', { known: () => [...allNodes(), { id: 'w2-other', host: relay.host }] });
        assert.equal(elsewhere.outcome.state, 'succeeded', elsewhere.outcome.message);
        assert.notEqual(elsewhere.node, w2);
        assert.ok(
          elsewhere.status.some(
            (t) =>
              t.startsWith('warning: runs are not placed on') && t.includes(w2.slice(0, 12)) && t.includes('each say they are that node'),
          ),
          elsewhere.status.join('\n'),
        );
        await nothingLeft(elsewhere.id);
        const alias = { id: 'w2-alias', host: need('DOCKER_SWARM_WORKER2_HOST') };
        const ok = await run({ gpus: 1 }, 'echo on w2\n', { known: () => [...allNodes(), alias] });
        assert.equal(ok.outcome.state, 'succeeded', `${ok.outcome.message}\n${ok.status.join('\n')}`);
        assert.equal(ok.node, w2);
        await nothingLeft(ok.id);
      } finally {
        await relay.cut();
      }
    });

    it("no registry, and a node's daemon that cannot be reached to copy the image: refused naming the node and what to do; nothing is left", async () => {
      const w1 = await nodeIdOf(swarm.w1());
      const relay = await relayTo(need('DOCKER_SWARM_WORKER1_HOST'));
      try {
        const r = await run({}, 'echo never\n', {
          // the extension knows worker swarm-w1 only through the relay
          known: () => [swarm.manager(), { id: 'swarm-w1', host: relay.host }, swarm.w2()],
          // the back-end has met the node through its daemon (its /info named the node id), then the path to it goes
          before: async (backend) => {
            assert.ok((await backend.nodes()).has(w1), 'the back-end did not match swarm-w1 through the relay');
            await relay.cut();
          },
        });
        assert.ok(relay.connections() > 0, 'nothing went through the relay');
        assert.equal(r.outcome.state, 'failed', r.outcome.message);
        assert.equal(r.outcome.failure, 'engine', r.outcome.message);
        const esc = (t: string) => t.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
        assert.match(
          r.outcome.message,
          new RegExp(
            `^Could not copy image ${esc(need('BUSYBOX_IMAGE'))} to node \\S+ \\(${w1.slice(0, 12)}\\) through ${esc(relay.host)}: .+\\. ` +
              esc("Give the configuration a registry the nodes pull from, or make the node's daemon reachable.") +
              '$',
          ),
        );
        assert.equal(r.stdout, '');
        await nothingLeft(r.id);
      } finally {
        await relay.cut();
      }
    });

    it("finding 7 of issue 23: a copy to the nodes whose save goes silent mid-stream fails within the copy's idle deadline naming the image, the node and both daemons; nothing is left", async () => {
      const docker = (h: string, ...args: string[]) =>
        new Promise<string>((resolve, reject) =>
          execFile('docker', ['-H', h, ...args], { encoding: 'utf8', timeout: 120000 }, (e, stdout, stderr) =>
            e ? reject(new Error(`docker ${args.join(' ')}: ${stderr || e.message}`)) : resolve(stdout.trim()),
          ),
        );
      const m = need('DOCKER_SWARM_MANAGER_HOST');
      const tag = `local/swarm-silent:${Date.now().toString(36)}`;
      // an image of 30 MB only the manager has; the relay passes the first 1 MB of each save, then nothing (the connection stays open)
      const maker = `swarm-silent-maker-${process.pid}`;
      await docker(m, 'run', '--name', maker, need('BUSYBOX_IMAGE'), 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=30');
      await docker(m, 'commit', maker, tag);
      await docker(m, 'rm', maker);
      const relay = await Relay.start(m, (_, p) => (/\/images\/get\b/.test(p) ? 1e6 : undefined));
      const manager = { id: 'swarm-m', host: relay.host, timeoutMs: 1500 };
      const nodes = [swarm.w1(), swarm.w2()].map((d) => ({ ...d, timeoutMs: 1500 }));
      const idleMs = copyIdleMs(createDaemonClient(manager), createDaemonClient(nodes[0]!));
      const cancel = new AbortController();
      // without a deadline the copy waits for ever: the test cancels it after 3 × the deadline
      void relay.firstSilence.then(() => setTimeout(() => cancel.abort(), 3 * idleMs).unref());
      try {
        const r = await run({}, 'echo never\n', { manager, image: tag, signal: cancel.signal, known: () => [swarm.manager(), ...nodes] });
        assert.ok(relay.silencedAt, `the save never went silent: ${r.status.join('\n')}`);
        assert.equal(r.outcome.state, 'failed', r.outcome.message);
        assert.ok(r.endedAt - relay.silencedAt <= 3 * idleMs, `ended ${r.endedAt - relay.silencedAt} ms after the save went silent`);
        const esc = (t: string) => t.replace(/[.*+?^$()|[\]\\{}/]/g, '\\$&');
        assert.match(
          r.outcome.message,
          new RegExp(
            `^Could not copy image ${esc(tag)} to node \\S+ \\([0-9a-z]{12}\\) through (unix://\\S+): Copying image ${esc(tag)} from ${esc(relay.host)} to \\1 was cut after [\\d.]+ MB: ${esc(relay.host)} sent no bytes for ${idleMs} ms\\. `,
          ),
        );
        assert.equal(r.stdout, '');
        await nothingLeft(r.id);
        for (const d of nodes) {
          const c = createDaemonClient(d);
          try {
            assert.equal(await imageExists(c, tag), false, `the stalled copy left the image on ${d.id}`);
          } finally {
            c.dispose();
          }
        }
      } finally {
        cancel.abort();
        await relay.close();
        for (const h of [m, need('DOCKER_SWARM_WORKER1_HOST'), need('DOCKER_SWARM_WORKER2_HOST')])
          await docker(h, 'image', 'rm', '-f', tag).catch(() => undefined);
      }
    });

    it('a node drained mid-run: Swarm (20.10) lets the running job task finish there, its outputs come back; new runs stay off the drained node', async () => {
      const w1 = await nodeIdOf(swarm.w1());
      const m = createDaemonClient(swarm.manager());
      let draining: Promise<void> | undefined;
      try {
        const r = await run(
          { swarm: { nodeLabels: { 'dockerenv.role': 'swarm-w1' } } },
          'echo ready; sleep 4; mkdir -p out; echo after > out/after.txt\n',
          {
            onStatus: (t) => {
              if (t.startsWith('Running sh') && !draining) draining = setNodeAvailability(m, w1, 'drain');
            },
          },
        );
        await draining;
        assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
        assert.equal(r.node, w1);
        assert.equal(fs.readFileSync(path.join(r.ws, '.container-exec', 'runs', r.id, 'out', 'after.txt'), 'utf8'), 'after\n');
        await nothingLeft(r.id);
        const next = await Promise.all([run({}, 'echo elsewhere\n'), run({}, 'echo elsewhere\n')]);
        for (const n of next) {
          assert.equal(n.outcome.state, 'succeeded', n.outcome.message);
          assert.notEqual(n.node, w1);
        }
      } finally {
        await draining;
        await setNodeAvailability(m, w1, 'active');
        m.dispose();
      }
    });

    it("the manager stopped mid-run fails the run within 3× its heartbeat's two missed beats once it is down (issue 29 finding 7); once it is back, the run's service is found by label and removed", async function () {
      this.timeout(180000);
      const w1 = await nodeIdOf(swarm.w1());
      const HEARTBEAT_MS = 500;
      let downAt = 0;
      let stopping: Promise<void> | undefined;
      // on a worker: the manager's daemon going does not take the task's container with it
      const r = await run({ swarm: { nodeLabels: { 'dockerenv.role': 'swarm-w1' } } }, 'echo ready; sleep 60\n', {
        request: { heartbeatMs: HEARTBEAT_MS },
        onStatus: (t) => {
          if (!t.startsWith('Running sh') || stopping) return;
          stopping = stopSwarmDaemon('swarm-m').then(() => void (downAt = Date.now()));
        },
      });
      try {
        assert.equal(r.outcome.failure, 'daemon-lost', r.outcome.message);
        assert.match(r.outcome.message, /^Swarm of manager "swarm-m" .* stopped answering mid-run/);
        // once its daemon is down (the stop returned), every ping fails at once: two missed beats, bounded at 3×
        await stopping;
        const failedAfter = r.endedAt - downAt;
        assert.ok(failedAfter < 3 * 2 * HEARTBEAT_MS, `failed ${failedAfter} ms after the manager was down`);
      } finally {
        await stopping;
        await startTestbed();
      }
      const m = createDaemonClient(swarm.manager());
      const backend = new DockerSwarmBackend(m, async () => asUser(known()), true);
      try {
        const lost = await until('the lost service listed', 30000, async () =>
          (await backend.findLost(r.ws, new Set()).catch(() => [])).find((l) => l.runId === r.id),
        );
        assert.equal(lost.name, `container-exec-run-${r.id}`);
        const tasks = await listTasks(m, { service: [lost.name] });
        assert.equal(tasks[0]?.nodeId, w1);
        await backend.removeLost(lost);
      } finally {
        backend.dispose();
      }
      await nothingLeft(r.id);
    });

    it('fields Swarm cannot honour are refused on a swarm configuration, each with why', () => {
      const r = validateConfiguration({
        name: 's',
        daemon: 'swarm-m',
        swarm: {},
        runtime: 'nvidia',
        gpus: 'all',
        resources: { cpusetCpus: '0', shmSize: '64m' },
      });
      assert.ok(!r.ok);
      assert.deepEqual(r.errors.map((e) => e.field).sort(), ['gpus', 'resources.cpusetCpus', 'resources.shmSize', 'runtime']);
      assert.match(
        r.errors.find((e) => e.field === 'runtime')!.message,
        /^runtime: Docker Swarm cannot honour it on a swarm configuration \(a swarm service has no per-service runtime/,
      );
      assert.ok(
        validateConfiguration({ name: 's', daemon: 'local', runtime: 'nvidia', gpus: 'all' }).ok,
        'the same fields are fine without swarm',
      );
    });
  });
});
