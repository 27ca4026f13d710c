import { recipeCommand } from '../recipe';
import type { RunKind } from './runKind';

/** One trial of a sweep: the recipe under its interpreter with the trial's arguments, labelled sweep-trial. */
export const sweepTrialRun: RunKind = {
  name: 'sweep-trial',
  command: (input) => recipeCommand(input.recipe, input.interpreters, input.args),
};
