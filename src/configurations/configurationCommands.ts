import * as vscode from 'vscode';
import { CONFIGURATIONS_LIST, copyName, deleteEntry, entryAt, heldByInvalidMessage, putEntry } from '../core';
import type { Services } from '../services';
import { rawConfigurations, SECTION, whereOf, writeConfigurations } from './configurationSources';
import type { ConfigurationNode } from './configurationsTree';

type Node = Extract<ConfigurationNode, { kind: 'configuration' }>;

/** The configuration a command is about: its tree node, else a pick. */
export async function pickConfiguration(s: Services, node: unknown, placeHolder: string): Promise<Node | undefined> {
  if (node && typeof node === 'object' && (node as ConfigurationNode).kind === 'configuration') return node as Node;
  const items = s.configurations.catalog.current().items;
  const chosen = await vscode.window.showQuickPick(
    items.map((item) => ({ label: item.config.name, description: `${item.config.daemon} · ${item.scope}`, item })),
    { placeHolder },
  );
  return chosen ? { kind: 'configuration', item: chosen.item } : undefined;
}

/** Duplicate: the same settings under a new name, in the same scope. `name` skips the input box. */
async function duplicate(s: Services, node?: unknown, name?: string): Promise<void> {
  const n = await pickConfiguration(s, node, 'Configuration to duplicate');
  if (!n) return;
  const taken = new Set(s.configurations.catalog.current().items.map((i) => i.config.name));
  const newName =
    name ??
    (await vscode.window.showInputBox({
      title: `Duplicate ${n.item.config.name}`,
      value: copyName(n.item.config.name, taken),
      validateInput: (v) =>
        !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v)
          ? 'Letters, digits, _ . - (starting with a letter or digit)'
          : taken.has(v)
            ? `"${v}" exists already`
            : undefined,
    }));
  if (!newName) return;
  if (taken.has(newName)) throw new Error(`A configuration "${newName}" exists already`);
  const held = s.configurations.catalog.current().invalid.find((i) => i.name === newName);
  if (held) throw new Error(heldByInvalidMessage(CONFIGURATIONS_LIST, whereOf(held.scope), held.index, newName, held.error));
  const raw = rawConfigurations(n.item.scope);
  const where = whereOf(n.item.scope);
  const source = entryAt(raw, CONFIGURATIONS_LIST, where, n.item.origin) as object;
  await writeConfigurations(n.item.scope, putEntry(raw, CONFIGURATIONS_LIST, where, { ...structuredClone(source), name: newName }));
}

/** Delete (asks first; says when it is a default). `{ confirm: false }` skips the question (automation). */
async function remove(s: Services, node?: unknown, opts?: { confirm?: boolean }): Promise<void> {
  const n = await pickConfiguration(s, node, 'Configuration to delete');
  if (!n) return;
  const { projectDefault, globalDefault } = s.configurations.catalog.current();
  const name = n.item.config.name;
  const roles = [name === projectDefault ? 'the project default' : '', name === globalDefault ? 'the global default' : ''].filter(Boolean);
  if (opts?.confirm !== false) {
    const warn = roles.length
      ? ` It is ${roles.join(' and ')}: runs relying on it will fail with "configuration ${name} not found" until another default is set.`
      : '';
    if (
      (await vscode.window.showWarningMessage(
        `Delete configuration "${name}" from ${n.item.scope} settings?${warn}`,
        { modal: true },
        'Delete',
      )) !== 'Delete'
    )
      return;
  }
  await writeConfigurations(
    n.item.scope,
    deleteEntry(rawConfigurations(n.item.scope), CONFIGURATIONS_LIST, whereOf(n.item.scope), n.item.origin),
  );
}

async function setDefault(s: Services, node: unknown, target: vscode.ConfigurationTarget): Promise<void> {
  const n = await pickConfiguration(
    s,
    node,
    target === vscode.ConfigurationTarget.Workspace ? 'Project default configuration' : 'Global default configuration',
  );
  if (!n) return;
  if (target === vscode.ConfigurationTarget.Workspace && !vscode.workspace.workspaceFolders?.length)
    throw new Error('Open a folder first: the project default lives in workspace settings.');
  await vscode.workspace.getConfiguration(SECTION).update('defaultConfiguration', n.item.config.name, target);
}

export const CONFIGURATION_COMMANDS = {
  'containerExec.newConfiguration': (s: Services) => s.configurations.openEditor(undefined),
  'containerExec.editConfiguration': async (s: Services, node?: unknown) => {
    const n = await pickConfiguration(s, node, 'Configuration to edit');
    if (n) await s.configurations.openEditor(n.item);
  },
  'containerExec.duplicateConfiguration': duplicate,
  'containerExec.deleteConfiguration': remove,
  'containerExec.setProjectDefaultConfiguration': (s: Services, node?: unknown) =>
    setDefault(s, node, vscode.ConfigurationTarget.Workspace),
  'containerExec.setGlobalDefaultConfiguration': (s: Services, node?: unknown) => setDefault(s, node, vscode.ConfigurationTarget.Global),
};
