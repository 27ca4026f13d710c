import * as vscode from 'vscode';
import type { RunNode } from '../runs/runsTree';
import type { Services } from '../services';
import { debugRecipe, rerunInDebug } from './debugFeature';

/** The recipe a command is about: the explorer's or editor title's file, else the active editor's. */
function recipeFile(arg: unknown): string {
  const file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!file) throw new Error('Open a Python recipe (.py file) or pick one in the Explorer to debug it.');
  return file;
}

export const DEBUG_COMMANDS = {
  'containerExec.debugRecipe': (s: Services, arg?: unknown) => debugRecipe(s, recipeFile(arg)),
  'containerExec.rerunInDebug': (s: Services, node?: RunNode) => {
    const r = node?.record && (s.runs.history.get(node.record.id) ?? node.record);
    if (!r) throw new Error('Pick a run in the Runs view.');
    return rerunInDebug(s, r);
  },
};
