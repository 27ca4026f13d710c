import { DaemonClient } from './daemonClient';
import type { DaemonDescription } from './daemonDescription';
import { Emitter } from './emitter';
import { listContainers, listImages, listVolumes, type ContainerSummary, type ImageSummary, type VolumeSummary } from './engine/lists';
import { followEvents } from './engine/events';
import { swarmOverview, type SwarmOverview } from './engine/swarm';
import type { DaemonInfo, DaemonVersion } from './engineTypes';
import { DaemonError } from './errors';
import type { EntryOrigin } from './settingsList';

export type DaemonState = 'idle' | 'connecting' | 'connected' | 'unreachable' | 'tls-error' | 'permission-denied' | 'invalid';

/** Where a daemon comes from: settings can be edited; discovered ones are read-only until imported. */
export type DaemonSource = 'user' | 'workspace' | 'environment' | 'context';

export interface DaemonSpec {
  daemon: DaemonDescription;
  source: DaemonSource;
  /** The docker CLI's current context. */
  current?: boolean;
  /** For a daemon from settings (user, workspace): the entry it was read from, which edits go back to. */
  origin?: EntryOrigin;
  /** A workspace entry that took the id of a daemon from elsewhere (your user settings, a Docker context, the environment). */
  shadows?: DaemonSource;
}

export interface DaemonStatus {
  state: DaemonState;
  error?: DaemonError;
  roundTripMs?: number;
  checkedAt?: Date;
}

export type ListKind = 'version' | 'info' | 'containers' | 'images' | 'volumes' | 'swarm';
interface Lists {
  /** Not part of connecting: /version makes dockerd run runc and docker-init; tooltips ask for it. */
  version: DaemonVersion;
  info: DaemonInfo;
  containers: ContainerSummary[];
  images: ImageSummary[];
  volumes: VolumeSummary[];
  swarm: SwarmOverview;
}

/** What changed: a daemon's state, or one of its lists (the tree refreshes just that node). */
export interface HubChange {
  id: string;
  what: 'state' | ListKind;
}

export interface HubOptions {
  /** First reconnect delay; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Slow poll while live: a ping, and lists reloaded in case an event was missed. */
  pollMs?: number;
}

class Daemon {
  status: DaemonStatus = { state: 'idle' };
  lists = new Map<ListKind, Promise<unknown>>();
  connecting: Promise<DaemonStatus> | undefined;
  live: AbortController | undefined;
  constructor(
    public spec: DaemonSpec,
    readonly client: DaemonClient,
  ) {}
}

const stateOf = (e: DaemonError): DaemonState =>
  e.kind === 'tls' ? 'tls-error' : e.kind === 'permission' ? 'permission-denied' : e.kind === 'config' ? 'invalid' : 'unreachable';
const EVENT_LISTS: Record<string, ListKind[]> = { container: ['containers'], image: ['images'], volume: ['volumes'] };

/**
 * All daemons at once: their connection state, lazily loaded lists, and (while live, i.e. while a view
 * shows them) one event stream per connected daemon, reconnecting with backoff. Daemons never wait
 * for each other: every call has the daemon's own deadline.
 */
export class DaemonHub {
  private readonly daemons = new Map<string, Daemon>();
  private readonly changes = new Emitter<HubChange>();
  readonly onDidChange = this.changes.event;
  private live = false;
  private readonly opts: Required<HubOptions>;

  constructor(opts: HubOptions = {}) {
    this.opts = { initialBackoffMs: 500, maxBackoffMs: 8000, pollMs: 30000, ...opts };
  }

  /** Replaces the daemon list; a daemon whose description is unchanged keeps its connection and caches. */
  setDaemons(specs: DaemonSpec[]): void {
    const next = new Map<string, Daemon>();
    for (const spec of specs) {
      const old = this.daemons.get(spec.daemon.id);
      if (old && JSON.stringify(old.spec.daemon) === JSON.stringify(spec.daemon)) {
        old.spec = spec;
        next.set(spec.daemon.id, old);
      } else next.set(spec.daemon.id, new Daemon(spec, new DaemonClient(spec.daemon)));
    }
    for (const [id, d] of this.daemons) if (next.get(id) !== d) this.retire(d);
    this.daemons.clear();
    for (const [id, d] of next) this.daemons.set(id, d);
    if (this.live) for (const d of this.daemons.values()) if (!d.live) this.goLive(d);
  }

  ids(): string[] {
    return [...this.daemons.keys()];
  }
  spec(id: string): DaemonSpec | undefined {
    return this.daemons.get(id)?.spec;
  }
  status(id: string): DaemonStatus {
    return this.daemons.get(id)?.status ?? { state: 'idle' };
  }
  client(id: string): DaemonClient | undefined {
    return this.daemons.get(id)?.client;
  }

