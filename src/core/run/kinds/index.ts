import { debugRun } from './debugRun';
import { kernelRun } from './kernelRun';
import { recipeRun } from './recipeRun';
import { shellRun } from './shellRun';

export * from './runKind';
export { debugRun, kernelRun, recipeRun, shellRun };

/**
 * The run kinds, one line each (a kind with parameters is its factory). A new kind (a notebook kernel,
 * a sweep trial) is a file in this folder and a line here; the driver never names one.
 */
export const RUN_KINDS = {
  run: recipeRun,
  debug: debugRun,
  shell: shellRun,
  kernel: kernelRun,
} as const;
export type RunKindName = keyof typeof RUN_KINDS;
