import { daemonLoad, Emitter, osUser, type DaemonHub, type DaemonLoad } from '../core';

type Disposable = { dispose(): void };

export type PoolDaemonLoad = { load: DaemonLoad; error?: undefined } | { load?: undefined; error: string };

/**
 * Each pool daemon's load for the Configurations tree, read through the daemon hub (the one model of
 * daemon state: its /info and its running containers' reservations, which placement ranks by too).
 * Never waits: `now` answers what is known and starts a read within the daemon's deadline; a change
 * comes when it is done. Read again only when something changed there (a container event, a state
 * change, a run starting or ending), so an unreachable daemon is not asked in a loop.
 */
export class PoolLoads implements Disposable {
  private readonly known = new Map<string, PoolDaemonLoad>();
  private readonly fresh = new Set<string>();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly changes = new Emitter<string>();
  /** A daemon's load (or failure) was read. */
  readonly onDidChange = this.changes.event;
  private readonly watch: Disposable;

  constructor(
    private readonly hub: DaemonHub,
    /** Resolves once the hub knows the daemons of the settings. */
    private readonly ready: () => Promise<unknown>,
    private readonly user = osUser(),
  ) {
    this.watch = hub.onDidChange((c) => {
      if (c.what !== 'reservations' && c.what !== 'info' && c.what !== 'state') return;
      this.fresh.delete(c.id);
      if (this.known.has(c.id)) this.read(c.id);
    });
  }

  /** The last load or failure known (undefined: none yet); reads it again when it may have changed. */
  now(id: string): PoolDaemonLoad | undefined {
    if (!this.fresh.has(id)) this.read(id);
    return this.known.get(id);
  }

  /** A run started or ended on these daemons: their reservations changed even when no event stream runs. */
  runsChanged(ids: Iterable<string>): void {
    for (const id of ids) if (this.known.has(id)) this.hub.forget(id, 'reservations');
  }

  private read(id: string): void {
    if (this.reading.has(id)) return;
    const done = (async () => {
      try {
        await this.ready();
        if (!this.hub.spec(id)) throw new Error(`no daemon "${id}" is configured or discovered: add it in the Daemons view`);
        const [info, reservations] = await Promise.all([this.hub.list(id, 'info'), this.hub.list(id, 'reservations')]);
        this.known.set(id, { load: daemonLoad(id, info, reservations, this.user) });
      } catch (e) {
        this.known.set(id, { error: (e as Error).message });
      }
      this.fresh.add(id);
    })().finally(() => {
      this.reading.delete(id);
      this.changes.fire(id);
    });
    this.reading.set(id, done);
  }

  /** For tests: resolves once the reads going on are done. */
  async settled(): Promise<void> {
    while (this.reading.size) await Promise.all(this.reading.values());
  }

  dispose(): void {
    this.watch.dispose();
    this.changes.dispose();
  }
}
