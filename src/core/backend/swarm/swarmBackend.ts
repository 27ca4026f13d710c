import { pullImage, type RegistryAuth } from '../../build/registry';
import type { Configuration } from '../../config/configurationSchema';
import { parseMemory } from '../../config/units';
import { createDaemonClient, type DaemonClient } from '../../daemonClient';
import type { DaemonSource } from '../../daemonHub';
import { engineLabel } from '../../engineTypes';
import {
  attachOutput,
  createService,
  findTaskContainer,
  listNodes,
  listServices,
  listTasks,
  removeService,
  retireJobTasks,
  type ServiceSpec,
  type SwarmNode,
  type SwarmTask,
} from '../../engine/swarm';
import { containerStarted, putArchive, removeContainer } from '../../engine/containers';
import { imageExists } from '../../engine/images';
import { copyImage } from '../../engine/imageCopy';
import { labelledContainers } from '../../engine/pool';
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
  type KeptOutputsOptions,
  type PullDaemon,
  type LostRun,
  type Placement,
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
import { findNodeDaemons, mayServeNode, membershipOf, type KnownDaemon, type NodeDaemon, type NodeDaemons } from './nodeDaemons';

/**
 * The folder the task's command waits for, in its working directory: the last entry of the workspace
 * upload (a tar is extracted in order: when it exists, the workspace is in), sent once the output is attached.
 * Under `.container-exec/`, which the upload never carries (ALWAYS_EXCLUDED): a workspace entry of that
 * name would open the gate before the rest is in. Its parent is sent before it, world-writable (a
 * non-root recipe removes both).
 */
const GATE_PARENT = '.container-exec';
const GATE_DIR = `${GATE_PARENT}/go`;
/** The task's command: wait for the gate (looked for every 20 ms: the upload takes ~100), remove it, then the recipe (`"$@"`). Every image with a /bin/sh can run it. */
const GATE = `while [ ! -d ${GATE_DIR} ]; do sleep 0.02 2>/dev/null || sleep 1; done; rmdir ${GATE_DIR} ${GATE_PARENT}; exec "$@"`;
/** Task states after which no container will run. */
const ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);
const QUEUED = new Set(['new', 'pending', 'assigned', 'allocated']);

