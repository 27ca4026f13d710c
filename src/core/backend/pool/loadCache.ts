import { createDaemonClient, type CallOptions, type DaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import { followEvents, type EngineEvent } from '../../engine/events';
import { HOLDING_STATES, containerHoldings, inspectHolding, type Holding } from '../../engine/pool';
import type { DaemonInfo } from '../../engineTypes';
import { untilAborted } from '../../untilAborted';

/** How long a daemon's cache stays (its event stream open) after the last pool back-end using it is disposed. */
const LINGER_MS = 20000;
/** How long one /info answer serves the placements that follow it. */
const INFO_FRESH_MS = 1000;
/**
 * While a run is queued or placed, every daemon's containers are recounted this often: an event stream
 * can go silent without closing (NAT, a proxy, a daemon restart the client never saw), and a queued run
 * must still start within this period of room freeing. A recount that finds what the stream missed
 * reconnects the stream. Idle caches (no run queued or placed) do not recount.
 */
export const LOAD_RECOUNT_MS = 5000;
/** Container events that change nothing placement counts. */
const IGNORED = /^(exec_|attach|archive-path|extract-to-dir|resize|top|copy|export|commit|health_status)/;

/**
 * What one daemon's containers hold, kept current by its event stream: a container event re-inspects
 * that container alone, a destroy drops it. Placement reads this instead of listing and inspecting every
 * container of every daemon. The whole set is recounted when the stream (re)connects, whenever a read
 * finds no live stream, and every LOAD_RECOUNT_MS while kept fresh (a run queued or placed). It only ranks daemons: budgets are still recounted from the daemon after the
 * claim is created (optimistic admission), so a stale entry cannot overshoot one.
 */
class DaemonLoadCache {
  readonly client: DaemonClient;
  private holdings = new Map<string, Holding>();
  /** Per container, the latest inspect issued: an older answer arriving later does not overwrite a newer one. */
  private issued = new Map<string, number>();
  private gen = 0;
  private readonly listeners = new Set<() => void>();
  private ready: Promise<void> | undefined;
  private stream: AbortController | undefined;
  /** Holders of keepFresh (runs queued or placed); the recount timer runs while there is one. */
  private keepers = 0;
  private recountTimer: ReturnType<typeof setInterval> | undefined;
  private recounting = false;
  users = 0;
  linger: ReturnType<typeof setTimeout> | undefined;

  constructor(
    daemon: DaemonDescriptionInput | DaemonDescription,
    private readonly onClosed: () => void,
  ) {
    this.client = createDaemonClient(daemon);
  }

  /** Every container's holding now; a cold or disconnected cache connects and recounts first (within the daemon's deadline). */
  async holdingsNow(opts: CallOptions = {}): Promise<Holding[]> {
    this.ready ??= this.connect();
    const ready = this.ready;
    ready.catch(() => {
      if (this.ready === ready) this.ready = undefined;
    });
    // the recount is shared: a caller's cancel leaves it, it does not abort it
    await untilAborted(ready, opts.signal);
    return [...this.holdings.values()];
  }

  private infoAsked: { at: number; answer: Promise<DaemonInfo> } | undefined;

  /**
   * The daemon's /info, one request for every run placed at the same moment (a dozen runs started at
   * once ask once, not a dozen times); an answer is reused for INFO_FRESH_MS, a failure never.
   */
  info(opts: CallOptions = {}): Promise<DaemonInfo> {
    const asked = this.infoAsked;
    if (!asked || Date.now() - asked.at > INFO_FRESH_MS) {
      const answer = this.client.info();
      const entry = { at: Date.now(), answer };
      this.infoAsked = entry;
      answer.catch(() => {
        if (this.infoAsked === entry) this.infoAsked = undefined;
      });
      return untilAborted(answer, opts.signal);
    }
    return untilAborted(asked.answer, opts.signal);
  }

  /** `listener` after each change applied (a container's new state, or its removal); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Recounts every LOAD_RECOUNT_MS until the returned function is called (by every caller that asked):
   * a silent event stream then costs a queued run at most that period. Returns the release.
   */
  keepFresh(): () => void {
    if (this.keepers++ === 0) {
      this.recountTimer = setInterval(() => void this.recountNow(), LOAD_RECOUNT_MS);
      this.recountTimer.unref?.();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.keepers === 0) clearInterval(this.recountTimer);
    };
  }

  private async recountNow(): Promise<void> {
    if (this.recounting) return;
    this.recounting = true;
    try {
      const ready = this.ready;
      if (!ready) {
        // no live stream: connecting recounts
        await this.holdingsNow();
        this.notify();
      } else if (await ready.then(() => this.recount())) {
        // the recount found a change no event brought: the stream is silent, follow a new one
        this.follow();
        this.notify();
      }
    } catch {
      this.ready = undefined; // unreadable now: the next read or recount connects again
    } finally {
      this.recounting = false;
    }
  }

  private async connect(): Promise<void> {
    // events first: a change during the recount is replayed (the stream starts at this second) and re-inspected
    this.follow();
    await this.recount();
  }

  /** (Re)opens the event stream; the old one, if any, is closed. */
  private follow(): void {
    this.stream?.abort();
    const stream = (this.stream = new AbortController());
    const onEvent = (e: EngineEvent) => e.type === 'container' && e.id && !IGNORED.test(e.action) && this.changed(e.id, e.action);
    void followEvents(this.client, onEvent, stream.signal).then(() => {
      // the stream ended (the daemon went away, or close): the next read recounts and reconnects
      if (this.stream === stream) {
        this.stream = undefined;
        this.ready = undefined;
      }
    });
  }

  /** Reads every container again; true when the cache was wrong about one (a change its stream did not bring). */
  private async recount(): Promise<boolean> {
    const gen = ++this.gen;
    const all = await containerHoldings(this.client, { all: true });
    const fresh = new Map<string, Holding>();
    for (const h of all) if ((this.issued.get(h.id) ?? 0) <= gen) fresh.set(h.id, h);
    // entries inspected after this recount began are newer than its answers
    for (const [id, h] of this.holdings) if ((this.issued.get(id) ?? 0) > gen && !fresh.has(id)) fresh.set(id, h);
    // a container neither listed nor inspected since is gone: its bookkeeping goes too (an answer still on its way is then ignored)
    for (const [id, g] of this.issued) if (g <= gen && !fresh.has(id)) this.issued.delete(id);
    const missed = fresh.size !== this.holdings.size || [...fresh].some(([id, h]) => this.holdings.get(id)?.state !== h.state);
    this.holdings = fresh;
    return missed;
  }

  private changed(id: string, action: string): void {
    const gen = ++this.gen;
    this.issued.set(id, gen);
    if (action === 'destroy') {
      this.holdings.delete(id);
      this.notify();
      return;
    }
    void inspectHolding(this.client, id).then(
      (h) => {
        if (this.issued.get(id) !== gen) return; // a later event's inspect (or a destroy) decides
        if (h) this.holdings.set(id, h);
        else this.holdings.delete(id);
        this.notify();
      },
      // unreadable now: the next recount knows it
      () => (this.ready = undefined),
    );
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  close(): void {
    clearInterval(this.recountTimer);
    this.stream?.abort();
    this.stream = undefined;
    this.ready = undefined;
    this.client.dispose();
    this.onClosed();
  }
}

const caches = new Map<string, DaemonLoadCache>();

/** A daemon's load cache, shared by every pool back-end of this process naming the same daemon; `release` when done. */
export function acquireLoadCache(daemon: DaemonDescriptionInput | DaemonDescription): { cache: LoadCache; release: () => void } {
  const key = JSON.stringify(daemon);
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new DaemonLoadCache(daemon, () => caches.delete(key))));
  const c = cache;
  clearTimeout(c.linger);
  c.users++;
  let released = false;
  return {
    cache: c,
    release: () => {
      if (released) return;
      released = true;
      if (--c.users > 0) return;
      c.linger = setTimeout(() => c.users === 0 && c.close(), LINGER_MS);
      c.linger.unref?.();
    },
  };
}

export type LoadCache = Pick<DaemonLoadCache, 'holdingsNow' | 'onChange' | 'info' | 'keepFresh'>;

/** The containers that hold their CPUs and memory now (a created or exited one holds nothing). */
export const holdingCapacity = (holdings: Holding[]): Holding[] => holdings.filter((h) => HOLDING_STATES.has(h.state));
