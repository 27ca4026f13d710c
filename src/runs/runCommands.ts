import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { capText, limitsSummary, newRunId, prepareRunFolder, STATS_FILE, targetIsOneDaemon, targetText, usageDenied } from '../core';
import { withCancellableProgress } from '../progress';
import type { Services } from '../services';
import { executeToEnd } from '../tasks';
import { workspaceDir } from '../workspace';
import type { RunRecord } from './runHistory';
import { recipeInterpreters } from './runConfiguration';
import type { RunNode } from './runsTree';
import { RUN_TASK_TYPE, runTask } from './runTask';
import { outputCaps } from '../launch/launchPreparation';

export interface RunResult {
  runId: string;
  exitCode: number | undefined;
  record: RunRecord | undefined;
}

/** The recipe a command is about: the explorer's or editor title's file, a path, else the active editor's file. */
function recipePath(arg: unknown): string {
  const file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (!file) throw new Error(`Open a recipe (${Object.keys(recipeInterpreters()).join(', ')} file) or pick one in the Explorer to run it.`);
  return file;
}

/**
 * VS Code starts no task in an untrusted folder: it asks for trust first (a modal dialog) and runs the task
 * only if trust is granted from that request; trust granted another way leaves it waiting for good. Said here,
 * because nothing else tells the user why the run does not start.
 */
function noticeRunsNeedTrust(): void {
  const manage = 'Manage Workspace Trust';
  const text =
    'Container Exec runs need a trusted workspace: this run starts only if you trust the folder when VS Code asks; otherwise trust it (Manage Workspace Trust) and run again.';
  void vscode.window.showWarningMessage(text, manage).then((picked) => picked && vscode.commands.executeCommand('workbench.trust.manage'));
}

/** Starts a run as a task (one task per run) and resolves when it ends. */
async function startRun(
  s: Services,
  recipe: string,
  opts: { configuration?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === recipe);
  if (doc?.isDirty) await doc.save(); // what runs is what the user sees
  if (!vscode.workspace.isTrusted) noticeRunsNeedTrust();
  const runId = newRunId();
  const exitCode = await executeToEnd(runTask(s, { type: RUN_TASK_TYPE, recipe, runId, ...opts }));
  return { runId, exitCode, record: s.runs.history.get(runId) };
}

/** Quick pick of the configurations this user may use, with their daemon's state. */
async function pickRunConfiguration(s: Services): Promise<string | undefined> {
  const groups = await s.configurations.groups().catch(() => []);
  const items = s.configurations.catalog
    .current()
    .items.filter((i) => !usageDenied(i.config, groups))
    .map((i) => ({
      label: i.config.name,
      description: `${i.config.daemon} · ${s.daemons.hub.status(i.config.daemon).state}`,
      detail: [i.config.baseImage || 'default base image', limitsSummary(i.config), i.config.runtime ?? ''].filter(Boolean).join(' · '),
    }));
  if (!items.length)
    throw new Error(
      'No configuration you may use: create one in the Execution Configurations view (or run with Run Recipe, which falls back to the local default).',
    );
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Configuration to run the recipe on' }))?.label;
}

/** The run a Runs-view command is about: its node, or a run id. */
function runOf(s: Services, arg: unknown): RunRecord {
  const record = typeof arg === 'string' ? s.runs.history.get(arg) : (arg as RunNode | undefined)?.record;
  if (!record) throw new Error('Pick a run in the Runs view.');
  return s.runs.history.get(record.id) ?? record;
}

