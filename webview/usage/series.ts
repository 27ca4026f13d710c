// The chart's series from a run's samples: counters become rates, times become seconds (uPlot's x).
import type { UsageSample } from '../../src/core/stats/usage';

export interface RunSeries {
  x: number[];
  cpu: number[];
  mem: number[];
  limit: (number | null)[];
  netRx: number[];
  netTx: number[];
  blkRead: number[];
  blkWrite: number[];
}

export const emptySeries = (): RunSeries => ({ x: [], cpu: [], mem: [], limit: [], netRx: [], netTx: [], blkRead: [], blkWrite: [] });

/** The most points kept per run while it streams: older ones go (the finished run's file has them all). */
export const MAX_POINTS = 4000;

/** Appends samples (in time order) to a run's series; a counter's rate is its rise per second since the previous sample. */
export function appendSamples(s: RunSeries, samples: readonly UsageSample[], previous: { last?: UsageSample }): void {
  for (const x of samples) {
    const before = previous.last;
    const dt = before ? (x.t - before.t) / 1000 : 0;
    // a reconnect or a restart may lower a counter: no negative rate
    const rate = (now: number, then: number | undefined) => (dt > 0 && then !== undefined ? Math.max(0, (now - then) / dt) : 0);
    s.x.push(x.t / 1000);
    s.cpu.push(x.cpuPct);
    s.mem.push(x.memBytes);
    s.limit.push(x.memLimitBytes ?? null);
    s.netRx.push(rate(x.netRxBytes, before?.netRxBytes));
    s.netTx.push(rate(x.netTxBytes, before?.netTxBytes));
    s.blkRead.push(rate(x.blkReadBytes, before?.blkReadBytes));
    s.blkWrite.push(rate(x.blkWriteBytes, before?.blkWriteBytes));
    previous.last = x;
  }
  const extra = s.x.length - MAX_POINTS;
  if (extra > 0) for (const k of Object.keys(s) as (keyof RunSeries)[]) s[k].splice(0, extra);
}
