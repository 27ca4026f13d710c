import * as path from 'node:path';
import type { RunHandle } from '../backend/backend';
import { DEFAULT_SAMPLING, sampleRun, type SamplingEnd, type SamplingOptions } from './sampler';
import { STATS_FILE, StatsLog } from './statsLog';
import { onlineCpus, type UsageSample } from './usage';
import { addSample, emptyUsage, type UsageSummary } from './usageSummary';

export interface UsageRecordingOptions {
  /** The run's folder: its samples go to stats.jsonl there. */
  folder: string;
  /** The configuration's `cpus` (else the host's CPUs, from the first sample). */
  cpuLimit?: number;
  sampling?: Partial<Omit<SamplingOptions, 'signal' | 'onSample'>>;
  onUsage?(sample: UsageSample, summary: UsageSummary): void;
}

export interface UsageRecording {
  /** Ends the sampling (its stream closed) and the file; the summary, or none when no sample came. */
  stop(): Promise<UsageSummary | undefined>;
  /** How the sampling ended (after stop, or earlier when the daemon went silent). */
  readonly ended: Promise<SamplingEnd>;
}

/** Samples a started run until `stop`: peaks and totals in a summary, the series in the run folder's stats.jsonl. */
export function recordUsage(run: Pick<RunHandle, 'followStats'>, opts: UsageRecordingOptions): UsageRecording {
  const ctl = new AbortController();
  const log = new StatsLog(path.join(opts.folder, STATS_FILE));
  let summary = emptyUsage(opts.cpuLimit);
  let lastAt: number | undefined;
  const sampling = { ...DEFAULT_SAMPLING, ...opts.sampling };
  const ended = sampleRun(run, {
    ...sampling,
    signal: ctl.signal,
    onSample: (sample, raw) => {
      if (!summary.cpuLimit) {
        const cpus = onlineCpus(raw);
        if (cpus) summary = { ...summary, cpuLimit: cpus };
      }
      // the first sample's CPU covers about one interval (the daemon's own precpu reading, or the stream's first object)
      summary = addSample(summary, sample, lastAt === undefined ? sampling.intervalMs : sample.t - lastAt);
      lastAt = sample.t;
      log.add(sample);
      opts.onUsage?.(sample, summary);
    },
  });
  let stopped: Promise<UsageSummary | undefined> | undefined;
  return {
    ended,
    stop: () =>
      (stopped ??= (async () => {
        ctl.abort();
        await ended;
        await log.close();
        return summary.samples ? summary : undefined;
      })()),
  };
}