/** The run Fetch Run Outputs is about: its node or id, else a pick among the runs whose outputs wait in a container. */
async function keptRunOf(s: Services, arg: unknown): Promise<RunRecord | undefined> {
  if (arg) return runOf(s, arg);
  const kept = s.runs.history.all().filter((r) => r.outputsKept);
  if (!kept.length) throw new Error('No run has outputs left in a container: every run brought its outputs back.');
  const items = kept.map((r) => ({
    label: r.recipe,
    description: `${r.id} · container ${r.outputsKept!.container} on ${r.outputsKept!.target.id}`,
    detail: r.outputsKept!.reason,
    id: r.id,
  }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Run whose outputs to fetch from its container' });
  return picked && s.runs.history.get(picked.id);
}

/**
 * Fetches the outputs a run left in its container (with the caps as they are now), then removes the
 * container; the record says what happened: done, cut again (still kept), or the container gone.
 */
async function fetchKeptRunOutputs(s: Services, r: RunRecord): Promise<string | undefined> {
  const kept = r.outputsKept;
  if (!kept)
    throw new Error(`Run ${r.id} has no outputs left in a container: ${r.outputs ? `they are in ${r.outputs}` : 'it brought back none'}.`);
  // checked before the back-end opens: a refused folder leaves nothing open (a pool's event streams)
  const folder = await prepareRunFolder(workspaceDir(), r.id);
  // a pool or swarm run's container is on the daemon it landed on: asked there alone
  const landedOn = targetIsOneDaemon(kept.target) ? undefined : r.placement?.daemon;
  const where = landedOn ? `daemon "${landedOn}" of ${targetText(kept.target)}` : targetText(kept.target);
  const caps = outputCaps();
  const backend = await s.runs.backends.open(kept.target, {
    context: `it holds container ${kept.container} with the outputs of run ${r.id}`,
    hint: 'Add it back in the Daemons view, then fetch again.',
  });
  try {
    const got = await withCancellableProgress(`Fetching the outputs of run ${r.id} from container ${kept.container}`, (signal) =>
      backend.retrieveKeptOutputs(kept.container, kept.outputPath, folder, {
        landedOn,
        maxBytes: caps.outputMaxBytes,
        maxEntries: caps.outputMaxEntries,
        signal,
        onWarning: (text) => {
          s.log.warn(`[run ${r.id}] ${text}`);
          void vscode.window.showWarningMessage(text);
        },
      }),
    );
    const record = s.runs.history.get(r.id) ?? r;
    if (got.gone) {
      await s.runs.history.put({
        ...record,
        outputsKept: undefined,
        message: `${record.message ?? ''} The outputs left in container ${kept.container} are gone: it is no longer on ${where}.`.trim(),
      });
      throw new Error(`Container ${kept.container} is no longer on ${where}: the outputs of run ${r.id} it held are gone.`);
    }
    const reason = got.capped && `${capText(got.capped)}: fetched ${got.entries} entries (${(got.bytes / 1e6).toFixed(1)} MB)`;
    await s.runs.history.put({ ...record, outputs: got.folder ?? record.outputs, outputsKept: reason ? { ...kept, reason } : undefined });
    const text = reason
      ? `Not all outputs of run ${r.id} came back: ${reason}. Container ${kept.container} is still kept: raise the setting and run Fetch Run Outputs again.`
      : `Fetched the outputs of run ${r.id} (${got.entries} entries, ${(got.bytes / 1e6).toFixed(1)} MB${got.skipped.length ? `, ${got.skipped.length} skipped` : ''})${got.removed ? `; container ${kept.container} removed` : ''}.`;
    s.log.info(`[run ${r.id}] ${text}`);
    if (reason) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
    return got.folder;
  } finally {
    backend.dispose();
  }
}

export const RUN_COMMANDS = {
  'containerExec.runRecipe': (s: Services, arg?: unknown) => startRun(s, recipePath(arg)),
  'containerExec.runRecipeOnConfiguration': async (s: Services, arg?: unknown, configuration?: string) => {
    const file = recipePath(arg);
    const name = configuration ?? (await pickRunConfiguration(s));
    return name ? startRun(s, file, { configuration: name }) : undefined;
  },
  'containerExec.rerun': (s: Services, arg?: unknown) => {
    const r = runOf(s, arg);
    return startRun(s, path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', r.recipe), {
      configuration: r.chosenBy === 'local default' ? undefined : r.configuration,
      args: r.args,
      env: r.env,
    });
  },
  'containerExec.stopRun': (s: Services, arg?: unknown) => {
    // without a run (the palette, the keybinding): the last one started in this window
    const last = arg === undefined ? s.runs.lastStarted() : undefined;
    if (arg === undefined && !last) throw new Error('No run is going on in this window.');
    const r = runOf(s, arg ?? last);
    if (!s.runs.stop(r.id)) throw new Error(`Run ${r.id} is not going on in this window.`);
  },
  'containerExec.showRunLogs': async (s: Services, arg?: unknown) => {
    const r = runOf(s, arg);
    if (!existsSync(r.logFile)) throw new Error(`The log of run ${r.id} is gone (${r.logFile}).`);
    await vscode.window.showTextDocument(vscode.Uri.file(r.logFile), { preview: true });
    return r.logFile;
  },
  'containerExec.openRunOutputs': async (s: Services, arg?: unknown) => {
    const r = runOf(s, arg);
    const out = r.outputs;
    if (!out || !existsSync(out)) {
      void vscode.window.showInformationMessage(`Run ${r.id} brought back no outputs (the recipe wrote nothing to the output folder).`);
      return undefined;
    }
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(out));
    return out;
  },
  /** Fetches the outputs a capped or failed fetch left in the run's container, then removes it; returns the output folder. */
  'containerExec.fetchRunOutputs': async (s: Services, arg?: unknown) => {
    const r = await keptRunOf(s, arg);
    return r ? fetchKeptRunOutputs(s, r) : undefined;
  },
  /** The run's CPU, memory, network and block I/O: live while it runs, from its stats.jsonl after; returns the panel's key. */
  'containerExec.showResourceUsage': (s: Services, arg?: unknown) => {
    const r = runOf(s, arg);
    const running = r.state === 'running' || r.state === 'queued';
    if (!running && !existsSync(path.join(path.dirname(r.logFile), STATS_FILE)))
      throw new Error(`Run ${r.id} has no resource samples: its container gave none, or ${STATS_FILE} is gone from its run folder.`);
    return s.runs.charts.open([r], `Resources: ${r.recipe}`);
  },
  /** Every run going on, on one chart; returns the panel's key. */
  'containerExec.showAllResourceUsage': (s: Services) => {
    const running = s.runs.history.all().filter((r) => r.state === 'running');
    if (!running.length) throw new Error('No run is going on: pick a finished run in the Runs view to see what it used.');
    return s.runs.charts.open(running, `Resources: ${running.length} running run${running.length > 1 ? 's' : ''}`);
  },
  'containerExec.clearRunHistory': (s: Services) => s.runs.history.clearFinished(),
  /** Removes the containers of lost runs on a daemon (picked when not given); returns their ids. */
  'containerExec.removeLostRunContainers': async (s: Services, daemonId?: string) => {
    const id =
      daemonId ??
      (await vscode.window.showQuickPick(
        (await s.daemons.sources()).specs.map((d) => d.daemon.id),
        { placeHolder: 'Daemon whose lost-run containers to remove' },
      ));
    if (!id) return undefined;
    const removed = await s.runs.removeLostRunContainers(id);
    void vscode.window.showInformationMessage(
      removed.length ? `Removed ${removed.length} container(s) or image(s) of lost runs on ${id}.` : `No containers of lost runs on ${id}.`,
    );
    return removed;
  },
};
