import type { Configuration } from '../../config/configurationSchema';
import { parseMemory } from '../../config/units';

/** The Docker Engine HostConfig a configuration's containers start with (keys as the API spells them). */
export function toHostConfig(c: Configuration): Record<string, unknown> {
  const r = c.resources;
  const mem = (v: string | number | undefined) => (v === undefined ? undefined : v === -1 || v === '-1' ? -1 : parseMemory(v));
  const host: Record<string, unknown> = {
    Memory: mem(r.memory),
    MemoryReservation: mem(r.memoryReservation),
    MemorySwap: mem(r.memorySwap),
    NanoCpus: r.cpus === undefined ? undefined : Math.round(r.cpus * 1e9),
    CpuShares: r.cpuShares,
    CpusetCpus: r.cpusetCpus,
    PidsLimit: r.pidsLimit,
    ShmSize: mem(r.shmSize),
    Ulimits: r.ulimits ? Object.entries(r.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })) : undefined,
    Runtime: c.runtime,
    NetworkMode: c.network,
    DeviceRequests: gpuRequests(c),
    ...r.advanced,
  };
  return Object.fromEntries(Object.entries(host).filter(([, v]) => v !== undefined));
}

/** `--gpus` as the Engine API takes it: Count -1 = all; DeviceIDs for a list. */
function gpuRequests(c: Configuration): unknown[] | undefined {
  if (c.gpus === 'none') return undefined;
  const base = { Driver: '', Capabilities: [c.gpuCapabilities] };
  if (c.gpus === 'all') return [{ ...base, Count: -1 }];
  if (typeof c.gpus === 'number') return [{ ...base, Count: c.gpus }];
  return [{ ...base, DeviceIDs: c.gpus }];
}
