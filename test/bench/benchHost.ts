// What the in-host benches (bench stats' chart, bench logs) set up in the real extension host: the extension
// activated, and one configuration of the workspace on the testbed's primary daemon, run by Run Recipe.
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need } from '../support/testbed';

export interface BenchHost {
  api: ContainerExecApi;
  /** The workspace folder. */
  ws: string;
  /** Run Recipe of `file` on the configuration. */
  run(file: string): Thenable<RunResult>;
}

/** Configuration `name` on daemon local (the testbed's python image), in the workspace's settings. */
export async function benchHost(name: string): Promise<BenchHost> {
  const api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
  await vscode.workspace
    .getConfiguration('containerExec')
    .update('configurations', [{ name, daemon: 'local', baseImage: need('PYTHON_IMAGE') }], vscode.ConfigurationTarget.Workspace);
  return {
    api,
    ws: vscode.workspace.workspaceFolders![0]!.uri.fsPath,
    run: (file) => vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', vscode.Uri.file(file), name),
  };
}
