import * as vscode from 'vscode';

/** The extension's settings section. */
export const SECTION = 'containerExec';

export const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration(SECTION);
