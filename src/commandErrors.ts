import * as vscode from 'vscode';
import { errorSubject, isCancellation } from './core';
import { prompts } from './prompts';
import type { Services } from './services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tree nodes and palette calls pass different arguments
export type CommandHandler = (s: Services, ...args: any[]) => unknown;

/**
 * The UI's one error policy for commands: a failure is logged with the command and what it was invoked
 * on, shown with the actions that help (Retry runs the command again with the same arguments; Edit
 * opens the configuration, daemon or setting the message names; Show Log), and the command resolves
 * with undefined. VS Code never gets the rejection: it would show a second, bare message, and every
 * caller (tree, status bar, keybinding) would have an error to handle. A cancellation is no failure.
 */
export async function runCommand(s: Services, id: string, handler: CommandHandler, args: unknown[]): Promise<unknown> {
  try {
    return await handler(s, ...args);
  } catch (e) {
    if (isCancellation(e)) s.log.info(`${id}: cancelled`);
    else reportFailure(s, id, args, e);
    return undefined;
  }
}

function reportFailure(s: Services, id: string, args: unknown[], e: unknown): void {
  const text = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error && !text.includes(e.cause.message) ? ` (cause: ${e.cause.message})` : '';
  s.log.error(`${id}${args.length ? `(${args.map(argText).join(', ')})` : ''}: ${text}${cause}`);
  const edit = editAction(s, text);
  const actions = ['Retry', ...(edit ? ['Edit'] : []), 'Show Log'] as const;
  void prompts.showError(text, actions).then((action) => {
    if (action === 'Retry') return vscode.commands.executeCommand(id, ...args);
    if (action === 'Edit') return edit?.();
    if (action === 'Show Log') s.log.show();
  });
}

/** Where Edit leads: the configuration or daemon the message names (when it exists), else the setting it names. */
function editAction(s: Services, message: string): (() => Thenable<unknown>) | undefined {
  const { setting, configuration, daemon } = errorSubject(message);
  const item = configuration && s.configurations.catalog.current().items.find((i) => i.config.name === configuration);
  if (item) return () => s.configurations.openEditor(item);
  const spec = daemon ? s.daemons.hub.spec(daemon) : undefined;
  if (spec && (spec.source === 'user' || spec.source === 'workspace'))
    return () => vscode.commands.executeCommand('containerExec.editDaemon', { id: spec.daemon.id });
  const key = setting ?? (configuration ? 'containerExec.configurations' : daemon ? 'containerExec.daemons' : undefined);
  return key ? () => vscode.commands.executeCommand('workbench.action.openSettings', key) : undefined;
}

/** An argument in the log: a file by its path, a tree node by its kind and name, never a whole object. */
function argText(a: unknown): string {
  if (a instanceof vscode.Uri) return a.scheme === 'file' ? a.fsPath : a.toString();
  if (typeof a !== 'object' || a === null) return JSON.stringify(a) ?? String(a);
  const o = a as { kind?: unknown; id?: unknown; name?: unknown; item?: { config?: { name?: unknown } }; record?: { id?: unknown } };
  const name = [o.id, o.name, o.item?.config?.name, o.record?.id].find((n) => typeof n === 'string');
  return `${typeof o.kind === 'string' ? o.kind : 'object'}${name ? ` ${String(name)}` : ''}`;
}
