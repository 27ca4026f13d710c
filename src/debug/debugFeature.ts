import * as path from 'node:path';
import * as vscode from 'vscode';
import { reached } from '../walkthrough';
import { checkDebuggable, recipeInWorkspace } from '../core';
import { workspaceDir } from '../workspace';
import { enableBuildOptionAndRebuild } from '../builds/buildOption';
import type { RunRecord } from '../runs/runHistory';
import { recipeInterpreters } from '../runs/runConfiguration';
import type { Services } from '../services';
import { ContainerExecDebugAdapter, type ContainerExecDebugConfiguration, type DebugSessionEnd } from './debugAdapter';

export const DEBUG_TYPE = 'container-exec';

/** Debug sessions' ends and refusals, for the in-host tests. */
let endsEmitter: vscode.EventEmitter<DebugSessionEnd> | undefined;
/** Made at first use: the bundle must load without VS Code (the core test loads it in plain node). */
const ends = () => (endsEmitter ??= new vscode.EventEmitter<DebugSessionEnd>());
export const debugSessionEnds: vscode.Event<DebugSessionEnd> = (listener, thisArgs, disposables) =>
  ends().event(listener, thisArgs, disposables);
let lastProblem: string | undefined;
export const lastDebugProblem = () => lastProblem;

function refuse(s: Services, message: string): undefined {
  lastProblem = message;
  s.log.error(`Debug Recipe: ${message}`);
  void vscode.window.showErrorMessage(message);
  return undefined;
}

/** launch.json: a `container-exec` configuration; F5 with none debugs the active recipe. */
class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly s: Services) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'launch', name: 'Debug Recipe in its container', recipe: '${file}' }];
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, c: vscode.DebugConfiguration): vscode.DebugConfiguration {
    if (!c.type && !c.request && !c.name) return { type: DEBUG_TYPE, request: 'launch', name: 'Debug Recipe', recipe: '${file}' };
    return { ...c, recipe: c.recipe ?? '${file}' };
  }

  /** The recipe as a run takes it (workspace-relative), checked to be Python before any run exists. */
  resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    c: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    lastProblem = undefined;
    if (!vscode.workspace.workspaceFolders?.length)
      return refuse(this.s, 'Open a folder first: a debug run uploads the workspace folder its recipe is in.');
    if (typeof c.recipe !== 'string' || !c.recipe)
      return refuse(
        this.s,
        `launch configuration "${c.name}": "recipe" must be the path of a Python recipe of the workspace (e.g. "\${file}").`,
      );
    try {
      const ws = workspaceDir();
      const recipe = recipeInWorkspace(path.resolve(ws, c.recipe), ws);
      checkDebuggable(recipe, recipeInterpreters());
      return { ...c, recipe };
    } catch (e) {
      return refuse(this.s, (e as Error).message);
    }
  }
}

/** Adds build.debugpy to the configuration (in the settings it is written in) and rebuilds its base image. */
const addDebugpyAndRebuild = (name: string) =>
  enableBuildOptionAndRebuild(name, 'debugpy', 'set containerExec.localDefaultImage to an image with debugpy');

export function registerDebug(s: Services): void {
  s.context.subscriptions.push(
    ends(),
    vscode.debug.onDidStartDebugSession((session) => session.type === DEBUG_TYPE && reached('debugStarted')),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider(s)),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) =>
        new vscode.DebugAdapterInlineImplementation(
          new ContainerExecDebugAdapter(s, session.configuration as ContainerExecDebugConfiguration, (end) => {
            ends().fire(end);
            if (!end.problem) return;
            lastProblem = end.problem;
            s.log.error(`[run ${end.runId}] ${end.problem}`);
            if (end.debugpyMissing) {
              const { configuration } = end.debugpyMissing;
              void vscode.window
                .showErrorMessage(end.problem, 'Add debugpy and Rebuild')
                .then((a) => a && addDebugpyAndRebuild(configuration));
            } else void vscode.window.showErrorMessage(end.problem);
          }),
        ),
    }),
  );
}

/** Debug Recipe (editor title, Explorer, palette) and Re-run in Debug (Runs view): a `container-exec` session. */
export async function debugRecipe(
  s: Services,
  file: string,
  opts: { configuration?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
  const config: ContainerExecDebugConfiguration = {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Debug ${path.basename(file)}`,
    recipe: file,
    ...opts,
  };
  return vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config);
}

export const rerunInDebug = (s: Services, r: RunRecord) =>
  debugRecipe(s, path.join(workspaceDir(), r.recipe), {
    configuration: r.chosenBy === 'local default' ? undefined : r.configuration,
    args: r.args,
    env: r.env,
  });
