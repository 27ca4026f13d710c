import { acquireLoadCache, daemonLoad, Emitter, holdingCapacity, osUser, type DaemonHub, type DaemonLoad, type LoadCache } from '../core';

type Disposable = { dispose(): void };

export type PoolDaemonLoad = { load: DaemonLoad; error?: undefined } | { load?: undefined; error: string };

interface Watched {
  key: string;
  cache: LoadCache;
  release(): void;
  unsubscribe(): void;
}

/**
 * Each pool daemon's load for the Configurations tree, read from the load cache placement ranks by (one
 * per daemon in this process, kept by the daemon's event stream): the tree shows what placement sees.
 * Never waits: `now` answers what is known and starts a read within the daemon's deadline; a change
 * comes when it is done. Read again only when something changed there (the cache's container events, the
 * hub's state change of that daemon, a run starting or ending), so an unreachable daemon is not asked in a loop.
 */
export class PoolLoads implements Disposable {
  private readonly known = new Map<string, PoolDaemonLoad>();
  private readonly fresh = new Set<string>();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly watched = new Map<string, Watched>();
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
      if (c.what === 'info' || c.what === 'state') this.stale(c.id);
    });
  }

  /** The last load or failure known (undefined: none yet); reads it again when it may have changed. */
  now(id: string): PoolDaemonLoad | undefined {
    if (!this.fresh.has(id)) this.read(id);
    return this.known.get(id);
  }

  /** A run started or ended on these daemons (its container events may not have come yet). */
  runsChanged(ids: Iterable<string>): void {
    for (const id of ids) this.stale(id);
  }

  private stale(id: string): void {
    this.fresh.delete(id);
    if (this.known.has(id)) this.read(id);
  }

  /** The daemon's load cache, re-acquired when its connection settings changed. */
  private cacheOf(id: string): LoadCache {
    const spec = this.hub.spec(id);
    if (!spec) throw new Error(`no daemon "${id}" is configured or discovered: add it in the Daemons view`);
    const key = JSON.stringify(spec.daemon);
    const w = this.watched.get(id);
    if (w?.key === key) return w.cache;
    this.unwatch(id);
    const { cache, release } = acquireLoadCache(spec.daemon);
    const unsubscribe = cache.onChange(() => this.stale(id));
    this.watched.set(id, { key, cache, release, unsubscribe });
    return cache;
  }

  private unwatch(id: string): void {
    const w = this.watched.get(id);
    w?.unsubscribe();
    w?.release();
    this.watched.delete(id);
  }

  private read(id: string): void {
    if (this.reading.has(id)) return;
    const done = (async () => {
      try {
        await this.ready();
        const cache = this.cacheOf(id);
        const [info, holdings] = await Promise.all([cache.info(), cache.holdingsNow()]);
        this.known.set(id, { load: daemonLoad(id, info, holdingCapacity(holdings), this.user) });
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
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    this.changes.dispose();
  }
}
