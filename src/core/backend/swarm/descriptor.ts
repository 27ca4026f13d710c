import * as z from 'zod';
import type { BackendDescriptor } from '../descriptor';

/** The kind of the Docker Swarm back-end: a target of this kind is the daemon id of a swarm manager. */
export const DOCKER_SWARM = 'docker-swarm';

/** A swarm manager as a run target (its lost runs). */
export const swarmTarget = (managerId: string) => ({ kind: DOCKER_SWARM, id: managerId });

/** A swarm placement constraint as `docker service create --constraint` takes it: node.labels.gpu==true, node.role!=manager. */
const CONSTRAINT = /^[A-Za-z0-9_.-]+\s*(==|!=)\s*[^\s]+$/;
const GENERIC_KIND = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `swarm`: the configuration's daemon is a manager of a Docker Swarm; runs become swarm jobs placed by its scheduler. */
export const SwarmOptionsSchema = z
  .object({
    constraints: z
      .array(z.string().regex(CONSTRAINT, { error: 'swarm.constraints: each must look like node.labels.zone==a or node.role!=manager' }))
      .default([]),
    nodeLabels: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/),
        z.string().regex(/^[^\s]+$/, { error: 'swarm.nodeLabels: values have no spaces' }),
      )
      .default({}),
    gpuResource: z
      .string()
      .regex(GENERIC_KIND, { error: 'swarm.gpuResource must be a generic resource kind like NVIDIA-GPU' })
      .default('NVIDIA-GPU'),
  })
  .strict();
export type SwarmOptions = z.output<typeof SwarmOptionsSchema>;

/** The configuration fields of this kind. */
export const swarmFields = { swarm: SwarmOptionsSchema.optional() };

/** Fields a swarm service cannot carry: refused on a swarm configuration, each with why. */
const SWARM_REFUSED: { field: string; set: (c: Record<string, unknown>, r: Record<string, unknown>) => boolean; why: string }[] = [
  {
    field: 'runtime',
    set: (c) => c.runtime !== undefined,
    why: "a swarm service has no per-service runtime (set the default runtime of the nodes' daemons instead)",
  },
  { field: 'network', set: (c) => c.network !== undefined, why: 'swarm tasks join overlay networks, not a daemon network mode' },
  {
    field: 'gpus',
    set: (c) => c.gpus === 'all' || Array.isArray(c.gpus),
    why: 'Swarm reserves GPUs as a count of the swarm.gpuResource generic resource: give gpus as a number',
  },
  { field: 'resources.cpusetCpus', set: (_c, r) => r.cpusetCpus !== undefined, why: 'a swarm service cannot pin CPUs' },
  {
    field: 'resources.cpuShares',
    set: (_c, r) => r.cpuShares !== undefined,
    why: 'a swarm service has no CPU shares (use resources.cpus)',
  },
  { field: 'resources.memorySwap', set: (_c, r) => r.memorySwap !== undefined, why: 'a swarm service has no swap limit' },
  { field: 'resources.shmSize', set: (_c, r) => r.shmSize !== undefined, why: 'a swarm service has no --shm-size' },
  { field: 'resources.advanced', set: (_c, r) => r.advanced !== undefined, why: 'a swarm service takes no raw HostConfig keys' },
];

/** A configuration with `swarm` runs as a service on the swarm its `daemon` manages. */
export const swarmDescriptor = {
  kind: DOCKER_SWARM,
  noun: 'swarm',
  targetIsOneDaemon: false,
  targetText: (id) => `swarm of manager "${id}"`,
  selects: (c) => (c.swarm ? c.daemon : undefined),
  schema: swarmFields,
  refusals: (c) => {
    if (!c.swarm) return [];
    const r = (c.resources ?? {}) as Record<string, unknown>;
    return SWARM_REFUSED.filter((f) => f.set(c, r)).map((f) => ({
      field: f.field,
      message: `${f.field}: Docker Swarm cannot honour it on a swarm configuration (${f.why}): remove it, or remove "swarm"`,
    }));
  },
} satisfies BackendDescriptor;
