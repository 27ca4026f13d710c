// Issue 23, finding 2, for swarm runs: the outputs a run kept in its task container are fetched through the
// daemon of the node it landed on; a node daemon that does not answer is "try again", never "gone".
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerSwarmBackend,
  LABELS,
  createDaemonClient,
  listContainers,
  listServices,
  listTasks,
  newRunId,
  removeContainer,
  removeService,
  runRecipe,
  swarmMembership,
  validateConfiguration,
  type DaemonDescriptionInput,
  type Placement,
  type RunOutcome,
} from '../../src/core';
import { need } from '../support/testbed';

const swarm = {
  manager: (): DaemonDescriptionInput => ({ id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') }),
  w1: (): DaemonDescriptionInput => ({ id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') }),
  w2: (): DaemonDescriptionInput => ({ id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') }),
};
const nodes = () => [swarm.manager(), swarm.w1(), swarm.w2()];

/** A swarm back-end that knows the nodes' daemons as `known` says. */
const backendOf = (known: () => DaemonDescriptionInput[]) =>
  new DockerSwarmBackend(
    createDaemonClient(swarm.manager()),
    async () => known().map((daemon) => ({ daemon, source: 'user' as const })),
    true,
  );

describe('issue 23 finding 2: Fetch Run Outputs of a swarm run asks the daemon of the node it landed on (testbed swarm)', function () {
  this.timeout(120000);
  let ws = '';
  let id = '';
  let outcome: RunOutcome;
  let placement: Placement | undefined;

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-swarm-kept-'));
    fs.writeFileSync(path.join(ws, 'recipe.sh'), 'mkdir -p out; for i in 1 2 3 4 5 6; do echo $i > out/f$i.txt; done\n');
    const r = validateConfiguration({
      name: 'swarm-kept',
      daemon: 'swarm-m',
      baseImage: need('BUSYBOX_IMAGE'),
      // on a worker: its daemon can be made unreachable below without losing the manager
      swarm: { constraints: ['node.role==worker'] },
    });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    id = newRunId();
    const backend = backendOf(nodes);
    try {
      outcome = await runRecipe(
        backend,
        {
          id,
          recipe: 'recipe.sh',
          config: r.config,
          image: need('BUSYBOX_IMAGE'),
          pull: false,
          workspaceDir: ws,
          outputsDir: path.join(ws, 'runs', id),
          groups: ['root'],
          interpreters: DEFAULT_INTERPRETERS,
          graceSeconds: 2,
          extensionVersion: '9.9.9-test',
          outputMaxEntries: 3,
        },
        { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
      );
      placement = backend.placement;
    } finally {
      backend.dispose();
    }
    assert.equal(outcome.state, 'succeeded', outcome.message);
    assert.ok(outcome.outputsKept, 'the outputs were not kept');
  });
  after(async () => {
    const m = createDaemonClient(swarm.manager());
    await removeService(m, `container-exec-run-${id}`).catch(() => undefined);
    m.dispose();
    for (const d of nodes()) {
      const c = createDaemonClient(d);
      for (const x of await listContainers(c).catch(() => []))
        if (x.labels[LABELS.run] === id) await removeContainer(c, x.id).catch(() => undefined);
      c.dispose();
    }
    fs.rmSync(ws, { recursive: true, force: true });
  });

  /** The daemon of the node the manager says the task is on. */
  const landed = async () => {
    const m = createDaemonClient(swarm.manager());
    try {
      const [task] = await listTasks(m, { service: [`container-exec-run-${id}`] });
      for (const d of nodes()) {
        const c = createDaemonClient(d);
        const membership = await swarmMembership(c).finally(() => c.dispose());
        if (membership.nodeId === task?.nodeId) return d.id;
      }
      throw new Error(`no daemon of node ${task?.nodeId}`);
    } finally {
      m.dispose();
    }
  };

  it('the run record names the daemon of the node its task landed on', async () => {
    assert.equal(placement?.daemon, await landed());
  });

  it('that daemon not answering is "try again", never "gone"', async () => {
    const at = await landed();
    // the landed node's daemon, known at an address that never answers
    const silent = () => nodes().map((d) => (d.id === at ? { ...d, host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 } : d));
    const backend = backendOf(silent);
    try {
      await assert.rejects(
        backend.retrieveKeptOutputs(outcome.outputsKept!.container, outcome.outputsKept!.outputPath, path.join(ws, 'x1'), {
          landedOn: at,
          maxEntries: 1000,
        }),
        new RegExp(`Daemon "${at}" \\(.*\\), where run \\S+ landed, did not answer: .*run Fetch Run Outputs again`),
      );
    } finally {
      backend.dispose();
    }
  });

  it('from the landed daemon: the outputs come back, then the service and its container go', async () => {
    const backend = backendOf(nodes);
    const dest = path.join(ws, 'fetched');
    try {
      const got = await backend.retrieveKeptOutputs(outcome.outputsKept!.container, outcome.outputsKept!.outputPath, dest, {
        landedOn: await landed(),
        maxEntries: 1000,
      });
      assert.equal(got.gone, undefined);
      assert.equal(got.removed, true);
      assert.equal(fs.readdirSync(path.join(dest, 'out')).length, 6);
    } finally {
      backend.dispose();
    }
    const m = createDaemonClient(swarm.manager());
    try {
      assert.deepEqual(await listServices(m, [`${LABELS.run}=${id}`]), []);
    } finally {
      m.dispose();
    }
  });
});
