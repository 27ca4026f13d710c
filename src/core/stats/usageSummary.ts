import * as z from 'zod';
import type { UsageSample } from './usage';

/** What a run used, over all its samples: kept in its record, said in its terminal's summary line. */
export const UsageSummarySchema = z.object({
  samples: z.number(),
  peakMemBytes: z.number(),
  /** The memory limit it ran under (the host's memory when the configuration sets none). */
  memLimitBytes: z.number().optional(),
  peakCpuPct: z.number(),
  meanCpuPct: z.number(),
  /** CPU time used while sampled. */
  cpuSeconds: z.number(),
  /** The CPUs it could use: the configuration's `cpus`, else the host's. */
  cpuLimit: z.number().optional(),
  netRxBytes: z.number(),
  netTxBytes: z.number(),
  blkReadBytes: z.number(),
  blkWriteBytes: z.number(),
  peakPids: z.number(),
});
export type UsageSummary = z.output<typeof UsageSummarySchema>;

export const emptyUsage = (cpuLimit?: number): UsageSummary => ({
  samples: 0,
  peakMemBytes: 0,
  peakCpuPct: 0,
  meanCpuPct: 0,
  cpuSeconds: 0,
  ...(cpuLimit ? { cpuLimit } : {}),
  netRxBytes: 0,
  netTxBytes: 0,
  blkReadBytes: 0,
  blkWriteBytes: 0,
  peakPids: 0,
});

/** The summary with one more sample, taken `dtMs` after the previous one (CPU-seconds integrate over it). */
export function addSample(s: UsageSummary, x: UsageSample, dtMs: number): UsageSummary {
  const samples = s.samples + 1;
  return {
    ...s,
    samples,
    peakMemBytes: Math.max(s.peakMemBytes, x.memBytes),
    memLimitBytes: x.memLimitBytes ?? s.memLimitBytes,
    peakCpuPct: Math.max(s.peakCpuPct, x.cpuPct),
    meanCpuPct: s.meanCpuPct + (x.cpuPct - s.meanCpuPct) / samples,
    cpuSeconds: s.cpuSeconds + ((x.cpuPct / 100) * Math.max(0, dtMs)) / 1000,
    // counters since the container started: the latest is the total (a reconnect never lowers them)
    netRxBytes: Math.max(s.netRxBytes, x.netRxBytes),
    netTxBytes: Math.max(s.netTxBytes, x.netTxBytes),
    blkReadBytes: Math.max(s.blkReadBytes, x.blkReadBytes),
    blkWriteBytes: Math.max(s.blkWriteBytes, x.blkWriteBytes),
    peakPids: Math.max(s.peakPids, x.pids),
  };
}

/** A size's number and unit: [1.2, 'GB'], [640, 'MB'] (decimal units). */
function sizeParts(n: number): [string, string] {
  if (n >= 1e9) return [(n / 1e9).toFixed(1), 'GB'];
  if (n >= 1e6) return [(n / 1e6).toFixed(n >= 1e8 ? 0 : 1), 'MB'];
  if (n >= 1e3) return [`${Math.round(n / 1e3)}`, 'kB'];
  return [`${n}`, 'B'];
}

/** "1.2 GB", "640 MB", "12 kB". */
export const sizeText = (n: number) => sizeParts(n).join(' ');

const cores = (pct: number) => (pct / 100).toFixed(1);
const limitCores = (n: number) => (Number.isInteger(n) ? `${n}` : n.toFixed(1));

/** The memory part: "1.2 of 4.0 GB", "640 MB of 4.0 GB". */
export function memoryText(used: number, limit: number | undefined): string {
  if (!limit) return sizeText(used);
  const [u, uUnit] = sizeParts(used);
  const [l, lUnit] = sizeParts(limit);
  return uUnit === lUnit ? `${u} of ${l} ${lUnit}` : `${u} ${uUnit} of ${l} ${lUnit}`;
}

/** A running row: "CPU 143% · 1.2 of 4 GB". */
export function liveUsageText(x: UsageSample): string {
  return `CPU ${Math.round(x.cpuPct)}% · ${memoryText(x.memBytes, x.memLimitBytes)}`;
}

const peakCpuText = (s: UsageSummary) => `CPU ${cores(s.peakCpuPct)}${s.cpuLimit ? ` of ${limitCores(s.cpuLimit)} cores` : ' cores'}`;

/** The summary line: "peak memory 1.2 of 4.0 GB · CPU 1.8 of 2 cores". */
export function usageSummaryText(s: UsageSummary): string {
  return `peak memory ${memoryText(s.peakMemBytes, s.memLimitBytes)} · ${peakCpuText(s)}`;
}

/** A finished row: "peak 1.2 of 4.0 GB · CPU 1.8 of 2 cores". */
export const peakUsageText = (s: UsageSummary) => `peak ${memoryText(s.peakMemBytes, s.memLimitBytes)} · ${peakCpuText(s)}`;

/** The rest, for a tooltip: mean CPU, CPU-seconds, network, block I/O, PIDs. */
export function usageDetailText(s: UsageSummary): string {
  return [
    `mean CPU ${Math.round(s.meanCpuPct)}% (${s.cpuSeconds.toFixed(1)} CPU-seconds)`,
    `network ${sizeText(s.netRxBytes)} in, ${sizeText(s.netTxBytes)} out`,
    `block I/O ${sizeText(s.blkReadBytes)} read, ${sizeText(s.blkWriteBytes)} written`,
    `up to ${s.peakPids} process${s.peakPids === 1 ? '' : 'es'}`,
    `${s.samples} samples`,
  ].join(' · ');
}
