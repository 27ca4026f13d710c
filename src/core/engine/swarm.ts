// Docker Swarm through the Engine API: swarm state, nodes, services, tasks (image copies: imageCopy.ts). Typed
// functions over a DaemonClient; every answer parsed by zod; dockerode seen through signalled.ts, which types its calls.
import * as z from 'zod';
import type { CallOptions, DaemonClient } from '../daemonClient';
import { parseEngineAnswer } from '../engineTypes';
import { isNotFound } from '../errors';
import { inspectContainer } from './containers';
import { signalled } from './signalled';

const SwarmInfoAnswer = z.object({
  Swarm: z
    .object({
      NodeID: z.string().default(''),
      LocalNodeState: z.string().default('inactive'),
      ControlAvailable: z.boolean().default(false),
      Error: z.string().default(''),
    })
    .loose()
    .default({ NodeID: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '' }),
});

export interface SwarmMembership {
  /** This daemon's node id in its swarm ('' when not in one). */
  nodeId: string;
  /** inactive | pending | active | error | locked */
  state: string;
  /** True on a manager. */
  manager: boolean;
  error: string;
}

/** What /info says about the daemon's swarm membership. */
export async function swarmMembership(client: DaemonClient, opts: CallOptions = {}): Promise<SwarmMembership> {
  const raw = await client.call('info', (d, abortSignal) => signalled(d).info({ abortSignal }), opts);
  const s = parseEngineAnswer(client.host, '/info', SwarmInfoAnswer, raw).Swarm;
  return { nodeId: s.NodeID, state: s.LocalNodeState, manager: s.ControlAvailable, error: s.Error };
}

const GenericResource = z.object({
  NamedResourceSpec: z.object({ Kind: z.string(), Value: z.string() }).optional(),
  DiscreteResourceSpec: z.object({ Kind: z.string(), Value: z.number() }).optional(),
});

const NodeAnswer = z.object({
  ID: z.string(),
  Spec: z
    .object({
      Role: z.string().default('worker'),
      Availability: z.string().default('active'),
      Labels: z.record(z.string(), z.string()).nullish(),
    })
    .loose(),
  Description: z
    .object({
      Hostname: z.string().default(''),
      Resources: z
        .object({
          NanoCPUs: z.number().default(0),
          MemoryBytes: z.number().default(0),
          GenericResources: z.array(GenericResource).nullish(),
        })
        .loose()
        .default({ NanoCPUs: 0, MemoryBytes: 0 }),
    })
    .loose()
    .default({ Hostname: '', Resources: { NanoCPUs: 0, MemoryBytes: 0 } }),
  Status: z
    .object({ State: z.string().default('unknown'), Addr: z.string().default(''), Message: z.string().optional() })
    .loose()
    .default({ State: 'unknown', Addr: '' }),
  ManagerStatus: z.object({ Leader: z.boolean().optional(), Reachability: z.string().optional() }).loose().nullish(),
});

export interface SwarmNode {
  id: string;
  hostname: string;
  /** manager | worker */
  role: string;
  /** active | pause | drain */
  availability: string;
  /** ready | down | unknown | disconnected */
  state: string;
  addr: string;
  cpus: number;
  memoryBytes: number;
  /** Generic resources by kind: how many of each (named ones counted). */
  generic: Record<string, number>;
  labels: Record<string, string>;
  leader: boolean;
}

/** GET /nodes (a manager only). */
export async function listNodes(client: DaemonClient, opts: CallOptions = {}): Promise<SwarmNode[]> {
  const raw = await client.call('list nodes', (d, abortSignal) => signalled(d).listNodes({ abortSignal }), opts);
  return parseEngineAnswer(client.host, '/nodes', z.array(NodeAnswer), raw).map((n) => {
    const generic: Record<string, number> = {};
    for (const g of n.Description.Resources.GenericResources ?? []) {
      if (g.NamedResourceSpec) generic[g.NamedResourceSpec.Kind] = (generic[g.NamedResourceSpec.Kind] ?? 0) + 1;
      if (g.DiscreteResourceSpec)
        generic[g.DiscreteResourceSpec.Kind] = (generic[g.DiscreteResourceSpec.Kind] ?? 0) + g.DiscreteResourceSpec.Value;
    }
    return {
      id: n.ID,
      hostname: n.Description.Hostname,
      role: n.Spec.Role,
      availability: n.Spec.Availability,
      state: n.Status.State,
      addr: n.Status.Addr,
      cpus: n.Description.Resources.NanoCPUs / 1e9,
      memoryBytes: n.Description.Resources.MemoryBytes,
      generic,
      labels: n.Spec.Labels ?? {},
      leader: Boolean(n.ManagerStatus?.Leader),
    };
  });
}

