import type * as vscode from 'vscode';

/** What every UI registration gets: the extension context and the Container Exec log. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
}
