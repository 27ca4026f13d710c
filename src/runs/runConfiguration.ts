import { DEFAULT_INTERPRETERS, chooseConfiguration, recipeConfiguration, validateConfiguration, type Configuration } from '../core';
import type { ConfigurationCatalog } from '../configurations/configurationCatalog';
import { settings } from '../settings';

/** containerExec.recipeInterpreters over the defaults (an empty value turns an extension off). */
export function recipeInterpreters(): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...DEFAULT_INTERPRETERS, ...settings().get<Record<string, string>>('recipeInterpreters') }).filter(([, v]) => v),
  );
}

/** What a user with nothing configured runs on: the local daemon and containerExec.localDefaultImage. */
export function localDefault(): Configuration {
  const r = validateConfiguration({
    name: 'local-default',
    daemon: 'local',
    baseImage: settings().get<string>('localDefaultImage') || 'python:3-slim',
  });
  if (!r.ok) throw new Error(`containerExec.localDefaultImage: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.config;
}

export type ChosenBy = 'explicit' | 'recipe' | 'project default' | 'global default' | 'local default';

/**
 * The configuration a recipe runs on, first match wins: explicit > containerExec.recipeConfigurations
 * (workspace scope) > project default > global default > the embedded local default.
 */
export function chooseRunConfiguration(
  catalog: ConfigurationCatalog,
  recipe: string,
  explicit?: string,
): { config: Configuration; chosenBy: ChosenBy } {
  const sources = catalog.current();
  const globs = settings().inspect<Record<string, string>>('recipeConfigurations');
  const choice = chooseConfiguration({
    explicit,
    recipe: recipeConfiguration(recipe, { ...globs?.workspaceValue, ...globs?.workspaceFolderValue }),
    projectDefault: sources.projectDefault,
    globalDefault: sources.globalDefault,
  });
  if (!choice) return { config: localDefault(), chosenBy: 'local default' };
  const why =
    choice.from === 'explicit'
      ? 'picked for this run'
      : choice.from === 'recipe'
        ? `chosen for ${recipe} by containerExec.recipeConfigurations`
        : `the ${choice.from}, containerExec.defaultConfiguration`;
  return { config: catalog.find(choice.name, why), chosenBy: choice.from };
}
