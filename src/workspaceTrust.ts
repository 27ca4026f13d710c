import * as vscode from 'vscode';

/**
 * The one place that decides whether workspace settings count (VS Code's Workspace Trust). In Restricted
 * Mode the extension works from user settings only and the views say which workspace entries they
 * ignore. Even when trusted, settings that run a local program or use a key file (ssh.command, ssh.configFile,
 * ssh.identityFile) are taken from user settings only (see the daemon sources).
 */
let changed: vscode.EventEmitter<boolean> | undefined; // made at first use: loading the module needs no VS Code
let override: boolean | undefined;
const emitter = () => (changed ??= new vscode.EventEmitter<boolean>());

export const workspaceTrust = {
  isTrusted: (): boolean => override ?? vscode.workspace.isTrusted,
  /** Fires when the answer changes (the user grants trust, or the test hook switches it). */
  onDidChange: (listener: (trusted: boolean) => void): vscode.Disposable => emitter().event(listener),
  /**
   * Test hook (in-host tests, through the extension's API): the in-host suite runs in code-server with
   * --disable-workspace-trust, so Restricted Mode is entered here; `undefined` returns to VS Code's answer.
   */
  simulate(trusted: boolean | undefined): void {
    override = trusted;
    emitter().fire(workspaceTrust.isTrusted());
  },
};

export function watchWorkspaceTrust(): vscode.Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(() => emitter().fire(workspaceTrust.isTrusted()));
}

/** Why workspace entries are ignored in Restricted Mode, for the views. */
export const RESTRICTED_REASON =
  'ignored in Restricted Mode: this workspace is not trusted, so its settings may not name daemons or configurations. Trust the workspace (Manage Workspace Trust) to use them.';