/** The ServiceSpec the Engine API takes (only what the back-end sets). */
export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Command: string[];
      Env: string[];
      Dir: string;
      Labels: Record<string, string>;
      Ulimits?: { Name: string; Soft: number; Hard: number }[];
    };
    Resources: {
      Limits: { MemoryBytes?: number; NanoCPUs?: number; Pids?: number };
      Reservations: {
        MemoryBytes?: number;
        NanoCPUs?: number;
        GenericResources?: { DiscreteResourceSpec: { Kind: string; Value: number } }[];
      };
    };
    RestartPolicy: { Condition: 'none'; MaxAttempts: number };
    Placement: { Constraints: string[] };
  };
  Mode: { ReplicatedJob: { MaxConcurrent: number; TotalCompletions: number } };
}

/** POST /services/create; returns the service id. Not cancelled mid-request: a service made but never heard of would be left behind. */
export async function createService(client: DaemonClient, spec: ServiceSpec): Promise<string> {
  const service = await client.call('create service', (d, abortSignal) => signalled(d).createService({ ...spec, abortSignal }));
  return z.object({ id: z.string() }).loose().parse(service).id;
}

/**
 * Shuts down the task of a job service before it is removed: Swarm (20.10) does not stop the task of a job
 * whose service is removed, so one already assigned still gets its container made and started (seen
 * here). An update to zero completions does: the task's desired state becomes "remove", its agent stops it
 * (after the spec's stop grace period) and removes its container, and no new task is made. An
 * already-gone service is not an error.
 */
