import { debugNetworkRefusal } from '../../debug/debugpy';
import { recipeCommand } from '../recipe';
import type { RunKind } from './runKind';

/**
 * A debug session's run: the recipe's command wrapped by `wrap` (debugpy around it, e.g. `debugCommand`);
 * a configuration whose network shares the host's loopback is refused (debugpy would listen there).
 */
export const debugRun = (wrap: (cmd: string[], recipe: string) => string[]): RunKind => ({
  name: 'debug',
  command: (input) => wrap(recipeCommand(input.recipe, input.interpreters, input.args), input.recipe),
  refusal: (config) => debugNetworkRefusal(config.name, config.network),
});
