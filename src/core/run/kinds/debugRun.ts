import { debugNetworkRefusal } from '../../debug/debugpy';
import { recipeCommand } from '../recipe';
import type { RunKind, RunKindTraits } from './runKind';

/**
 * A debug session's run: the recipe's command wrapped by `wrap` (debugpy around it, e.g. `debugCommand`);
 * a configuration whose network shares the host's loopback is refused (debugpy would listen there).
 */
const traits: RunKindTraits = { name: 'debug', namedInRunsRow: true };
export const debugRun = Object.assign(
  (wrap: (cmd: string[], recipe: string) => string[]): RunKind => ({
    ...traits,
    command: (input) => wrap(recipeCommand(input.recipe, input.interpreters, input.args), input.recipe),
    refusal: (config) => debugNetworkRefusal(config.name, config.network),
  }),
  { traits },
);