export async function retireJobTasks(client: DaemonClient, nameOrId: string, opts: CallOptions = {}): Promise<void> {
  try {
    await client.call(
      'retire job tasks',
      async (d, abortSignal) => {
        const service = signalled(d).getService(nameOrId);
        const info = z
          .object({ Version: z.object({ Index: z.number() }), Spec: z.object({}).loose() })
          .loose()
          .parse(await service.inspect({ abortSignal }));
        const Mode = { ReplicatedJob: { MaxConcurrent: 0, TotalCompletions: 0 } };
        await service.update({ version: info.Version.Index, ...info.Spec, Mode, abortSignal });
      },
      opts,
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** DELETE /services/{name}; an already-gone service is not an error. */
export async function removeService(client: DaemonClient, nameOrId: string, opts: CallOptions = {}): Promise<void> {
  try {
    await client.call('remove service', (d, abortSignal) => signalled(d).getService(nameOrId).remove({ abortSignal }), opts);
  } catch (e) {
    if (!/HTTP 404|no such service|not found/i.test((e as Error).message)) throw e;
  }
}

const ServiceAnswer = z.object({
  ID: z.string(),
  Spec: z.object({ Name: z.string(), Labels: z.record(z.string(), z.string()).nullish() }).loose(),
  CreatedAt: z.string().optional(),
});

export interface SwarmService {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** GET /services filtered by labels (`key=value` or `key`). */
export async function listServices(client: DaemonClient, labels: string[], opts: CallOptions = {}): Promise<SwarmService[]> {
  const raw = await client.call(
    'list services',
    (d, abortSignal) => signalled(d).listServices({ filters: JSON.stringify({ label: labels }), abortSignal }),
    opts,
  );
  return parseEngineAnswer(client.host, '/services', z.array(ServiceAnswer), raw).map((s) => ({
    id: s.ID,
    name: s.Spec.Name,
    labels: s.Spec.Labels ?? {},
  }));
}

const TaskAnswer = z.object({
  ID: z.string(),
  ServiceID: z.string().default(''),
  NodeID: z.string().default(''),
  DesiredState: z.string().default(''),
  CreatedAt: z.string().default(''),
  Status: z
    .object({
      State: z.string().default(''),
      Message: z.string().default(''),
      Err: z.string().default(''),
      ContainerStatus: z
        .object({ ContainerID: z.string().default(''), ExitCode: z.number().default(0) })
        .loose()
        .nullish(),
    })
    .loose()
    .default({ State: '', Message: '', Err: '' }),
});

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  /** new | pending | assigned | accepted | preparing | starting | running | complete | failed | shutdown | rejected | orphaned | remove */
  state: string;
  desiredState: string;
  message: string;
  err: string;
  containerId: string;
  exitCode: number;
  createdAt: string;
}

/** GET /tasks of one service, newest first. */
export async function listTasks(
  client: DaemonClient,
  filters: { service?: string[]; label?: string[] },
  opts: CallOptions = {},
): Promise<SwarmTask[]> {
  const raw = await client.call(
    'list tasks',
    (d, abortSignal) => signalled(d).listTasks({ filters: JSON.stringify(filters), abortSignal }),
    opts,
  );
  return parseEngineAnswer(client.host, '/tasks', z.array(TaskAnswer), raw)
    .map((t) => ({
      id: t.ID,
      serviceId: t.ServiceID,
      nodeId: t.NodeID,
      state: t.Status.State,
      desiredState: t.DesiredState,
      message: t.Status.Message,
      err: t.Status.Err,
      containerId: t.Status.ContainerStatus?.ContainerID ?? '',
      exitCode: t.Status.ContainerStatus?.ExitCode ?? 0,
      createdAt: t.CreatedAt,
    }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/**
 * The container of swarm task `taskId` on its node's daemon, by the label the swarm agent gives it: found as
 * soon as the agent created it, before the manager hears of it (the task reports it only once starting).
 * A container being created is listed a moment before the daemon answers for it by id: until it does, none.
 */
export async function findTaskContainer(client: DaemonClient, taskId: string, opts: CallOptions = {}): Promise<string | undefined> {
  const raw = await client.call(
    'find task container',
    (d, abortSignal) => signalled(d).listContainers({ all: true, filters: { label: [`com.docker.swarm.task.id=${taskId}`] }, abortSignal }),
    opts,
  );
  const id = parseEngineAnswer(client.host, '/containers/json', z.array(z.object({ Id: z.string() }).loose()), raw)[0]?.Id;
  if (!id) return undefined;
  return inspectContainer(client, id, opts).then(
    () => id,
    (e: Error) => (isNotFound(e) ? undefined : Promise.reject(e)),
  );
}

/** POST /nodes/{id}/update with a new availability (tests drain a node). */
export async function setNodeAvailability(
  client: DaemonClient,
  nodeId: string,
  availability: 'active' | 'pause' | 'drain',
  opts: CallOptions = {},
): Promise<void> {
  const node = await client.call('inspect node', (d, abortSignal) => signalled(d).getNode(nodeId).inspect({ abortSignal }), opts);
  const n = z
    .object({ Version: z.object({ Index: z.number() }), Spec: z.record(z.string(), z.unknown()) })
    .loose()
    .parse(node);
  await client.call(
    'update node',
    (d, abortSignal) =>
      signalled(d)
        .getNode(nodeId)
        .update({ version: n.Version.Index, ...n.Spec, Availability: availability, abortSignal }),
    opts,
  );
}

/** POST /containers/{id}/attach (stream, stdout, stderr): the multiplexed output from now on; ended by `follow`. */
export async function attachOutput(client: DaemonClient, container: string, follow: AbortSignal): Promise<NodeJS.ReadableStream> {
  return (await client.call(
    'attach',
    (d, abortSignal) => signalled(d).getContainer(container).attach({ stream: true, stdout: true, stderr: true, abortSignal }),
    { signal: follow },
  )) as NodeJS.ReadableStream;
}

/** A daemon's swarm at a glance, for the Daemons view: its membership; on a manager, the nodes and the run services with their tasks. */
export interface SwarmOverview {
  membership: SwarmMembership;
  nodes: SwarmNode[];
  runs: { service: SwarmService; tasks: SwarmTask[] }[];
}

export async function swarmOverview(client: DaemonClient, opts: CallOptions & { manager?: boolean } = {}): Promise<SwarmOverview> {
  // a daemon whose /info already said it is no manager needs no second look
  const membership =
    opts.manager === false ? { nodeId: '', state: 'inactive', manager: false, error: '' } : await swarmMembership(client, opts);
  if (membership.state !== 'active' || !membership.manager) return { membership, nodes: [], runs: [] };
  const [nodes, services] = await Promise.all([listNodes(client, opts), listServices(client, ['container-exec.kind=run'], opts)]);
  const tasks = services.length ? await listTasks(client, { service: services.map((s) => s.name) }, opts) : [];
  return { membership, nodes, runs: services.map((service) => ({ service, tasks: tasks.filter((t) => t.serviceId === service.id) })) };
}
