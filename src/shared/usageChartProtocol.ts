/**
 * Messages between the resource-usage chart webview and the extension host, as zod schemas imported by
 * both bundles. The host parses every message from the webview (untrusted) with UsageFromWebview.
 * Pure: no Node or VS Code APIs (this module is bundled for the browser too).
 */
import * as z from 'zod';
import { UsageSampleSchema } from '../core/stats/usage';

/** One run's series: its title ("train.py · gpu-large"), the CPUs it may use, and its samples so far. */
export const ChartRun = z.object({
  id: z.string(),
  title: z.string(),
  cpuLimit: z.number().optional(),
  running: z.boolean(),
  samples: z.array(UsageSampleSchema),
});
export type ChartRun = z.infer<typeof ChartRun>;

export const UsageToWebview = z.discriminatedUnion('type', [
  /** Everything to draw (the answer to `ready`). */
  z.object({ type: z.literal('init'), runs: z.array(ChartRun) }),
  /** New samples of a running run. */
  z.object({ type: z.literal('samples'), runId: z.string(), samples: z.array(UsageSampleSchema) }),
  /** A run ended: its series stops. */
  z.object({ type: z.literal('ended'), runId: z.string() }),
  /** The bench: time the page's frames (requestAnimationFrame to the next) for `ms`, then answer `frames`. */
  z.object({ type: z.literal('measureFrames'), ms: z.number().int().positive().max(120_000) }),
]);
export type UsageToWebview = z.infer<typeof UsageToWebview>;

export const UsageFromWebview = z.discriminatedUnion('type', [
  /** The page is loaded: the host answers with `init`. */
  z.object({ type: z.literal('ready') }),
  /** What the page drew (the UI test and the bench read it): points per chart, the last frame's time. */
  z.object({ type: z.literal('drawn'), points: z.number().int().nonnegative(), frameMs: z.number().nonnegative() }),
  /** The answer to `measureFrames`: how many frames, the longest and the 99th percentile (ms between two frames). */
  z.object({
    type: z.literal('frames'),
    count: z.number().int().nonnegative(),
    maxMs: z.number().nonnegative(),
    p99Ms: z.number().nonnegative(),
  }),
]);
export type UsageFromWebview = z.infer<typeof UsageFromWebview>;
