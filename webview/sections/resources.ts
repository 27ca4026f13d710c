import { el, row, text } from '../dom';

/** Docker's limits, in docker run's units. */
export function resourcesSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Resources'),
    el(
      'p',
      { class: 'lead' },
      'Docker limits, with the units of docker run: memory 512m, 2g, 1.5GiB; CPUs 1.5. Checked against the daemon.',
    ),
    row('Memory', 'memory', text('2g')),
    row('Memory reservation', 'memoryReservation', text('1g')),
    row('Memory + swap', 'memorySwap', text('4g, or -1 for unlimited')),
    row('CPUs', 'cpus', text('1.5')),
    row('CPU shares', 'cpuShares', text('1024')),
    row('CPU set', 'cpusetCpus', text('0-3')),
    row('Max processes', 'pidsLimit', text('100')),
    row('Shared memory', 'shmSize', text('64m')),
  ];
}
