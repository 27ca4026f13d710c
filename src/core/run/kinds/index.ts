import { debugRun } from './debugRun';
import { kernelRun } from './kernelRun';
import { recipeRun } from './recipeRun';
import { shellRun } from './shellRun';
import type { RunKindTraits } from './runKind';
import { sweepTrialRun } from './sweepTrial';

export * from './runKind';
export { debugRun, kernelRun, recipeRun, shellRun, sweepTrialRun };

/**
 * The run kinds, one line each (a kind with parameters is its factory). A new kind (a notebook kernel,
 * a sweep trial) is a file in this folder and a line here; the driver never names one.
 */
export const RUN_KINDS = {
  run: recipeRun,
  debug: debugRun,
  shell: shellRun,
  kernel: kernelRun,
  sweepTrial: sweepTrialRun,
} as const;
export type RunKindName = keyof typeof RUN_KINDS;

/** The traits of the kind a record names (absent: a plain run), or undefined for a kind this version does not know. */
export function runKindTraits(name = 'run'): RunKindTraits | undefined {
  return Object.values(RUN_KINDS)
    .map((k): RunKindTraits => ('traits' in k ? k.traits : k))
    .find((k) => k.name === name);
}
