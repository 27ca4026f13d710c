import * as vscode from 'vscode';

const KEY = 'containerExec.lastVersion';

/**
 * After an upgrade every base and code-env image must be rebuilt (DSS's rule): one notification offers
 * it. Reads only the extension's own state: no Docker call at activation.
 */
export function offerRebuildAfterUpgrade(context: vscode.ExtensionContext, version: string): void {
  const previous = context.globalState.get<string>(KEY);
  if (previous === version) return;
  void context.globalState.update(KEY, version);
  if (!previous) return; // a first install has nothing to rebuild
  void vscode.window
    .showInformationMessage(
      `Container Exec was updated from ${previous} to ${version}: base images and code-env images built by ${previous} are stale.`,
      'Rebuild all base images',
    )
    .then((choice) => choice && vscode.commands.executeCommand('containerExec.buildAllBaseImages'));
}
