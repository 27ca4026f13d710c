import { parseSettingsList, type SettingsEntry, type SettingsListSpec } from '../settingsList';
import { validateConfiguration, type Configuration } from './configurationSchema';

export type ConfigurationEntry = SettingsEntry<Configuration>;

/** containerExec.configurations, for the positional edits of settingsList (putEntry, deleteEntry). */
export const CONFIGURATIONS_LIST: SettingsListSpec<Configuration> = {
  setting: 'containerExec.configurations',
  keyName: 'name',
  noun: 'configuration',
  parse: (entry) => {
    const r = validateConfiguration(entry);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    return r.config;
  },
  key: (c) => c.name,
};

export function parseConfigurationSettings(raw: unknown): ConfigurationEntry[] {
  return parseSettingsList(raw, CONFIGURATIONS_LIST);
}

/** The next free "<name>-copy", "<name>-copy-2", … */
export function copyName(name: string, taken: Set<string>): string {
  let candidate = `${name}-copy`;
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}-copy-${i}`;
  return candidate;
}

/**
 * Which configuration a run uses, DSS order: explicit pick > the recipe's own > project (workspace)
 * default > global (user) default. Returns the name and where it came from.
 */
export function chooseConfiguration(o: {
  explicit?: string;
  recipe?: string;
  projectDefault?: string;
  globalDefault?: string;
}): { name: string; from: 'explicit' | 'recipe' | 'project default' | 'global default' } | undefined {
  if (o.explicit) return { name: o.explicit, from: 'explicit' };
  if (o.recipe) return { name: o.recipe, from: 'recipe' };
  if (o.projectDefault) return { name: o.projectDefault, from: 'project default' };
  if (o.globalDefault) return { name: o.globalDefault, from: 'global default' };
  return undefined;
}
