import type { BackendDescriptor } from '../descriptor';

/** The kind of the Docker Swarm back-end: a target of this kind is the daemon id of a swarm manager. */
export const DOCKER_SWARM = 'docker-swarm';

/** A swarm manager as a run target (its lost runs). */
export const swarmTarget = (managerId: string) => ({ kind: DOCKER_SWARM, id: managerId });

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
export const swarmDescriptor: BackendDescriptor = {
  kind: DOCKER_SWARM,
  noun: 'swarm',
  targetIsOneDaemon: false,
  targetText: (id) => `swarm of manager "${id}"`,
  selects: (c) => (c.swarm ? c.daemon : undefined),
  refusals: (c) => {
    if (!c.swarm) return [];
    const r = (c.resources ?? {}) as Record<string, unknown>;
    return SWARM_REFUSED.filter((f) => f.set(c, r)).map((f) => ({
      field: f.field,
      message: `${f.field}: Docker Swarm cannot honour it on a swarm configuration (${f.why}): remove it, or remove "swarm"`,
    }));
  },
};
