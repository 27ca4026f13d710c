import type { Configuration } from './configurationSchema';

/** One line for the tree: "mem 2g · 1.5 CPUs · pids 100". */
export function limitsSummary(c: Configuration): string {
  const r = c.resources;
  const parts = [
    r.memory !== undefined ? `mem ${r.memory}` : '',
    r.cpus !== undefined ? `${r.cpus} CPU${r.cpus === 1 ? '' : 's'}` : '',
    r.cpusetCpus ? `cpus ${r.cpusetCpus}` : '',
    r.pidsLimit !== undefined ? `pids ${r.pidsLimit}` : '',
    r.shmSize !== undefined ? `shm ${r.shmSize}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'no limits';
}
