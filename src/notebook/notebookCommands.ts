import * as vscode from 'vscode';
import type { Services } from '../services';

/** The notebook a command is about: the notebook toolbar's (its editor), a notebook URI, else the active notebook. */
function notebookUri(arg: unknown): vscode.Uri {
  if (arg instanceof vscode.Uri) return arg;
  const fromToolbar = (arg as { notebookEditor?: { notebookUri?: unknown } } | undefined)?.notebookEditor?.notebookUri;
  if (fromToolbar instanceof vscode.Uri) return fromToolbar;
  const active = vscode.window.activeNotebookEditor?.notebook.uri;
  if (!active) throw new Error('Open a notebook that runs on a Container Exec kernel first.');
  return active;
}

export const NOTEBOOK_COMMANDS = {
  'containerExec.restartKernel': (s: Services, arg?: unknown) => s.notebooks.restart(notebookUri(arg)),
  'containerExec.interruptKernel': (s: Services, arg?: unknown) => s.notebooks.interrupt(notebookUri(arg)),
  'containerExec.shutDownKernel': (s: Services, arg?: unknown) => s.notebooks.shutDown(notebookUri(arg)),
};
