import { multiSelect, row, select } from '../dom';

/** Where runs go: one daemon (configured, or defined here: the rows after these), or a pool of configured daemons. */
export function placementRows(daemons: [string, string][]): HTMLElement[] {
  return [
    row(
      'Daemon',
      'daemonMode',
      select([
        ['existing', 'A configured or discovered daemon'],
        ['new', 'A new daemon, defined here'],
        ['pool', 'A pool of daemons (each run on the least-loaded one)'],
      ]),
    ),
    row('Use', 'daemon', select(daemons)),
    row(
      'Pool',
      'pool',
      multiSelect(daemons),
      'Each run is placed on the daemon with the most free CPUs and memory that can take it; budgets: containerExec.budgets',
    ),
  ];
}
