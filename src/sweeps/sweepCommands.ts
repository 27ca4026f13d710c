import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_ID, SWEEP_FILE_SUFFIX } from '../core';
import type { CommandHandler } from '../commandErrors';
import { withCancellableProgress } from '../progress';
import type { Services } from '../services';
import { cancelSweep, rerunFailedTrials, runSweepFile, type SweepDone, type SweepUi } from './sweepRunner';
import { sweepTables } from './sweepTablePanel';

/** The sweep file a command is about: the explorer's or editor's file, a path, else one picked among the workspace's. */
async function sweepFileOf(arg: unknown): Promise<string | undefined> {
  const given =
    arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (given?.endsWith(SWEEP_FILE_SUFFIX)) return given;
  const files = await vscode.workspace.findFiles(`**/*${SWEEP_FILE_SUFFIX}`, '**/node_modules/**', 200);
  if (!files.length) throw new Error(`No sweep file in the workspace: write one named *${SWEEP_FILE_SUFFIX} (see docs/sweeps.md).`);
  const picked = await vscode.window.showQuickPick(
    files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })),
    { placeHolder: 'Sweep file to run' },
  );
  return picked?.uri.fsPath;
}

/** A sweep in a cancellable progress notification (trials over of all), its results table open from its start. */
async function withSweepProgress(
  s: Services,
  title: string,
  run: (ui: SweepUi) => Promise<SweepDone | undefined>,
): Promise<SweepDone | undefined> {
  const done = await withCancellableProgress(title, (signal, progress) => {
    let last = 0;
    return run({
      signal,
      line: (text) => s.log.info(`[sweep] ${text}`),
      progress: (n, total) => {
        progress.report({ message: `${n} of ${total} trials over`, increment: ((n - last) / total) * 100 });
        last = n;
      },
      confirm: async (text) => (await vscode.window.showWarningMessage(text, { modal: true }, 'Run All')) === 'Run All',
      onStarted: (sweepId) => sweepTables.open(s, sweepId),
    });
  });
  if (!done) return undefined;
  const { state, message } = done.result;
  if (state === 'succeeded') void vscode.window.showInformationMessage(message);
  else void vscode.window.showWarningMessage(message);
  return done;
}

/** Run Sweep…: the file saved first (what runs is what the user sees). */
async function runSweepCommand(s: Services, arg?: unknown): Promise<SweepDone | undefined> {
  const file = await sweepFileOf(arg);
  if (!file) return undefined;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
  return withSweepProgress(s, `Sweep ${path.basename(file)}`, (ui) => runSweepFile(s, file, ui));
}

/** The sweep id a Runs-view row (the sweep's, or one of its trials'), a results table or a test names. */
function sweepIdOf(arg: unknown, command: string): string {
  const a = arg as { sweepId?: string; record?: { sweep?: { id: string } } } | string | undefined;
  const id = typeof a === 'string' ? a : (a?.sweepId ?? a?.record?.sweep?.id);
  if (!id || !RUN_ID.test(id)) throw new Error(`${command} is for a sweep's row in the Runs view.`);
  return id;
}

export const SWEEP_COMMANDS: Record<string, CommandHandler> = {
  'containerExec.runSweep': runSweepCommand,
  /** Cancel Sweep on a sweep's row (or its id): queued trials never start, running ones stop, no container stays. */
  'containerExec.cancelSweep': (_s, arg: { record?: { sweep?: { id: string } } } | string) => {
    const id = typeof arg === 'string' ? arg : arg?.record?.sweep?.id;
    if (!id) throw new Error("Cancel Sweep is for a running sweep's row in the Runs view.");
    if (!cancelSweep(id)) throw new Error(`Sweep ${id} is not going on in this window: nothing to cancel.`);
  },
  /** The results table of a sweep (its row in the Runs view): live while it runs, from its records after a reload. */
  'containerExec.showSweepResults': (s, arg: unknown) => {
    const id = sweepIdOf(arg, 'Show Sweep Results');
    if (!s.runs.history.all().some((r) => r.sweep?.id === id)) throw new Error(`Sweep ${id} is not in the run history.`);
    sweepTables.open(s, id);
  },
  /** Re-Run Failed Trials: the failed and cancelled trials again, as a new attempt of the same sweep. */
  'containerExec.rerunFailedTrials': (s, arg: unknown) => {
    const id = sweepIdOf(arg, 'Re-run Failed Trials');
    return withSweepProgress(s, `Sweep ${id}: failed trials again`, (ui) => rerunFailedTrials(s, id, ui));
  },
};
