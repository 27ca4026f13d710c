import * as vscode from 'vscode';

/** Build fragments, copied files, code-env requirements and run folders are relative to the first workspace folder. */
export const workspaceDir = (): string => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();

/** The version in the extension's manifest: it names base images and marks what this version built. */
export const extensionVersion = (context: vscode.ExtensionContext): string => String(context.extension.packageJSON.version);
