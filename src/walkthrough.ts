import * as vscode from 'vscode';
import type { Services } from './services';

/** The walkthrough's id in package.json (contributes.walkthroughs). */
export const WALKTHROUGH_ID = 'getStarted';
const SHOWN_KEY = 'containerExec.walkthroughShown';

/**
 * Context keys the walkthrough's steps complete on (`onContext:containerExec.walkthrough.<key>`), each set on the
 * real event: a daemon answered, a run succeeded, a configuration exists, a base image was built, a debug session
 * started, a notebook's kernel ran, a pool or swarm run was placed.
 */
export type Milestone =
  'daemonConnected' | 'runSucceeded' | 'hasConfiguration' | 'baseImageBuilt' | 'debugStarted' | 'notebookRan' | 'placedRun';

const reachedNow = new Set<Milestone>();
/** Sets the step's context key (once a window: VS Code remembers a completed step itself). */
export function reached(milestone: Milestone, value = true): void {
  if (value === reachedNow.has(milestone)) return;
  if (value) reachedNow.add(milestone);
  else reachedNow.delete(milestone);
  void vscode.commands.executeCommand('setContext', `containerExec.walkthrough.${milestone}`, value);
}

export function openWalkthrough(s: Services, options: { inactive?: boolean } = {}): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openWalkthrough', `${s.context.extension.id}#${WALKTHROUGH_ID}`, options);
}

const USER_EDITORS = [
  vscode.TabInputText,
  vscode.TabInputTextDiff,
  vscode.TabInputNotebook,
  vscode.TabInputNotebookDiff,
  vscode.TabInputCustom,
  vscode.TabInputWebview,
];

/**
 * The first activation often comes from the user opening a file (onLanguage:python). Then the walkthrough opens as a
 * background tab after their editor, which stays the active one: what VS Code does with the walkthrough of an
 * extension installed while the editor has focus (`inactive`). A preview tab would be replaced by it, so it is kept.
 */
async function openOnFirstActivation(s: Services): Promise<void> {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  if (!tab || !USER_EDITORS.some((kind) => tab.input instanceof kind)) return void (await openWalkthrough(s));
  if (tab.isPreview) await vscode.commands.executeCommand('workbench.action.keepEditor');
  await openWalkthrough(s, { inactive: true });
}

/**
 * Opens the walkthrough on the first activation in this profile (VS Code opens walkthroughs on install from
 * the Marketplace only, not for a development or symlinked extension), unless the user turned that off with
 * `workbench.welcomePage.walkthroughs.openOnInstall`. Follows the events its steps complete on.
 */
export function registerWalkthrough(s: Services): void {
  const autoOpen = vscode.workspace.getConfiguration('workbench.welcomePage').get<boolean>('walkthroughs.openOnInstall') !== false;
  if (autoOpen && !s.context.globalState.get<boolean>(SHOWN_KEY)) {
    void s.context.globalState.update(SHOWN_KEY, true);
    void openOnFirstActivation(s).catch((e: unknown) => s.log.warn(`The walkthrough did not open: ${String(e)}`));
  }
  const followRuns = () => {
    const runs = s.runs.history.all();
    if (runs.some((r) => r.state === 'succeeded' && (r.kind ?? 'run') === 'run')) reached('runSucceeded');
    if (runs.some((r) => r.kind === 'kernel')) reached('notebookRan');
    if (runs.some((r) => r.placement)) reached('placedRun');
  };
  const followConfigurations = () => {
    const any = s.configurations.catalog.names().length > 0;
    reached('hasConfiguration', any);
    // the commands that pick a configuration show in the palette only when there is one to pick
    void vscode.commands.executeCommand('setContext', 'containerExec.hasConfiguration', any);
  };
  followRuns();
  followConfigurations();
  s.context.subscriptions.push(
    s.runs.history.onDidChange(followRuns),
    s.configurations.catalog.onDidChange(followConfigurations),
    s.daemons.hub.onDidChange((c) => c.what === 'state' && s.daemons.hub.status(c.id).state === 'connected' && reached('daemonConnected')),
  );
}
