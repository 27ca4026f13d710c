import { setTimeout as delay } from 'node:timers/promises';
import type { DaemonHub } from '../daemonHub';
import { Emitter } from '../emitter';
import { containerStatsSnapshot } from '../engine/containers';
import type { ContainerSummary } from '../engine/lists';
import { LABELS } from '../labels';
import { EngineStatsSchema, type EngineStats } from './engineStats';
import { hasCpuBaseline, sampleOf, type UsageSample } from './usage';
import { memoryText } from './usageSummary';

/** A connected daemon's running containers, added up: for its tree row. */
export interface DaemonUsageTotals {
  /** Running containers, and how many of them gave a figure (from their run's samples or a snapshot). */
  running: number;
  counted: number;
  fromRuns: number;
  /** Percent of one CPU (200 = two CPUs busy), as `docker stats` adds it up. */
  cpuPct: number;
  memBytes: number;
  hostCpus?: number;
  hostMemBytes?: number;
}

export interface DaemonUsageOptions {
  /** Pause between two rounds of a daemon (a round asks each container not sampled by a run once). */
  intervalMs?: number;
  /** Snapshots asked of one daemon at the same time. */
  concurrency?: number;
  /** A snapshot's deadline at least this (Docker answers stream=false after its second reading, about a second). */
  minSnapshotMs?: number;
  /**
   * The pause before a second snapshot of a container seen for the first time whose snapshot carries no earlier
   * reading (Podman: `precpu_stats` zero): its CPU is the delta between the two, later rounds' against the round before.
   */
  baselineMs?: number;
}

type Part = Pick<UsageSample, 'cpuPct' | 'memBytes'> & { fromRun: boolean };

/** "3 running: CPU 35% · 1.2 of 16.8 GB". */
export function daemonUsageText(t: DaemonUsageTotals): string {
  return `${t.running} running: CPU ${Math.round(t.cpuPct)}% · ${memoryText(t.memBytes, t.hostMemBytes)}`;
}

/** The tooltip's line: what was added up, and from where. */
export function daemonUsageDetail(t: DaemonUsageTotals): string {
  const cores = `${(t.cpuPct / 100).toFixed(1)}${t.hostCpus ? ` of ${t.hostCpus}` : ''} CPUs`;
  const missing = t.running - t.counted;
  return (
    `Containers running: ${t.running}, using ${cores} and ${memoryText(t.memBytes, t.hostMemBytes)} of memory` +
    ` (${t.fromRuns} from their runs' samples, ${t.counted - t.fromRuns} from one stats snapshot each` +
    `${missing ? `, ${missing} did not answer` : ''})`
  );
}

/**
 * Each connected daemon's containers' total CPU and memory, only while started (the Daemons view visible):
 * a container of a run sampled in this window counts its latest sample; each other running container is
 * asked for one stats snapshot (`stream=false`) per round (two on first sight where the daemon sends no
 * earlier reading: Podman), a few at a time, each within a deadline. Every
 * daemon has its own rounds: a slow one never holds another's. Stopping aborts every call in flight.
 */
export class DaemonUsageSampler {
  private readonly totals = new Map<string, DaemonUsageTotals>();
  private readonly changes = new Emitter<string>();
  /** A daemon's totals changed (or went away). */
  readonly onDidChange = this.changes.event;
  private readonly inFlight = new Set<string>();
  private ctl: AbortController | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly opts: Required<DaemonUsageOptions>;
  private readonly hubSub: { dispose(): void };
  /** Each daemon's latest snapshot of each running container: the CPU baseline where the daemon sends none. */
  private readonly lastSnapshots = new Map<string, Map<string, EngineStats>>();
  /** The latest sample of a run going on in this window, by run id (none when its sampling is not live). */
  runSample: (runId: string) => UsageSample | undefined = () => undefined;

  constructor(
    private readonly hub: DaemonHub,
    opts: DaemonUsageOptions = {},
  ) {
    this.opts = { intervalMs: 10_000, concurrency: 4, minSnapshotMs: 5000, baselineMs: 1000, ...opts };
    // a daemon that connects gets its first round at once, not at the next tick
    this.hubSub = hub.onDidChange((c) => c.what === 'state' && this.ctl && this.tick([c.id]));
  }

  get(id: string): DaemonUsageTotals | undefined {
    return this.totals.get(id);
  }

