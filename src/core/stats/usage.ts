import * as z from 'zod';
import type { CpuStats, EngineStats } from './engineStats';

// Pure (zod only): the usage chart's webview bundles this module.

/** A run's resource use at one moment, as `docker stats` computes it (a line of stats.jsonl, a message to the chart). */
export const UsageSampleSchema = z.object({
  /** When the daemon read it (ms since the epoch). */
  t: z.number(),
  /** Percent of one CPU (200 = two CPUs busy). */
  cpuPct: z.number(),
  /** Memory in use, page cache that can be dropped left out (Docker CLI: usage − inactive_file). */
  memBytes: z.number(),
  /** The container's memory limit (the host's memory when it has none). */
  memLimitBytes: z.number().optional(),
  /** Since the container started (counters). */
  netRxBytes: z.number(),
  netTxBytes: z.number(),
  blkReadBytes: z.number(),
  blkWriteBytes: z.number(),
  pids: z.number(),
});
export type UsageSample = z.output<typeof UsageSampleSchema>;

const timeOf = (s: string | undefined) => {
  const t = s ? Date.parse(s) : NaN;
  // Podman and a stopped container send the zero time
  return Number.isFinite(t) && t > 0 ? t : undefined;
};

/** A baseline read closer than this to the reading says nothing (Podman's first object: 1-2 ms apart). */
const MIN_BASELINE_MS = 100;

/** `precpu_stats` when the daemon filled it, else the previous sample's `cpu_stats` (Podman sends it empty or a moment old). */
function previousCpu(raw: EngineStats, previous: EngineStats | undefined): { cpu?: CpuStats; at?: number } {
  const pre = raw.precpu_stats;
  const [read, preread] = [timeOf(raw.read), timeOf(raw.preread)];
  const tooClose = read !== undefined && preread !== undefined && read - preread < MIN_BASELINE_MS;
  if ((pre?.system_cpu_usage || pre?.cpu_usage?.total_usage) && !tooClose) return { cpu: pre, at: preread };
  return previous ? { cpu: previous.cpu_stats, at: timeOf(previous.read) } : {};
}

/** Whether a CPU percent can be computed: the daemon's first object of a stream has no earlier reading (Docker's precpu_stats is zero then). */
export const hasCpuBaseline = (raw: EngineStats, previous?: EngineStats) => previousCpu(raw, previous).cpu !== undefined;

/**
 * CPU percent of one CPU, as the Docker CLI computes it: the container's CPU time over the host's, times
 * the online CPUs (when the daemon names neither, percpu_usage's length). When the host's time is missing,
 * the container's CPU time over the wall time between the two reads says the same.
 */
export function cpuPercent(raw: EngineStats, previous?: EngineStats): number {
  const now = raw.cpu_stats;
  const { cpu: before, at } = previousCpu(raw, previous);
  const cpuDelta = (now?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  if (!before || cpuDelta <= 0) return 0;
  const systemDelta = (now?.system_cpu_usage ?? 0) - (before.system_cpu_usage ?? 0);
  const online = now?.online_cpus || now?.cpu_usage?.percpu_usage?.length || 0;
  if (systemDelta > 0 && online > 0) return (cpuDelta / systemDelta) * online * 100;
  const read = timeOf(raw.read);
  const wallNs = read && at ? (read - at) * 1e6 : 0;
  return wallNs > 0 ? (cpuDelta / wallNs) * 100 : 0;
}

/** Memory in use as the Docker CLI counts it: usage minus total_inactive_file (cgroup v1) or inactive_file (v2). */
export function memoryUsed(raw: EngineStats): number {
  const usage = raw.memory_stats?.usage ?? 0;
  const stats = raw.memory_stats?.stats ?? {};
  const inactive = stats.total_inactive_file ?? stats.inactive_file;
  return inactive !== undefined && inactive < usage ? usage - inactive : usage;
}

function blockIo(raw: EngineStats): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const e of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  return { read, write };
}

/** One sample from the daemon's stats object (and the one before it, for the CPU delta when precpu_stats is empty). */
export function sampleOf(raw: EngineStats, previous?: EngineStats, now = Date.now()): UsageSample {
  const nets = Object.values(raw.networks ?? {});
  const io = blockIo(raw);
  const limit = raw.memory_stats?.limit;
  return {
    t: timeOf(raw.read) ?? now,
    cpuPct: cpuPercent(raw, previous),
    memBytes: memoryUsed(raw),
    ...(limit ? { memLimitBytes: limit } : {}),
    netRxBytes: nets.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0),
    netTxBytes: nets.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0),
    blkReadBytes: io.read,
    blkWriteBytes: io.write,
    pids: raw.pids_stats?.current ?? 0,
  };
}

/** The host's CPUs as the daemon reports them in a stats object (for "of N cores" when the run has no CPU limit). */
export function onlineCpus(raw: EngineStats): number | undefined {
  return raw.cpu_stats?.online_cpus || raw.cpu_stats?.cpu_usage?.percpu_usage?.length || undefined;
}