/** What a kept run's outputs fetch says when the daemon holding them does not answer. */
const KEPT_RETRY = 'The outputs stay in its container: run Fetch Run Outputs again once it answers.';

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
  private nodeDaemons: Promise<NodeDaemons> | undefined;
  /** Node daemons with a run of this back-end on them: pinged with the manager. */
  readonly activeNodes = new Set<DaemonClient>();
  /** The daemon of the node the last run's task landed on (its record names it: Fetch Run Outputs goes there). */
  placement: Placement | undefined;

  constructor(
    readonly manager: DaemonClient,
    private readonly knownDaemons: () => Promise<KnownDaemon[]>,
    private readonly owned = false,
    /** Where the manager's definition came from: it decides which known daemons may serve as nodes (mayServeNode). */
    private readonly managerSource: DaemonSource = 'user',
  ) {
    this.target = { kind: DOCKER_SWARM, id: manager.daemon.id };
  }

  get description(): string {
    return `swarm of manager "${this.manager.daemon.id}" (${this.manager.host})`;
  }

  /**
   * Node id → the daemon of that node, among the daemons the extension knows (findNodeDaemons; asked once
   * per back-end; each daemon's node id is remembered for a while across back-ends: a run does not ask
   * every daemon's /info again). `fresh`: ask them all now (a task landed on a node the map did not have).
   */
  nodes(fresh = false): Promise<Map<string, NodeDaemon>> {
    return this.nodeTable(fresh).then((t) => t.reach);
  }

  nodeTable(fresh = false): Promise<NodeDaemons> {
    if (fresh) {
      void this.nodeDaemons?.then((t) => t.reach.forEach((n) => n.owned && n.client.dispose())).catch(() => undefined);
      this.nodeDaemons = undefined;
    }
    this.nodeDaemons ??= this.knownDaemons().then((known) => findNodeDaemons(this.manager, this.managerSource, known, fresh));
    this.nodeDaemons.catch(() => (this.nodeDaemons = undefined));
    return this.nodeDaemons;
  }

  async probe(c: Configuration, { signal }: { signal: AbortSignal }): Promise<Capacity> {
    const daemon = `daemon "${this.manager.daemon.id}" (${this.manager.host})`;
    const [m, engine] = await Promise.all([membershipOf(this.manager, { signal }), this.manager.engine({ signal })]);
    if (engine.engine !== 'Docker')
      return {
        errors: [
          {
            field: 'swarm',
            message: `${daemon} is ${engineLabel(engine)}, which has no swarm mode: Docker Swarm is Docker's. Remove "swarm" from configuration ${c.name} to run on that daemon itself, or target a Docker swarm manager`,
          },
        ],
        warnings: [],
      };
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
    const [nodes, { reach, refused }] = await Promise.all([listNodes(this.manager, { signal }), this.nodeTable()]);
    const placed = placeRequest(swarmRequest(c), nodes, new Set(reach.keys()), this.description, refused);
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
        let bytes = 0;
        try {
          await copyImage(this.manager, client, ref, signal, (b) => (bytes = b));
        } catch (e) {
          if (signal.aborted) throw e;
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

  /**
   * Outputs left in a kept run's task container (`container`: the service name in its record), fetched
   * through the daemon of the node it landed on (`landedOn`; a record without it: the node the manager
   * names); then the service goes. Gone only when that daemon answers that it has no such container.
   */
  async retrieveKeptOutputs(container: string, outputPath: string, dest: string, opts: KeptOutputsOptions = {}): Promise<RetrievedOutputs> {
    const gone = { skipped: [], entries: 0, bytes: 0, removed: false, gone: true };
    const at = await this.keptOn(container, opts);
    if (!at) return gone;
    try {
      let found: string | undefined;
      try {
        found = (await labelledContainers(at.client, 'com.docker.swarm.service.name', container, opts))[0]?.id;
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        throw new Error(
          `Daemon "${at.client.daemon.id}" (${at.client.host}), where run ${container} landed, did not answer: ${(e as Error).message}. ${KEPT_RETRY}`,
          { cause: e },
        );
      }
      if (!found) return gone;
      const got = await retrieveKeptOutputs(at.client, found, outputPath, dest, opts);
      if (got.removed) await removeService(this.manager, container, { signal: opts.signal });
      return got;
    } finally {
      at.dispose();
    }
  }

  /**
   * The daemon a kept run's container is on: the one its record names, else that of the node the manager
   * puts its task on; undefined when the manager has no task of it (gone with its service).
   */
  private async keptOn(container: string, opts: KeptOutputsOptions): Promise<{ client: DaemonClient; dispose(): void } | undefined> {
    const { landedOn } = opts;
    if (landedOn === this.manager.daemon.id) return { client: this.manager, dispose: () => undefined };
    if (landedOn !== undefined) {
      // the same trust as when the run was placed: a workspace entry now holding that id is not the node's daemon
      const known = (await this.knownDaemons()).find((d) => d.daemon.id === landedOn && mayServeNode(d.source, this.managerSource));
      if (!known)
        throw new Error(
          `Run ${container} landed on daemon "${landedOn}", which is no longer defined in your settings: add it back in the Daemons view, then run Fetch Run Outputs again.`,
        );
      const client = createDaemonClient(known.daemon);
      return { client, dispose: () => client.dispose() };
    }
    const [task] = await listTasks(this.manager, { service: [container] }, opts);
    if (!task) return undefined;
    const node = task.nodeId ? ((await this.nodes()).get(task.nodeId) ?? (await this.nodes(true)).get(task.nodeId)) : undefined;
    if (!node)
      throw new Error(
        `The task of ${container} is on node ${task.nodeId.slice(0, 12) || '(none)'}, whose daemon did not answer or is not among the daemons the extension knows. ${KEPT_RETRY}`,
      );
    return { client: node.client, dispose: () => undefined };
  }

  dispose(): void {
    void this.nodeDaemons?.then((t) => t.reach.forEach((n) => n.owned && n.client.dispose())).catch(() => undefined);
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
    const [nodes, { reach, refused }] = await Promise.all([listNodes(this.manager, { signal }), this.backend.nodeTable()]);
    const placed = placeRequest(swarmRequest(c), nodes, new Set(reach.keys()), this.backend.description, refused);
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
      this.backend.placement = { daemon: node.client.daemon.id, reason: `Swarm placed its task on node ${task.nodeId.slice(0, 12)}` };

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
      const packed = packWorkspace(spec.workspace.dir, scan, [...spec.workspace.emptyDirs, GATE_PARENT, GATE_DIR]);
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
        const now = reach.get(task.nodeId) ? undefined : await this.backend.nodeTable(true);
        node = reach.get(task.nodeId) ?? now?.reach.get(task.nodeId);
        const refused = now?.refused.get(task.nodeId);
        if (!node)
          throw new Error(
            `Swarm placed the run on node ${task.nodeId.slice(0, 12)}, ${refused ? `which no run may use: ${refused}` : "whose daemon the extension does not know: its workspace cannot go in nor its outputs come out. Add that node's daemon to containerExec.daemons"}.`,
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

  followStats(onStats: (raw: unknown) => void, signal: AbortSignal): Promise<void> {
    return this.located().then((at) => at.container.followStats(onStats, signal));
  }

  async fetchOutputs(outputPath: string, dest: string, opts?: FetchOutputsOptions) {
    const at = await this.locate({ signal: opts?.signal });
    return at ? at.container.fetchOutputs(outputPath, dest, opts) : { skipped: [], entries: 0, bytes: 0 };
  }

  /**
   * The service goes, and its task container with it (at once, through the node: Swarm removes it later).
   * A task not ended yet, or not listed yet (cancelled while Swarm makes, places or starts it), is shut
   * down through the manager first: its container may not exist yet, and Swarm would still start it.
   */
  async remove(opts?: { signal?: AbortSignal }): Promise<void> {
    const listed = this.exited ? undefined : await listTasks(this.manager, { service: [this.name] }, opts).catch(() => undefined);
    // none listed yet is retired too: Swarm may be making the task right now, and would start it after the removal
    if (listed && !(listed[0] && ENDED.has(listed[0].state))) await retireJobTasks(this.manager, this.name, opts);
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
  resolve: (id: string) => Promise<KnownDaemon | undefined>,
  known: () => Promise<KnownDaemon[]>,
): BackendProvider {
  return {
    kind: DOCKER_SWARM,
    noun: 'swarm manager daemon',
    open: async (id) => {
      const m = await resolve(id);
      return m && new DockerSwarmBackend(createDaemonClient(m.daemon), known, true, m.source);
    },
  };
}