  get isRunning(): boolean {
    return this.ctl !== undefined;
  }

  setRunning(on: boolean): void {
    if (on === this.isRunning) return;
    if (on) {
      this.ctl = new AbortController();
      this.ticker = setInterval(() => this.tick(this.hub.ids()), this.opts.intervalMs);
      this.tick(this.hub.ids());
      return;
    }
    this.ctl?.abort();
    this.ctl = undefined;
    clearInterval(this.ticker);
    const had = [...this.totals.keys()];
    this.totals.clear();
    this.lastSnapshots.clear();
    had.forEach((id) => this.changes.fire(id));
  }

  private tick(ids: string[]): void {
    const signal = this.ctl?.signal;
    if (!signal) return;
    for (const id of ids) {
      if (this.hub.status(id).state !== 'connected') {
        this.lastSnapshots.delete(id);
        if (this.totals.delete(id)) this.changes.fire(id);
        continue;
      }
      if (this.inFlight.has(id)) continue;
      this.inFlight.add(id);
      void this.round(id, signal).finally(() => this.inFlight.delete(id));
    }
  }

  private async round(id: string, signal: AbortSignal): Promise<void> {
    let next: DaemonUsageTotals | undefined;
    try {
      const [containers, info] = await Promise.all([this.hub.list(id, 'containers'), this.hub.list(id, 'info').catch(() => undefined)]);
      const running = containers.filter((c) => c.state === 'running');
      const last = this.lastSnapshots.get(id);
      const ids = new Set(running.map((c) => c.id));
      for (const c of last?.keys() ?? []) if (!ids.has(c)) last!.delete(c); // gone: no stale baseline
      const parts = await inBatches(running, this.opts.concurrency, (c) => this.usageOf(id, c, signal));
      const counted = parts.filter((p): p is Part => p !== undefined);
      next = {
        running: running.length,
        counted: counted.length,
        fromRuns: counted.filter((p) => p.fromRun).length,
        cpuPct: counted.reduce((sum, p) => sum + p.cpuPct, 0),
        memBytes: counted.reduce((sum, p) => sum + p.memBytes, 0),
        hostCpus: info?.cpus,
        hostMemBytes: info?.memTotalBytes,
      };
    } catch {
      // the list failed (daemon lost): its row says so through its state; no stale totals
    }
    if (signal.aborted) return;
    if (next) this.totals.set(id, next);
    else this.totals.delete(id);
    this.changes.fire(id);
  }

  /**
   * A container's figures: its run's latest sample, else a snapshot (undefined when it gives none in time). Its
   * CPU is against the daemon's earlier reading (Docker's precpu_stats), else against this sampler's previous
   * snapshot of it: on first sight, a second snapshot `baselineMs` later.
   */
  private async usageOf(id: string, c: ContainerSummary, signal: AbortSignal): Promise<Part | undefined> {
    const runId = c.labels[LABELS.run];
    const ours = runId ? this.runSample(runId) : undefined;
    if (ours) return { cpuPct: ours.cpuPct, memBytes: ours.memBytes, fromRun: true };
    const client = this.hub.client(id);
    if (!client || signal.aborted) return undefined;
    const timeoutMs = Math.max(this.hub.spec(id)?.daemon.timeoutMs ?? 0, this.opts.minSnapshotMs);
    const snapshot = async () => {
      const parsed = EngineStatsSchema.safeParse(await containerStatsSnapshot(client, c.id, { timeoutMs, signal }));
      return parsed.success ? parsed.data : undefined;
    };
    const last = this.lastSnapshots.get(id) ?? this.lastSnapshots.set(id, new Map()).get(id)!;
    try {
      let raw = await snapshot();
      if (raw && !hasCpuBaseline(raw, last.get(c.id))) {
        last.set(c.id, raw);
        await delay(this.opts.baselineMs, undefined, { signal });
        raw = await snapshot();
      }
      if (!raw) return undefined;
      const s = sampleOf(raw, last.get(c.id));
      last.set(c.id, raw);
      return { cpuPct: s.cpuPct, memBytes: s.memBytes, fromRun: false };
    } catch {
      return undefined; // gone between the list and the call, slow, or stopped: left out of this round's total
    }
  }

  dispose(): void {
    this.setRunning(false);
    this.hubSub.dispose();
    this.changes.dispose();
  }
}

/** `fn` over `items`, at most `width` at a time, results in order. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
