import { recipeCommand } from '../recipe';
import type { RunKind } from './runKind';

/** A plain run: the recipe under its interpreter (an unknown extension fails before the target is asked). */
export const recipeRun: RunKind = {
  name: 'run',
  command: (input) => recipeCommand(input.recipe, input.interpreters, input.args),
};
