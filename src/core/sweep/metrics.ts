import { open } from 'node:fs/promises';
import * as path from 'node:path';

/** The file a trial writes into its output folder; its flat numbers are the trial's metrics. */
export const METRICS_FILE = 'metrics.json';
/** A larger metrics.json is not read (it is a handful of numbers, not a log). */
const METRICS_MAX_BYTES = 1_000_000;

export interface TrialMetrics {
  values: Record<string, number>;
  /** Why some or all of the file was not taken (not JSON, not flat numbers, too large). */
  note?: string;
}

/** `<outputs>/metrics.json` of a trial's fetched output folder: its top-level finite numbers; undefined when there is none. */
export async function readTrialMetrics(outputs: string | undefined): Promise<TrialMetrics | undefined> {
  if (!outputs) return undefined;
  const file = path.join(outputs, METRICS_FILE);
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  let text: string;
  try {
    const st = await handle.stat();
    const size = st.size;
    if (!st.isFile()) return { values: {}, note: `${METRICS_FILE} is not a file.` };
    if (size > METRICS_MAX_BYTES)
      return { values: {}, note: `${METRICS_FILE} is ${size} bytes: larger than ${METRICS_MAX_BYTES}, not read.` };
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { values: {}, note: `${METRICS_FILE} is not JSON: ${(e as Error).message}.` };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { values: {}, note: `${METRICS_FILE} is not a JSON object.` };
  const entries = Object.entries(raw as Record<string, unknown>);
  const values = Object.fromEntries(entries.filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
  const skipped = entries.filter(([k]) => !(k in values)).map(([k]) => k);
  return { values, ...(skipped.length ? { note: `not flat numbers, left out: ${skipped.join(', ')}.` } : {}) };
}
