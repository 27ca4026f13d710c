import * as vscode from 'vscode';
import type { Services } from './services';

/** The views of the Container Exec container. Each shows its welcome content until later work fills it. */
export const VIEW_IDS = ['containerExec.daemons', 'containerExec.configurations', 'containerExec.runs'] as const;

class EmptyTree implements vscode.TreeDataProvider<never> {
  getTreeItem(e: never): vscode.TreeItem {
    return e;
  }
  getChildren(): never[] {
    return [];
  }
}

/** One registration table for views; nothing here talks to Docker, so activation stays cheap. */
export function registerViews(s: Services): void {
  for (const id of VIEW_IDS) s.context.subscriptions.push(vscode.window.createTreeView(id, { treeDataProvider: new EmptyTree() }));
}