  /** Pings the daemon and reads its version; at most one check per daemon runs at a time. */
  connect(id: string): Promise<DaemonStatus> {
    const d = this.daemons.get(id);
    if (!d) return Promise.resolve({ state: 'idle' });
    d.connecting ??= (async () => {
      // a retry in the background keeps showing the last failure rather than flickering to "connecting"
      if (d.status.state === 'idle' || d.status.state === 'connected') this.setStatus(d, { ...d.status, state: 'connecting' });
      try {
        const { roundTripMs } = await d.client.ping();
        this.setStatus(d, { state: 'connected', roundTripMs, checkedAt: new Date() });
      } catch (e) {
        const error = e instanceof DaemonError ? e : new DaemonError('unreachable', d.client.host, String(e));
        d.lists.clear();
        this.setStatus(d, { state: stateOf(error), error, checkedAt: new Date() });
      } finally {
        d.connecting = undefined;
      }
      return d.status;
    })();
    return d.connecting;
  }

  /** A list of a daemon, cached until an event or refresh says it changed. */
  list<K extends ListKind>(id: string, kind: K): Promise<Lists[K]> {
    const d = this.daemons.get(id);
    if (!d) return Promise.reject(new Error(`no daemon "${id}"`));
    let p = d.lists.get(kind) as Promise<Lists[K]> | undefined;
    if (!p) {
      const load: Record<ListKind, () => Promise<unknown>> = {
        version: () => d.client.version(),
        info: () => d.client.info(),
        containers: () => listContainers(d.client),
        images: () => listImages(d.client),
        volumes: () => listVolumes(d.client),
        swarm: async () => swarmOverview(d.client, { manager: (await this.list(id, 'info')).swarmManager }),
      };
      p = load[kind]() as Promise<Lists[K]>;
      d.lists.set(kind, p);
      p.catch(() => d.lists.get(kind) === p && d.lists.delete(kind));
    }
    return p;
  }

  /** Forgets caches and reconnects: one daemon, or all. */
  async refresh(id?: string): Promise<void> {
    const targets = id ? [this.daemons.get(id)].filter((d): d is Daemon => !!d) : [...this.daemons.values()];
    await Promise.all(
      targets.map(async (d) => {
        d.lists.clear();
        const wasLive = d.live;
        if (wasLive) {
          d.live?.abort(); // the live loop reconnects at once
          d.live = undefined;
          this.goLive(d);
        } else await this.connect(d.spec.daemon.id);
      }),
    );
  }

  /** Live: connect every daemon and follow its events. Not live: nothing runs (view hidden). */
  setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    for (const d of this.daemons.values()) {
      if (live) this.goLive(d);
      else {
        d.live?.abort();
        d.live = undefined;
      }
    }
  }

  get isLive(): boolean {
    return this.live;
  }

  private goLive(d: Daemon): void {
    const ctl = new AbortController();
    d.live = ctl;
    void this.liveLoop(d, ctl.signal);
  }

  private async liveLoop(d: Daemon, signal: AbortSignal): Promise<void> {
    const id = d.spec.daemon.id;
    let backoff = this.opts.initialBackoffMs;
    while (!signal.aborted) {
      const status = await this.connect(id);
      if (signal.aborted) return;
      if (status.state !== 'connected') {
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
        continue;
      }
      backoff = this.opts.initialBackoffMs;
      // one stream per daemon; a poll that fails (daemon hung) cuts it, and the loop reconnects
      const streamCtl = new AbortController();
      const stop = () => streamCtl.abort();
      signal.addEventListener('abort', stop, { once: true });
      const poll = setInterval(() => {
        for (const k of d.lists.keys()) this.invalidate(d, k);
        d.client.ping().catch(stop);
      }, this.opts.pollMs);
      try {
        await followEvents(d.client, (e) => (EVENT_LISTS[e.type] ?? []).forEach((k) => this.invalidate(d, k)), streamCtl.signal);
      } finally {
        clearInterval(poll);
        signal.removeEventListener('abort', stop);
        streamCtl.abort();
      }
    }
  }

  private invalidate(d: Daemon, kind: ListKind): void {
    d.lists.delete(kind);
    this.changes.fire({ id: d.spec.daemon.id, what: kind });
  }

  private setStatus(d: Daemon, status: DaemonStatus): void {
    const changed = status.state !== d.status.state || status.error?.message !== d.status.error?.message;
    d.status = status;
    if (changed || status.state === 'connected') this.changes.fire({ id: d.spec.daemon.id, what: 'state' });
  }

  private retire(d: Daemon): void {
    d.live?.abort();
    d.live = undefined;
    d.client.dispose();
  }

  dispose(): void {
    for (const d of this.daemons.values()) this.retire(d);
    this.daemons.clear();
    this.changes.dispose();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
