import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { UsageSampleSchema, type UsageSample } from './usage';

/** The file a run's samples are kept in, in its run folder (`.container-exec/runs/<run-id>/`). */
export const STATS_FILE = 'stats.jsonl';
/** At most this many samples are kept: a longer run keeps one per 2, 4, 8… seconds (each the pair's peak). */
export const MAX_KEPT_SAMPLES = 2000;

/** Two neighbours as one: the later's counters and time, the pair's peaks (a spike survives downsampling). */
const merged = (a: UsageSample, b: UsageSample): UsageSample => ({
  ...b,
  cpuPct: Math.max(a.cpuPct, b.cpuPct),
  memBytes: Math.max(a.memBytes, b.memBytes),
  pids: Math.max(a.pids, b.pids),
});

/** Halves a series by merging neighbours (an odd last one stays). */
export function downsample(samples: UsageSample[]): UsageSample[] {
  const out: UsageSample[] = [];
  for (let i = 0; i + 1 < samples.length; i += 2) out.push(merged(samples[i]!, samples[i + 1]!));
  if (samples.length % 2) out.push(samples[samples.length - 1]!);
  return out;
}

/**
 * A run's samples, appended to stats.jsonl as they come and bounded: when MAX_KEPT_SAMPLES are kept, the
 * series is halved (the file rewritten) and later samples are merged in pairs, fours… to the same stride.
 * Writes are queued (one at a time, off the caller); a write that fails stops the file, not the run.
 */
export class StatsLog {
  private kept: UsageSample[] = [];
  private stride = 1;
  private pending: UsageSample | undefined;
  private pendingCount = 0;
  private writing: Promise<void>;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly max = MAX_KEPT_SAMPLES,
  ) {
    this.writing = fs
      .mkdir(path.dirname(file), { recursive: true })
      .then(() => fs.writeFile(file, ''))
      .catch(() => void (this.failed = true));
  }

  get samples(): readonly UsageSample[] {
    return this.kept;
  }

  add(sample: UsageSample): void {
    this.pending = this.pending ? merged(this.pending, sample) : sample;
    if (++this.pendingCount < this.stride) return;
    const next = this.pending;
    this.pending = undefined;
    this.pendingCount = 0;
    this.kept.push(next);
    if (this.kept.length < this.max) return this.queue(() => fs.appendFile(this.file, `${JSON.stringify(next)}\n`));
    this.kept = downsample(this.kept);
    this.stride *= 2;
    const all = this.kept.map((s) => JSON.stringify(s)).join('\n') + '\n';
    this.queue(() => fs.writeFile(this.file, all));
  }

  /** Resolves when everything added is on disk (a half-filled stride included). */
  async close(): Promise<void> {
    if (this.pending) {
      const last = this.pending;
      this.pending = undefined;
      this.kept.push(last);
      this.queue(() => fs.appendFile(this.file, `${JSON.stringify(last)}\n`));
    }
    await this.writing;
  }

  private queue(write: () => Promise<void>): void {
    this.writing = this.writing.then(() => (this.failed ? undefined : write().catch(() => void (this.failed = true))));
  }
}

/** Far above what MAX_KEPT_SAMPLES lines take (about 200 bytes each): a bigger file is read only this far. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** A finished run's samples from its stats.jsonl (lines that do not parse are skipped; at most 2 × MAX_KEPT_SAMPLES). */
export async function readStatsLog(file: string): Promise<UsageSample[]> {
  const handle = await fs.open(file, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(Math.min((await handle.stat()).size, MAX_READ_BYTES));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  const out: UsageSample[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= 2 * MAX_KEPT_SAMPLES) break;
    if (!line.trim()) continue;
    try {
      const parsed = UsageSampleSchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // a torn last line (VS Code closed mid-write): the others stand
    }
  }
  return out;
}
