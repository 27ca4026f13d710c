import { PassThrough } from 'node:stream';
import { pullImage, type RegistryAuth } from '../../build/registry';
import type { Configuration } from '../../config/configurationSchema';
import { parseMemory } from '../../config/units';
import { createDaemonClient, type DaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import {
  attachOutput,
  createService,
  findTaskContainer,
  listNodes,
  listServices,
  listTasks,
  loadImage,
  removeService,
  retireJobTasks,
  saveImage,
  swarmMembership,
  type ServiceSpec,
  type SwarmMembership,
  type SwarmNode,
  type SwarmTask,
} from '../../engine/swarm';
import { containerStarted, putArchive, removeContainer } from '../../engine/containers';
import { imageExists } from '../../engine/images';
import { LABELS } from '../../labels';
import { demuxFrames } from '../../run/demux';
import { readOutputOffThread } from '../../run/outputThread';
import { workspaceLabel } from '../../run/recipe';
import { retrieveKeptOutputs, type FetchOutputsOptions, type RetrievedOutputs } from '../../run/runOutputs';
import { packWorkspace } from '../../run/workspaceArchive';
import {
  DOCKER_SWARM,
  type Capacity,
  type ExecOptions,
  type ExecSession,
  type ExecutionBackend,
  type PullDaemon,
  type LostRun,
  type RunExit,
  type RunHandle,
  type RunSpec,
  type RunTarget,
  type StartHooks,
  type Started,
} from '../backend';
import { DockerRun, runContainerName } from '../docker/dockerDaemonBackend';
import type { BackendProvider } from '../registry';
import { configConstraints, placeRequest, swarmRequest } from './swarmPlacement';
import { heartbeat } from '../../heartbeat';
import { TaskWatch } from './taskWatch';
import { untilAborted } from '../../untilAborted';

/**
 * The folder the task's command waits for, in its working directory: the last entry of the workspace
 * upload (a tar is extracted in order: when it exists, the workspace is in), sent once the output is attached.
 */
const GATE_DIR = '.container-exec-go';
/** The task's command: wait for the gate (looked for every 20 ms: the upload takes ~100), remove it, then the recipe (`"$@"`). Every image with a /bin/sh can run it. */
const GATE = `while [ ! -d ${GATE_DIR} ]; do sleep 0.02 2>/dev/null || sleep 1; done; rmdir ${GATE_DIR}; exec "$@"`;
/** Task states after which no container will run. */
const ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
const QUEUED = new Set(['new', 'pending', 'assigned', 'allocated']);

/** How long a daemon's swarm membership, once asked, is taken as known (a daemon seldom leaves or joins a swarm). */
const MEMBERSHIP_FRESH_MS = 30000;
const memberships = new Map<string, { at: number; answer: Promise<SwarmMembership> }>();

/**
 * A daemon's swarm membership (its /info: slow, ~100-300 ms with runs starting), asked once for every run
 * starting meanwhile and remembered for MEMBERSHIP_FRESH_MS while it is an active one; a remembered one is
 * still pinged (a cheap call): a daemon that does not answer now is no node a run can be reached on.
 */
async function membershipOf(client: DaemonClient, opts: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<SwarmMembership> {
  const key = JSON.stringify(client.daemon);
  let entry = memberships.get(key);
  const remembered = !opts.fresh && entry && Date.now() - entry.at < MEMBERSHIP_FRESH_MS;
  if (!remembered) {
    // asked without any one run's signal, as it is shared (the call has its deadline): each stops at its own
    const asked = { at: Date.now(), answer: swarmMembership(client) };
    const forget = () => memberships.get(key) === asked && memberships.delete(key);
    asked.answer.then((m) => m.state !== 'active' && forget(), forget);
    memberships.set(key, (entry = asked));
  }
  const [membership] = await Promise.all([
    untilAborted(entry!.answer, opts.signal),
    remembered ? client.ping({ signal: opts.signal }) : undefined,
  ]);
  return membership;
}

/** A node whose daemon the extension reaches: the task container's calls go through it. */
interface NodeDaemon {
  client: DaemonClient;
  /** The client is this back-end's (not the manager's): disposed with it. */
  owned: boolean;
}

/**
 * Runs as Docker Swarm jobs (replicated-job, one task, no restart) through a manager daemon. Swarm
 * places the task; the workspace goes in and the outputs come out through the daemon of the node it
 * landed on (matched by /info's swarm node id against the daemons the extension knows): the task's
 * command waits for a gate file, created once the workspace is uploaded and the output attached.
 * Nodes the extension cannot reach are kept out of placement by constraints.
 */
export class DockerSwarmBackend implements ExecutionBackend {
  readonly kind = DOCKER_SWARM;
  readonly target: RunTarget;
  private nodeDaemons: Promise<Map<string, NodeDaemon>> | undefined;
  /** Node daemons with a run of this back-end on them: pinged with the manager. */
  readonly activeNodes = new Set<DaemonClient>();

  constructor(
    readonly manager: DaemonClient,
    private readonly knownDaemons: () => Promise<(DaemonDescriptionInput | DaemonDescription)[]>,
    private readonly owned = false,
  ) {
    this.target = { kind: DOCKER_SWARM, id: manager.daemon.id };
  }

  get description(): string {
    return `swarm of manager "${this.manager.daemon.id}" (${this.manager.host})`;
  }

  /**
   * Node id → the daemon of that node, among the daemons the extension knows (asked once per back-end;
   * each daemon's node id is remembered for NODE_ID_FRESH_MS across back-ends: a run does not ask every
   * daemon's /info again). `fresh`: ask them all now (a task landed on a node the map did not have).
   */
  nodes(fresh = false): Promise<Map<string, NodeDaemon>> {
    if (fresh) {
      void this.nodeDaemons?.then((m) => m.forEach((n) => n.owned && n.client.dispose())).catch(() => undefined);
      this.nodeDaemons = undefined;
    }
    this.nodeDaemons ??= (async () => {
      const map = new Map<string, NodeDaemon>();
      const { nodeId: own } = await membershipOf(this.manager, { fresh });
      if (own) map.set(own, { client: this.manager, owned: false });
      const others = (await this.knownDaemons()).filter((d) => d.id !== this.manager.daemon.id);
      await Promise.all(
        others.map(async (d) => {
          const client = createDaemonClient(d);
          const nodeId = await membershipOf(client, { fresh }).then(
            (m) => m.nodeId,
            () => undefined,
          );
          if (nodeId && !map.has(nodeId)) map.set(nodeId, { client, owned: true });
          else client.dispose();
        }),
      );
      return map;
    })();
    this.nodeDaemons.catch(() => (this.nodeDaemons = undefined));
    return this.nodeDaemons;
  }

  async probe(c: Configuration, { signal }: { signal: AbortSignal }): Promise<Capacity> {
    const daemon = `daemon "${this.manager.daemon.id}" (${this.manager.host})`;
    const m = await membershipOf(this.manager, { signal });
    if (m.state !== 'active')
      return {
        errors: [
          {
            field: 'daemon',
            message: `${daemon} is not in a swarm (its swarm state is "${m.state}"${m.error ? `: ${m.error}` : ''}): a swarm configuration targets a swarm manager. Run "docker swarm init" there, or remove "swarm" from configuration ${c.name}`,
          },
        ],
        warnings: [],
      };
    if (!m.manager)
      return {
        errors: [
          {
            field: 'daemon',
            message: `${daemon} is a worker of its swarm, not a manager: only a manager places services. Target a manager daemon of the swarm ("docker node ls" on a manager lists them)`,
          },
        ],
        warnings: [],
      };
    const [nodes, reach] = await Promise.all([listNodes(this.manager, { signal }), this.nodes()]);
    const placed = placeRequest(swarmRequest(c), nodes, new Set(reach.keys()), this.description);
    return { errors: placed.errors, warnings: placed.warnings };
  }

  /** The image must be on the manager (builds of a swarm configuration go there); start copies it to the nodes. */
  hasImage(ref: string, { signal }: { signal: AbortSignal }): Promise<boolean> {
    return imageExists(this.manager, ref, { signal });
  }

  pullImage(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
    return pullImage(this.manager, ref, auth, signal, onLine);
  }

  /** The manager alone pulls (and logs in); the nodes get the image from the registry themselves, without the password. */
  pullsThrough(): PullDaemon {
    return {
      id: this.manager.daemon.id,
      host: this.manager.host,
      why: `the manager of the swarm "${this.manager.daemon.id}" pulls the image`,
    };
  }

  /** Without a registry: `docker save` on the manager → `docker load` on every reachable node that lacks it. */
  async distributeImage(ref: string, nodes: SwarmNode[], signal: AbortSignal, onStatus: (text: string) => void): Promise<void> {
    const reach = await this.nodes();
    const targets = nodes.filter(
      (n) => n.state === 'ready' && n.availability === 'active' && reach.has(n.id) && reach.get(n.id)!.client !== this.manager,
    );
    await Promise.all(
      targets.map(async (n) => {
        const { client } = reach.get(n.id)!;
        const copyFailed = (e: unknown) =>
          new Error(
            `Could not copy image ${ref} to node ${n.hostname} (${n.id.slice(0, 12)}) through ${client.host}: ${(e as Error).message}. Give the configuration a registry the nodes pull from, or make the node's daemon reachable.`,
            { cause: e },
          );
        // a node whose daemon answered when the back-end learnt it may be unreachable by now
        const present = await imageExists(client, ref, { signal }).catch((e: unknown) => Promise.reject(copyFailed(e)));
        if (present) return;
        const t0 = Date.now();
        onStatus(
          `Copying image ${ref} to node ${n.hostname} (${n.id.slice(0, 12)}, ${client.host}): save on the manager, load on the node`,
        );
        const tar = await saveImage(this.manager, ref, signal);
        let bytes = 0;
        const counted = new PassThrough();
        tar.on('data', (b: Buffer) => (bytes += b.length));
        tar.on('error', (e) => counted.destroy(e));
        tar.pipe(counted);
        try {
          await loadImage(client, counted, signal);
        } catch (e) {
          tar.destroy();
          throw copyFailed(e);
        }
        onStatus(
          `Copied image ${ref} to node ${n.id.slice(0, 12)}: ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      }),
    );
  }

  run(runId: string): RunHandle {
    return new SwarmRun(this, runContainerName(runId));
  }

  async ping(): Promise<void> {
    await Promise.all([this.manager.ping(), ...[...this.activeNodes].map((c) => c.ping())]);
  }

  /** The manager and the nodes running this back-end's runs, every `everyMs`; `onLost` after two misses in a row. */
  heartbeat(everyMs: number, onLost: (e: Error) => void): () => void {
    return heartbeat<Error>(() => this.ping(), everyMs, onLost);
  }

  async findLost(workspaceDir: string, activeRunIds: ReadonlySet<string>, opts?: { signal?: AbortSignal }): Promise<LostRun[]> {
    const services = await listServices(this.manager, [`${LABELS.workspace}=${workspaceLabel(workspaceDir)}`], opts);
    return services
      .filter((s) => s.labels[LABELS.run] && !s.labels[LABELS.kept] && !activeRunIds.has(s.labels[LABELS.run]!))
      .map((s) => ({ id: s.id, name: s.name, runId: s.labels[LABELS.run]! }));
  }

  async removeLost(lost: LostRun, opts?: { signal?: AbortSignal }): Promise<void> {
    await new SwarmRun(this, lost.name).remove(opts);
  }

  /** Outputs left in a kept run's task container (`container`: the service name in its record), fetched through its node; then the service goes. */
  async retrieveKeptOutputs(container: string, outputPath: string, dest: string, opts?: FetchOutputsOptions): Promise<RetrievedOutputs> {
    const run = new SwarmRun(this, container);
    const at = await run.locate();
    if (!at) return { skipped: [], entries: 0, bytes: 0, removed: false, gone: true };
    const got = await retrieveKeptOutputs(at.client, at.containerId, outputPath, dest, opts);
    if (got.removed) await run.remove({ signal: opts?.signal });
    return got;
  }

  dispose(): void {
    void this.nodeDaemons?.then((m) => m.forEach((n) => n.owned && n.client.dispose())).catch(() => undefined);
    if (this.owned) this.manager.dispose();
  }
}

/** Where a run's task container is: its node's daemon and the container id there. */
interface Located {
  client: DaemonClient;
  containerId: string;
  container: DockerRun;
}

/** One run as a swarm service, addressed by its name (the service name): every call works from it alone. */
class SwarmRun implements RunHandle {
  private at: Located | undefined;

  constructor(
    private readonly backend: DockerSwarmBackend,
    readonly name: string,
  ) {}

  private get manager() {
    return this.backend.manager;
  }

  async start(spec: RunSpec, hooks: StartHooks): Promise<Started> {
    const { signal } = hooks;
    const c = spec.config;
    const [nodes, reach] = await Promise.all([listNodes(this.manager, { signal }), this.backend.nodes()]);
    const placed = placeRequest(swarmRequest(c), nodes, new Set(reach.keys()), this.backend.description);
    if (placed.errors.length)
      throw new Error(`Cannot run on configuration ${c.name}: ${placed.errors.map((e) => e.message).join('; ')}. Nothing was created.`);
    if (!c.registry) await this.backend.distributeImage(spec.image, nodes, signal, hooks.onStatus);
    if (signal.aborted) throw new Error('cancelled');

    const serviceId = await createService(this.manager, serviceSpec(this.name, spec, placed.exclusions));
    hooks.onCreated?.(serviceId);
    const watch = new TaskWatch(this.manager, serviceId);
    try {
      const { task, node, containerId } = await this.landed(watch, reach, signal, hooks.onStatus);
      const at: Located = { client: node.client, containerId, container: new DockerRun(node.client, containerId) };
      this.at = at;
      this.backend.activeNodes.add(node.client);

      const { scan } = spec.workspace;
      hooks.onStatus(
        `Placed on node ${task.nodeId.slice(0, 12)} (${node.client.host}): starting its container, then uploading ${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB) to ${spec.workingDir}`,
      );
      // attached before the gate opens: not a byte of the recipe's output is missed
      let output: Promise<void>;
      if (hooks.offThread) ({ output } = await readOutputOffThread(node.client, containerId, hooks.follow, hooks.offThread));
      else {
        const stream = await attachOutput(node.client, containerId, hooks.follow);
        demuxFrames(stream, (payload, fd) => hooks.onOutput(payload, fd === 1 ? 'stdout' : 'stderr'));
        output = node.client.streamEnd('output', stream, hooks.follow);
        output.catch(() => undefined);
      }

      if (signal.aborted) throw new Error('cancelled');
      const packed = packWorkspace(spec.workspace.dir, scan, [...spec.workspace.emptyDirs, GATE_DIR]);
      try {
        await putArchive(node.client, containerId, packed.stream, spec.workingDir, {
          signal,
          timeoutMs: node.client.daemon.timeoutMs + scan.bytes / 1000,
        });
      } catch (e) {
        throw packed.failure() ?? e;
      } finally {
        packed.destroy();
      }
      await this.running(watch, at, signal);
      return { output };
    } finally {
      watch.close();
    }
  }

  /**
   * Waits until Swarm placed the task and its node's daemon made its container (reported once starting:
   * the attach and the upload then wait on the daemon for the start, which holds the container); while it
   * waits, says Swarm's reason.
   */
  private async landed(
    watch: TaskWatch,
    reach: Map<string, NodeDaemon>,
    signal: AbortSignal,
    onStatus: (text: string) => void,
  ): Promise<{ task: SwarmTask; node: NodeDaemon; containerId: string }> {
    let said = '';
    let node: NodeDaemon | undefined;
    for (;;) {
      const task = await watch.next(signal);
      if (task && ENDED.has(task.state))
        throw new Error(`Swarm could not run the task of ${this.name}: ${task.err || task.message} (task ${task.state})`);
      if (task?.nodeId && !node) {
        // a daemon that joined the swarm since its node id was remembered: asked again, once
        node = reach.get(task.nodeId) ?? (await this.backend.nodes(true)).get(task.nodeId);
        if (!node)
          throw new Error(
            `Swarm placed the run on node ${task.nodeId.slice(0, 12)}, whose daemon the extension does not know: its workspace cannot go in nor its outputs come out. Add that node's daemon to containerExec.daemons.`,
          );
      }
      if (task && node && task.containerId) return { task, node, containerId: task.containerId };
      const text = !task
        ? `Waiting for Swarm to make the task of ${this.name}`
        : QUEUED.has(task.state)
          ? `Queued on ${this.backend.description}: ${task.err || task.message}`
          : `Task ${task.state} on node ${task.nodeId.slice(0, 12)}: ${task.message}`;
      if (text !== said) onStatus((said = text));
    }
  }

  /**
   * Waits until the task's container started (a wait on one not started yet would answer at once), asked
   * of its node's daemon: the manager hears of it later. The upload usually waited for the start already.
   * A task that ended with its container never started failed with Swarm's reason.
   */
  private async running(watch: TaskWatch, at: Located, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (await containerStarted(at.client, at.containerId, { signal })) return;
      const task = await watch.next(signal);
      if (task && ENDED.has(task.state) && !(await containerStarted(at.client, at.containerId, { signal })))
        throw new Error(`Swarm could not start the task of ${this.name}: ${task.err || task.message} (task ${task.state})`);
    }
  }

  /**
   * The task container of this run, found from the manager when this handle did not start it (on its node
   * by label when the manager does not report it yet).
   */
  async locate(opts?: { signal?: AbortSignal }): Promise<Located | undefined> {
    if (this.at) return this.at;
    const [task] = await listTasks(this.manager, { service: [this.name] }, opts);
    const node = task?.nodeId ? (await this.backend.nodes()).get(task.nodeId) : undefined;
    const containerId = node && (task!.containerId || (await findTaskContainer(node.client, task!.id, opts)));
    if (!node || !containerId) return undefined;
    return (this.at = { client: node.client, containerId, container: new DockerRun(node.client, containerId) });
  }

  private async located(): Promise<Located> {
    const at = await this.locate();
    if (!at) throw new Error(`Run ${this.name} has no task container on a node the extension reaches`);
    return at;
  }

  /**
   * Throws when Swarm itself ended the task mid-run (its node drained or paused): the exit code is not the
   * recipe's. The task's desired state alone does not tell: a job task that exits non-zero is also set to
   * `shutdown`, sometimes before this reads it (seen on a cold machine), so the node's availability decides.
   */
  async wait(follow: AbortSignal): Promise<RunExit> {
    const exit = await (await this.located()).container.wait(follow);
    this.exited = true;
    if (this.stopping) return exit;
    const [task] = await listTasks(this.manager, { service: [this.name] });
    if (task?.desiredState === 'shutdown' || task?.desiredState === 'remove') {
      const node = (await listNodes(this.manager).catch(() => [])).find((n) => n.id === task.nodeId);
      if (!node || node.availability === 'active') return exit;
      const why = `its node ${node.hostname} (${node.id.slice(0, 12)}) was set to ${node.availability}`;
      throw new Error(`The run was stopped by the swarm, not by the recipe: ${why}; exit code ${exit.exitCode}`);
    }
    return exit;
  }

  /** Set by stop: the end that follows is ours. */
  private stopping = false;
  /** Set by wait: the task's container ended, so its task has too. */
  private exited = false;

  /** Stops the task's container (its outputs stay in it); a run still queued has none: its service goes. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    const at = await this.locate();
    if (at) await at.container.stop(graceSeconds);
    else await removeService(this.manager, this.name);
  }

  exec(cmd: string[], opts?: ExecOptions): Promise<ExecSession> {
    return this.located().then((at) => at.container.exec(cmd, opts));
  }

  async fetchOutputs(outputPath: string, dest: string, opts?: FetchOutputsOptions) {
    const at = await this.locate({ signal: opts?.signal });
    return at ? at.container.fetchOutputs(outputPath, dest, opts) : { skipped: [], entries: 0, bytes: 0 };
  }

  /**
   * The service goes, and its task container with it (at once, through the node: Swarm removes it later).
   * A task not ended yet (cancelled while placed or starting) is shut down through the manager first: its
   * container may not exist yet, and Swarm would still start it.
   */
  async remove(opts?: { signal?: AbortSignal }): Promise<void> {
    const [task] = this.exited ? [] : await listTasks(this.manager, { service: [this.name] }, opts).catch(() => []);
    if (task && !ENDED.has(task.state)) await retireJobTasks(this.manager, this.name, opts);
    const at = await this.locate(opts).catch(() => this.at);
    if (at) this.backend.activeNodes.delete(at.client);
    const container = async () => {
      try {
        if (at) await removeContainer(at.client, at.containerId, opts);
      } catch (e) {
        // gone already, or Swarm's own removal under way
        if (!/HTTP 404|HTTP 409|No such container|removal of container .* is already in progress/i.test((e as Error).message)) throw e;
      }
    };
    await Promise.all([removeService(this.manager, this.name, opts), container()]);
  }
}

/** The service of one run: a replicated job of one task, never restarted, reserving what the configuration asks. */
export function serviceSpec(name: string, spec: RunSpec, exclusions: string[]): ServiceSpec {
  const c = spec.config;
  const r = c.resources;
  const req = swarmRequest(c);
  const memory = r.memory === undefined ? undefined : parseMemory(r.memory);
  const nanoCpus = r.cpus === undefined ? undefined : Math.round(r.cpus * 1e9);
  return {
    Name: name,
    Labels: spec.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Command: ['/bin/sh', '-c', GATE, 'container-exec', ...spec.cmd],
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Dir: spec.workingDir,
        Labels: spec.labels,
        ...(r.ulimits ? { Ulimits: Object.entries(r.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })) } : {}),
      },
      Resources: {
        Limits: { MemoryBytes: memory, NanoCPUs: nanoCpus, ...(r.pidsLimit !== undefined && r.pidsLimit > 0 ? { Pids: r.pidsLimit } : {}) },
        Reservations: {
          MemoryBytes: req.memoryBytes,
          NanoCPUs: nanoCpus,
          ...(req.gpus ? { GenericResources: [{ DiscreteResourceSpec: { Kind: req.gpuResource, Value: req.gpus } }] } : {}),
        },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: { Constraints: [...configConstraints(c), ...exclusions] },
    },
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
  };
}

/**
 * The Docker Swarm provider: a target id is the daemon id of a manager (resolved by `resolve`);
 * `known` lists every daemon the extension knows, among which the nodes' daemons are found.
 */
export function dockerSwarmProvider(
  resolve: (id: string) => Promise<DaemonDescriptionInput | DaemonDescription | undefined>,
  known: () => Promise<(DaemonDescriptionInput | DaemonDescription)[]>,
): BackendProvider {
  return {
    kind: DOCKER_SWARM,
    noun: 'swarm manager daemon',
    open: async (id) => {
      const daemon = await resolve(id);
      return daemon && new DockerSwarmBackend(createDaemonClient(daemon), known, true);
    },
  };
}
