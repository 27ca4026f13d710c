import type { DaemonInfo } from '../../engineTypes';
import type { Configuration, FieldError } from '../../config/configurationSchema';
import { formatMemory, parseCpuset, parseMemory } from '../../config/units';
import { cdiRefusals } from './podmanSpec';

export interface CapacityReport {
  errors: FieldError[];
  warnings: FieldError[];
}

const GPU_RUNTIME = /nvidia|gpu/i;

/** True when a daemon has a runtime that can hand GPUs to containers. */
export function hasGpuRuntime(info: Pick<DaemonInfo, 'runtimes'>): boolean {
  return info.runtimes.some((r) => GPU_RUNTIME.test(r));
}

/** A configuration checked against what its daemon reports in /info: limits it cannot grant are errors. */
export function checkCapacity(c: Configuration, info: Pick<DaemonInfo, 'name' | 'cpus' | 'memTotalBytes' | 'runtimes'>): CapacityReport {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const r = c.resources;
  const daemon = `daemon "${c.daemon}" (${info.name})`;
  for (const field of ['memory', 'memoryReservation', 'shmSize'] as const) {
    const v = r[field];
    const bytes = v === undefined ? undefined : parseMemory(v);
    if (bytes !== undefined && bytes > info.memTotalBytes)
      errors.push({
        field: `resources.${field}`,
        message: `resources.${field} ${v} exceeds the memory of ${daemon}: ${formatMemory(info.memTotalBytes)}`,
      });
  }
  if (r.cpus !== undefined && r.cpus > info.cpus)
    errors.push({ field: 'resources.cpus', message: `resources.cpus ${r.cpus} exceeds the ${info.cpus} CPUs of ${daemon}` });
  const set = r.cpusetCpus ? parseCpuset(r.cpusetCpus) : undefined;
  const beyond = set?.filter((i) => i >= info.cpus);
  if (beyond?.length)
    errors.push({
      field: 'resources.cpusetCpus',
      message: `resources.cpusetCpus names CPU ${beyond.join(', ')}, but ${daemon} has CPUs 0-${info.cpus - 1}`,
    });
  if (c.runtime && !info.runtimes.includes(c.runtime))
    errors.push({
      field: 'runtime',
      message: `runtime "${c.runtime}" is not available on ${daemon} (it has: ${info.runtimes.join(', ')})`,
    });
  if ((c.gpus !== 'none' || (c.runtime && GPU_RUNTIME.test(c.runtime))) && !hasGpuRuntime(info))
    warnings.push({
      field: 'gpus',
      message: `${daemon} has no GPU-capable runtime (${info.runtimes.join(', ')}): GPU requests will fail there`,
    });
  return { errors, warnings };
}

/**
 * What Podman's Docker-compatible API would silently ignore or change (Podman 4.3: `HostConfig.Runtime` is
 * accepted and dropped, so the run would start with the default runtime; `MemorySwap: -1` becomes twice the
 * memory), and GPUs it cannot ask for as CDI devices (podmanSpec.ts):
 * refused before anything is created, naming the field. These replace the runtime and GPU checks
 * against /info, whose runtime list on Podman names runtimes it knows, installed or not.
 */
export function podmanRefusals(c: Configuration, engine: string, daemon: string): FieldError[] {
  const errors: FieldError[] = [];
  errors.push(...cdiRefusals(c, `daemon "${daemon}" is ${engine}, which hands GPUs out as CDI devices`));
  const swap = c.resources.memorySwap;
  if (swap === -1 || swap === '-1')
    errors.push({
      field: 'resources.memorySwap',
      message: `configuration ${c.name} asks for unlimited swap (resources.memorySwap -1), but daemon "${daemon}" is ${engine}, whose Docker-compatible API turns -1 into twice the memory limit: give memorySwap a size (e.g. 2g) instead`,
    });
  if (c.runtime)
    errors.push({
      field: 'runtime',
      message: `configuration ${c.name} asks for runtime "${c.runtime}", but daemon "${daemon}" is ${engine}, whose Docker-compatible API ignores HostConfig.Runtime: the run would use its default runtime. Remove runtime or use a Docker daemon`,
    });
  return errors;
}
