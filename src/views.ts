import * as vscode from 'vscode';
import type { Services } from './services';

/** One registration table for views. An empty tree shows the view's welcome content. */
const VIEWS: Record<string, (s: Services) => vscode.TreeDataProvider<unknown>> = {
  'containerExec.daemons': (s) => s.daemons.tree,
  'containerExec.configurations': (s) => s.configurations.tree,
  'containerExec.runs': (s) => s.runs.tree,
};

export const VIEW_IDS = Object.keys(VIEWS);

export function registerViews(s: Services): void {
  for (const [id, provider] of Object.entries(VIEWS)) {
    const view = vscode.window.createTreeView(id, { treeDataProvider: provider(s), showCollapseAll: id === 'containerExec.daemons' });
    s.context.subscriptions.push(view);
    if (id === 'containerExec.daemons') s.daemons.attach(view);
  }
}
