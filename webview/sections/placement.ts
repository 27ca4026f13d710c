import { parseHost } from '../../src/core/daemonDescription';
import { EMPTY_POOL_MESSAGE, poolDaemonsNotFound } from '../../src/shared/configEditorProtocol';
import { multiSelect, row, select } from '../dom';
import { state } from '../state';

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

/** The target's errors: a new daemon's id and host, a pool's daemons, or the chosen daemon. */
export function targetProblems(errors: Map<string, string>): void {
  const { form, init } = state;
  if (form.daemonMode === 'new') {
    if (!form.newId) errors.set('newId', 'daemon id: give the new daemon an id');
    else if (init?.daemons.some((d) => d.id === form.newId))
      errors.set('newId', `daemon id "${form.newId}" exists already: pick it above instead`);
    try {
      parseHost(form.newHost.trim());
    } catch (e) {
      errors.set('newHost', (e as Error).message);
    }
  } else if (form.daemonMode === 'pool') {
    const known = init?.daemons;
    const unknown = known && poolDaemonsNotFound(form.pool, (id) => known.some((d) => d.id === id));
    if (!form.pool.length) errors.set('pool', EMPTY_POOL_MESSAGE);
    else if (unknown) errors.set('pool', unknown);
  } else if (!form.daemon) errors.set('daemon', 'daemon: pick a daemon, or define a new one');
  else if (init && !init.daemons.some((d) => d.id === form.daemon)) errors.set('daemon', `daemon not found: "${form.daemon}"`);
}
