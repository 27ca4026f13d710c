import type { RunHandle } from '../backend/backend';
import { EngineStatsSchema, type EngineStats } from './engineStats';
import { hasCpuBaseline, sampleOf, type UsageSample } from './usage';

export interface SamplingOptions {
  /** Ends the sampling (the run is over): the stream is closed, nothing is reported. */
  signal: AbortSignal;
  /** How long the first sample of a connection may take (Docker sends it after about 1-2 s). */
  firstSampleMs: number;
  /** The daemon's pace (Docker: one a second); `missedIntervals` of them without a sample is a silent stream. */
  intervalMs: number;
  missedIntervals: number;
  /** Connections in a row that may fail to give a sample before the sampling ends. */
  retries: number;
  onSample(sample: UsageSample, raw: EngineStats): void;
}

/** How the sampling ended: the run ended (`stopped`), or the daemon stopped giving samples (`silent`, with why). */
export interface SamplingEnd {
  samples: number;
  ended: 'stopped' | 'silent';
  reason?: string;
}

export const DEFAULT_SAMPLING = { firstSampleMs: 10_000, intervalMs: 1000, missedIntervals: 5, retries: 2 };

/**
 * Samples a run's container while it runs: one stats stream at a time; a connection that gives no sample
 * within `firstSampleMs`, or none for `missedIntervals` × `intervalMs`, is closed and opened again, at most
 * `retries` times in a row; then the sampling ends quietly (a lost daemon is the run driver's to report).
 * Never throws.
 */
export async function sampleRun(run: Pick<RunHandle, 'followStats'>, opts: SamplingOptions): Promise<SamplingEnd> {
  let samples = 0;
  let previous: EngineStats | undefined;
  let failures = 0;
  let reason = '';
  while (!opts.signal.aborted && failures <= opts.retries) {
    const got = await oneConnection(run, opts, (raw) => {
      // the first object has no CPU baseline: it is the next one's (a 0 % would skew the mean)
      if (hasCpuBaseline(raw, previous)) {
        samples++;
        opts.onSample(sampleOf(raw, previous), raw);
      }
      previous = raw;
    });
    if (opts.signal.aborted) break;
    failures = got.samples > 0 ? 1 : failures + 1;
    reason = got.reason;
    // a daemon that refuses at once is not asked again in a tight loop
    if (failures <= opts.retries) await pause(Math.min(opts.intervalMs, 1000), opts.signal);
  }
  return opts.signal.aborted ? { samples, ended: 'stopped' } : { samples, ended: 'silent', reason };
}

/** One stats stream, closed when it goes silent; resolves with its sample count and why it ended. */
async function oneConnection(
  run: Pick<RunHandle, 'followStats'>,
  opts: SamplingOptions,
  onRaw: (raw: EngineStats) => void,
): Promise<{ samples: number; reason: string }> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  opts.signal.addEventListener('abort', stop, { once: true });
  let samples = 0;
  let reason = 'the stats stream ended';
  let timer: NodeJS.Timeout | undefined;
  const watch = (ms: number, why: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      reason = why;
      ctl.abort();
    }, ms);
  };
  watch(opts.firstSampleMs, `no stats within ${opts.firstSampleMs} ms`);
  // the daemon's own pace, when slower than ours: Podman sends its first object at once, then one every 5 s
  let pace = opts.intervalMs;
  let lastAt = 0;
  try {
    await run.followStats((json) => {
      const parsed = EngineStatsSchema.safeParse(json);
      // a stopped container's stats are all zero: not a sample
      if (!parsed.success || ctl.signal.aborted || !(parsed.data.cpu_stats?.cpu_usage?.total_usage || parsed.data.memory_stats?.usage))
        return;
      samples++;
      const now = Date.now();
      if (samples >= 2) pace = Math.min(Math.max(pace, now - lastAt), opts.firstSampleMs); // a stall does not stretch it further
      lastAt = now;
      const silence = samples === 1 ? Math.max(opts.firstSampleMs, pace * opts.missedIntervals) : pace * opts.missedIntervals;
      watch(silence, `no stats for ${opts.missedIntervals} × ${pace} ms`);
      onRaw(parsed.data);
    }, ctl.signal);
  } catch (e) {
    if (!ctl.signal.aborted) reason = (e as Error).message;
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', stop);
  }
  return { samples, reason };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
