/**
 * Messages between a sweep's results table (webview) and the extension host, as zod schemas imported by
 * both bundles. The host parses every message from the webview (untrusted) with SweepTableFromWebview.
 * Pure: no Node or VS Code APIs (this module is bundled for the browser too).
 */
import * as z from 'zod';

const Cell = z.union([z.string(), z.number(), z.null()]);

/** One trial: its cells in the table's column order, its state, and the metrics it is the best of. */
export const SweepTableRow = z.object({
  trial: z.number().int(),
  cells: z.array(Cell),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  /** The metric columns whose best value this row holds. */
  best: z.array(z.string()),
  /** It has an attempt (a log, maybe outputs) to open. */
  openable: z.boolean(),
});
export type SweepTableRow = z.infer<typeof SweepTableRow>;

export const SweepTable = z.object({
  /** The page keeps it in its state: a window reload shows the same sweep again. */
  sweepId: z.string(),
  title: z.string(),
  /** The sweep's summary once it ended, else how many trials are in which state. */
  summary: z.string(),
  running: z.boolean(),
  columns: z.array(z.string()),
  metricColumns: z.array(z.string()),
  /** Per metric column: lower or higher is better (named in the header). */
  better: z.record(z.string(), z.enum(['lower', 'higher'])),
  rows: z.array(SweepTableRow),
});
export type SweepTable = z.infer<typeof SweepTable>;

export const SweepTableToWebview = z.discriminatedUnion('type', [
  /** The whole table (the answer to `ready`, then again on every change of a trial). */
  z.object({ type: z.literal('table'), table: SweepTable }),
]);
export type SweepTableToWebview = z.infer<typeof SweepTableToWebview>;

export const SweepTableFromWebview = z.discriminatedUnion('type', [
  /** The page is loaded: the host answers with `table`. */
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('exportCsv') }),
  z.object({ type: z.literal('openLog'), trial: z.number().int().nonnegative() }),
  z.object({ type: z.literal('openOutputs'), trial: z.number().int().nonnegative() }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('rerunFailed') }),
]);
export type SweepTableFromWebview = z.infer<typeof SweepTableFromWebview>;

/** Metrics whose name says lower is better (a loss, an error, a time); any other: higher is better. */
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity|latency|time|seconds|duration|cost/i;
export const betterOf = (metric: string): 'lower' | 'higher' => (LOWER_IS_BETTER.test(metric) ? 'lower' : 'higher');
