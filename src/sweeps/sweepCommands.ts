import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_ID, SWEEP_FILE_SUFFIX, sweepFolder } from '../core';
import type { CommandHandler } from '../commandErrors';
import { withCancellableProgress } from '../progress';
import type { Services } from '../services';
import { workspaceDir } from '../workspace';
import { cancelSweep, runSweepFile, type SweepDone } from './sweepRunner';
import { showSweepResults } from './sweepTask';

/** The sweep file a command is about: the explorer's or editor's file, a path, else one picked among the workspace's. */
async function sweepFileOf(arg: unknown): Promise<string | undefined> {
  const given =
    arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (given?.endsWith(SWEEP_FILE_SUFFIX)) return given;
  const files = await vscode.workspace.findFiles(`**/*${SWEEP_FILE_SUFFIX}`, '**/node_modules/**', 200);
  if (!files.length) throw new Error(`No sweep file in the workspace: write one named *${SWEEP_FILE_SUFFIX} (see the README's "Sweeps").`);
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
    { placeHolder: 'Sweep file to run' },
  );
  return picked?.uri.fsPath;
}

/** Run Sweep…: a cancellable progress notification (trials over of all), the results opened at the end. */
async function runSweepCommand(s: Services, arg?: unknown): Promise<SweepDone | undefined> {
  const file = await sweepFileOf(arg);
  if (!file) return undefined;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save(); // what runs is what the user sees
  const done = await withCancellableProgress(`Sweep ${path.basename(file)}`, (signal, progress) => {
    let last = 0;
    return runSweepFile(s, file, {
      signal,
      line: (text) => s.log.info(`[sweep] ${text}`),
      progress: (n, total) => {
        progress.report({ message: `${n} of ${total} trials over`, increment: ((n - last) / total) * 100 });
        last = n;
      },
      confirm: async (text) => (await vscode.window.showWarningMessage(text, { modal: true }, 'Run All')) === 'Run All',
    });
  });
  if (!done) return undefined;
  await showSweepResults(done.markdown);
  const { state, message } = done.result;
  if (state === 'succeeded') void vscode.window.showInformationMessage(message);
  else void vscode.window.showWarningMessage(message);
  return done;
}

export const SWEEP_COMMANDS: Record<string, CommandHandler> = {
  'containerExec.runSweep': runSweepCommand,
  /** Cancel Sweep on a sweep's row (or its id): queued trials never start, running ones stop, no container stays. */
  'containerExec.cancelSweep': (_s, arg: { record?: { sweep?: { id: string } } } | string) => {
    const id = typeof arg === 'string' ? arg : arg?.record?.sweep?.id;
    if (!id) throw new Error("Cancel Sweep is for a running sweep's row in the Runs view.");
    if (!cancelSweep(id)) throw new Error(`Sweep ${id} is not going on in this window: nothing to cancel.`);
  },
  /** The results of a sweep (its row in the Runs view). */
  'containerExec.showSweepResults': async (_s, arg: { sweepId?: string } | string) => {
    const id = typeof arg === 'string' ? arg : arg?.sweepId;
    if (!id || !RUN_ID.test(id)) throw new Error('Show Sweep Results is for a sweep row of the Runs view.');
    const file = path.join(sweepFolder(workspaceDir(), id), 'results.md');
    if (!existsSync(file)) throw new Error(`Sweep ${id} has no results yet: it is still going on, or VS Code closed before it ended.`);
    await showSweepResults(file);
  },
};
