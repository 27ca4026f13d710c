import * as vscode from 'vscode';
import { parseConfigurationSettings, workspaceConfigurationRefusal, type Configuration, type EntryOrigin } from '../core';

import { SECTION } from '../settings';
import { readBudgets, type BudgetSources } from './budgetSettings';
import { RESTRICTED_REASON, workspaceTrust } from '../workspaceTrust';

export { SECTION };

export type Scope = 'user' | 'workspace';

export interface ConfigurationItem {
  config: Configuration;
  scope: Scope;
  /** The settings entry it was read from: edits merge into it and go back to its index. */
  origin: EntryOrigin;
}

export interface InvalidConfiguration {
  scope: Scope;
  index: number;
  name?: string;
  error: string;
}

/** Workspace configurations not used in Restricted Mode, with the reason (the view says so). */
export interface IgnoredConfiguration {
  index: number;
  name?: string;
  reason: string;
}

/** Configurations defined in workspace settings: their files must be in the workspace, their registry password is sent only once the user agrees. */
const fromWorkspace = new WeakSet<Configuration>();
export const isWorkspaceConfiguration = (c: Configuration): boolean => fromWorkspace.has(c);

export interface ConfigurationSources {
  items: ConfigurationItem[];
  invalid: InvalidConfiguration[];
  ignored: IgnoredConfiguration[];
  /** Workspace value of containerExec.defaultConfiguration. */
  projectDefault?: string;
  /** User value of containerExec.defaultConfiguration. */
  globalDefault?: string;
  /** containerExec.budgets, each pool's entry validated alone. */
  budgets: BudgetSources;
}

/** User and workspace configurations (a workspace one shadows a user one of the same name). */
export function readConfigurations(): ConfigurationSources {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<unknown>('configurations');
  const items: ConfigurationItem[] = [];
  const invalid: InvalidConfiguration[] = [];
  const ignored: IgnoredConfiguration[] = [];
  const trusted = workspaceTrust.isTrusted();
  for (const [scope, value] of [
    ['user', inspected?.globalValue],
    ['workspace', inspected?.workspaceValue],
  ] as const)
    for (const entry of parseConfigurationSettings(value)) {
      const refusal = scope === 'workspace' && entry.ok ? workspaceConfigurationRefusal(entry.value) : undefined;
      if (scope === 'workspace' && !trusted)
        ignored.push({ index: entry.index, name: entry.ok ? entry.value.name : entry.key, reason: RESTRICTED_REASON });
      else if (entry.ok && refusal) ignored.push({ index: entry.index, name: entry.value.name, reason: refusal });
      else if (!entry.ok) invalid.push({ scope, index: entry.index, name: entry.key, error: entry.error });
      else {
        const item = { config: entry.value, scope, origin: { index: entry.index, raw: entry.raw } };
        if (scope === 'workspace') fromWorkspace.add(entry.value);
        const at = items.findIndex((i) => i.config.name === entry.value.name);
        if (at >= 0) items[at] = item;
        else items.push(item);
      }
    }
  const defaults = config.inspect<string>('defaultConfiguration');
  return {
    items,
    invalid,
    ignored,
    projectDefault: (trusted && defaults?.workspaceValue) || undefined,
    globalDefault: defaults?.globalValue || undefined,
    budgets: readBudgets(),
  };
}

export function targetOf(scope: Scope): vscode.ConfigurationTarget {
  return scope === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

/** The raw value of containerExec.configurations in one scope: every edit starts from it. */
export function rawConfigurations(scope: Scope): unknown {
  const i = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('configurations');
  return scope === 'workspace' ? i?.workspaceValue : i?.globalValue;
}

/** Where a scope's settings are, for messages. */
export const whereOf = (scope: Scope) => `${scope} settings`;

export async function writeConfigurations(scope: Scope, value: unknown[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('configurations', value, targetOf(scope));
}
