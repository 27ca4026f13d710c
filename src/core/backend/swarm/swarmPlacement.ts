import type { Configuration, FieldError } from '../../config/configurationSchema';
import { formatMemory, parseMemory } from '../../config/units';
import type { SwarmNode } from '../../engine/swarm';

/** What one run reserves on the node it lands on: Swarm places by these. */
export interface SwarmRequest {
  memoryBytes?: number;
  cpus?: number;
  gpus: number;
  gpuResource: string;
}

export const DEFAULT_GPU_RESOURCE = 'NVIDIA-GPU';

/** A configuration's reservations: memoryReservation (else memory), cpus, the GPU count as a generic resource. */
export function swarmRequest(c: Configuration): SwarmRequest {
  const r = c.resources;
  const mem = r.memoryReservation ?? r.memory;
  return {
    memoryBytes: mem === undefined ? undefined : parseMemory(mem),
    cpus: r.cpus,
    gpus: typeof c.gpus === 'number' ? c.gpus : 0,
    gpuResource: c.swarm?.gpuResource ?? DEFAULT_GPU_RESOURCE,
  };
}

/** Placement constraints of a configuration: its own, then its node labels. */
export function configConstraints(c: Configuration): string[] {
  return [...(c.swarm?.constraints ?? []), ...Object.entries(c.swarm?.nodeLabels ?? {}).map(([k, v]) => `node.labels.${k}==${v}`)];
}

const nodeName = (n: SwarmNode) => `${n.hostname || '?'} (${n.id.slice(0, 12)})`;

export interface SwarmPlacement {
  errors: FieldError[];
  warnings: FieldError[];
  /** Constraints that keep runs off the nodes the extension cannot reach (their outputs could not come back). */
  exclusions: string[];
}

/**
 * The request against the nodes' resources (/nodes): a request no node can ever hold is refused with the
 * numbers; if only nodes the extension cannot reach could hold it, it is refused naming them; nodes it
 * cannot reach are kept out of placement (`refused`: why some of them are, said after them). A request that fits a node only later is Swarm's to queue.
 */
export function placeRequest(
  req: SwarmRequest,
  nodes: SwarmNode[],
  reachable: ReadonlySet<string>,
  swarmName: string,
  refused: ReadonlyMap<string, string> = new Map(),
): SwarmPlacement {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const maxMem = Math.max(0, ...nodes.map((n) => n.memoryBytes));
  const maxCpus = Math.max(0, ...nodes.map((n) => n.cpus));
  const maxGpus = Math.max(0, ...nodes.map((n) => n.generic[req.gpuResource] ?? 0));
  if (req.memoryBytes !== undefined && req.memoryBytes > maxMem)
    errors.push({
      field: 'resources.memory',
      message: `a run reserves ${formatMemory(req.memoryBytes)} of memory, but the largest node of ${swarmName} has ${formatMemory(maxMem)} (${nodes.length} nodes)`,
    });
  if (req.cpus !== undefined && req.cpus > maxCpus)
    errors.push({
      field: 'resources.cpus',
      message: `resources.cpus ${req.cpus} exceeds every node of ${swarmName}: the largest has ${maxCpus} CPUs (${nodes.length} nodes)`,
    });
  if (req.gpus > maxGpus)
    errors.push({
      field: 'gpus',
      message: `gpus ${req.gpus} asks for ${req.gpus} "${req.gpuResource}" generic resources, but the most any node of ${swarmName} advertises is ${maxGpus} (dockerd --node-generic-resource ${req.gpuResource}=...)`,
    });
  if (errors.length) return { errors, warnings, exclusions: [] };

  const fits = (n: SwarmNode) =>
    (req.memoryBytes ?? 0) <= n.memoryBytes && (req.cpus ?? 0) <= n.cpus && req.gpus <= (n.generic[req.gpuResource] ?? 0);
  const unreachable = nodes.filter((n) => !reachable.has(n.id));
  // a refused node says why (two daemons claim it, or only one that may not serve it)
  const why = (ns: SwarmNode[]) =>
    ns
      .filter((n) => refused.has(n.id))
      .map((n) => `; node ${nodeName(n)}: ${refused.get(n.id)}`)
      .join('');
  const candidates = nodes.filter((n) => fits(n) && n.availability !== 'drain');
  if (candidates.length && candidates.every((n) => !reachable.has(n.id)))
    errors.push({
      field: 'swarm',
      message: `only nodes the extension cannot reach could hold the run: ${candidates.map(nodeName).join(', ')}; their outputs could not come back. Add a daemon entry for each (containerExec.daemons, its /info names the node id)${why(candidates)}`,
    });
  else {
    const unknown = unreachable.filter((n) => !refused.has(n.id));
    if (unknown.length)
      warnings.push({
        field: 'swarm',
        message: `runs are not placed on ${unknown.map(nodeName).join(', ')} of ${swarmName}: no daemon the extension knows is that node (add it to containerExec.daemons)`,
      });
    for (const n of unreachable.filter((n) => refused.has(n.id)))
      warnings.push({ field: 'swarm', message: `runs are not placed on ${nodeName(n)} of ${swarmName}: ${refused.get(n.id)}` });
  }
  return { errors, warnings, exclusions: unreachable.map((n) => `node.id!=${n.id}`) };
}
