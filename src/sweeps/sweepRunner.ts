import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  newRunId,
  planSweep,
  prepareSweepFolder,
  recipeInWorkspace,
  resultsCsv,
  resultsMarkdown,
  resultsTable,
  runSweep,
  targetOf,
  trialFolderName,
  type SweepResult,
  type TrialProgress,
} from '../core';
import { containerRequest, launchImage, launchWorkspace, openLaunchBackend } from '../launch/launchPreparation';
import type { RunRecord } from '../runs/runHistory';
import { chooseRunConfiguration } from '../runs/runConfiguration';
import type { Services } from '../services';
import { settings } from '../settings';
import { extensionVersion } from '../workspace';
import { liveSweeps, trialsFromRecords } from './sweepTrials';

/** How a sweep talks to whoever started it (a task terminal, a progress notification). */
export interface SweepUi {
  signal: AbortSignal;
  /** One line: the plan, each trial's start and end, the summary. */
  line(text: string): void;
  /** Trials over of all. */
  progress?(done: number, total: number): void;
  /** More trials than containerExec.sweepMaxTrials: go on? */
  confirm(text: string): Promise<boolean>;
  /** The plan is checked and the sweep begins (its results table may open). */
  onStarted?(sweepId: string): void;
}

/** Re-Run Failed Trials: the sweep's trials so far, and those to run again as their next attempt. */
export interface SweepRerun {
  earlier: TrialProgress[];
  again: TrialProgress[];
}

export interface SweepDone {
  sweepId: string;
  result: SweepResult;
  /** <workspace>/.container-exec/sweeps/<id>/results.csv and .md. */
  csv: string;
  markdown: string;
}

/** Sweeps going on in this window, by id: Cancel Sweep aborts one. */
const running = new Map<string, AbortController>();

/** Cancels sweep `id` (queued trials never start, running ones stop, outputs still come back); false when it is not running here. */
export function cancelSweep(id: string): boolean {
  running.get(id)?.abort();
  return running.has(id);
}

/** A sweep's trials as they are now: this window's live ones, else from the run records (after a reload). */
export async function sweepTrials(s: Services, sweepId: string): Promise<TrialProgress[]> {
  const sweep = liveSweeps.get(sweepId);
  if (sweep) return [...sweep.trials.values()].sort((a, b) => a.trial.index - b.trial.index);
  return trialsFromRecords(s.runs.history.all(), sweepId);
}

/** Re-Run Failed Trials: the failed and cancelled trials of an ended sweep, again, as their next attempt of the same sweep. */
export async function rerunFailedTrials(s: Services, sweepId: string, ui: SweepUi): Promise<SweepDone | undefined> {
  if (running.has(sweepId) || rerunning.has(sweepId))
    throw new Error(`Sweep ${sweepId} is still going on: cancel it or wait for its end to run its failed trials again.`);
  rerunning.add(sweepId); // a second click before this one's trials start runs nothing twice
  try {
    return await rerunOnce(s, sweepId, ui);
  } finally {
    rerunning.delete(sweepId);
  }
}

const rerunning = new Set<string>();

async function rerunOnce(s: Services, sweepId: string, ui: SweepUi): Promise<SweepDone | undefined> {
  const earlier = await sweepTrials(s, sweepId);
  const again = earlier.filter((t) => t.state === 'failed' || t.state === 'cancelled');
  if (!again.length) throw new Error(`Sweep ${sweepId} has no failed or cancelled trial to run again.`);
  const file = liveSweeps.get(sweepId)?.file ?? s.runs.history.all().find((r) => r.sweep?.id === sweepId)?.sweep?.file;
  if (!file) throw new Error(`Sweep ${sweepId} is not in the run history any more: run its sweep file again.`);
  return runSweepFile(s, file, ui, sweepId, { earlier, again });
}

/** containerExec.sweepMaxTrials: more trials ask first. */
const maxTrials = () => settings().get<number>('sweepMaxTrials') ?? 1000;

/**
 * Runs the sweep file `file` (absolute, or relative to the workspace): its plan checked before anything
 * is created, each trial a run of kind sweep-trial in the Runs view (grouped under the sweep), its log and
 * outputs in .container-exec/sweeps/<id>/<trial>/, the results written there as CSV and markdown.
 */
export async function runSweepFile(
  s: Services,
  file: string,
  ui: SweepUi,
  sweepId = newRunId(),
  rerun?: SweepRerun,
): Promise<SweepDone | undefined> {
  const ws = launchWorkspace('a sweep uploads the workspace folder its recipe is in');
  const fileRel = recipeInWorkspace(path.resolve(ws, file), ws);
  const planned = planSweep(fileRel, await readFile(path.resolve(ws, file), 'utf8'), sweepId);
  // a re-run takes the file's settings (parallelism, retries) but the trials as they ran, not as the file may now be
  const plan = rerun ? { ...planned, trials: rerun.again.map((t) => t.trial) } : planned;
  const nextAttempt = new Map(rerun?.again.map((t) => [t.trial.index, t.attempt + 1]));
  const total = plan.trials.length;
  if (
    total > maxTrials() &&
    !(await ui.confirm(`${fileRel} has ${total} trials, more than containerExec.sweepMaxTrials (${maxTrials()}). Run them all?`))
  )
    return undefined;
  const recipe = recipeInWorkspace(path.resolve(ws, plan.file.recipe), ws);
  const { config, chosenBy } = chooseRunConfiguration(s.configurations.catalog, recipe, plan.file.configuration);
  const image = await launchImage(s, config);
  const folder = await prepareSweepFolder(ws, sweepId);
  ui.line(`Sweep ${sweepId}: ${total} trials of ${recipe} on configuration ${config.name}, at most ${plan.file.maxParallel} at once.`);
  const live = liveSweeps.started(sweepId, fileRel, plan.file.maxParallel, rerun?.earlier);
  ui.onStarted?.(sweepId);
  const records = new TrialRecords(s, { sweepId, fileRel, recipe, config: config.name, chosenBy, target: targetOf(config), image });
  const ended = new Set<string>();
  const trialsOver = new Set<number>();
  const cancel = new AbortController();
  running.set(sweepId, cancel);
  const goingOn = s.runs.sweepGoingOn(sweepId);
  const result = await runSweep({
    sweepId,
    plan,
    request: { ...(await containerRequest(s, config, ws, folder)), image, extensionVersion: extensionVersion(s.context) },
    openBackend: () => openLaunchBackend(s, config),
    trialFolder: (trial, attempt) => prepareSweepFolder(ws, sweepId, trialFolderName(trial.index, attempt)),
    signal: AbortSignal.any([ui.signal, cancel.signal]),
    attemptSignal: (t) => records.abortOf(t),
    firstAttempt: (trial) => nextAttempt.get(trial.index) ?? 0,
    hooks: (t) => records.logHooks(t),
    onWarning: (text) => ui.line(`Warning: ${text}`),
    onTrial: (t) => {
      records.update(t);
      liveSweeps.trial(sweepId, t);
      if (!t.endedAt || ended.has(t.runId || `q${t.trial.index}`)) return;
      ended.add(t.runId || `q${t.trial.index}`);
      ui.line(
        `Trial ${t.trial.index} ${JSON.stringify(t.trial.params)}: ${t.state}${t.placement ? ` on ${t.placement.daemon}` : ''}. ${t.message ?? ''}`,
      );
      trialsOver.add(t.trial.index);
      ui.progress?.(trialsOver.size, total);
    },
  }).finally(() => {
    goingOn();
    running.delete(sweepId);
    live.running = false;
  });
  await records.closed();
  // a re-run's results are the whole sweep's: the trials run again replace their earlier attempts
  const table = resultsTable([...live.trials.values()].sort((a, b) => a.trial.index - b.trial.index));
  const n = rerun?.again.length;
  liveSweeps.ended(sweepId, n ? `Re-run of ${n} trial${n > 1 ? 's' : ''}: ${result.message}` : result.message);
  const csv = path.join(folder, 'results.csv');
  const markdown = path.join(folder, 'results.md');
  await writeFile(csv, resultsCsv(table));
  await writeFile(markdown, resultsMarkdown(`Sweep ${sweepId}: ${fileRel}`, result.message, table));
  ui.line(`${result.message} Results: ${path.relative(ws, csv)}`);
  return { sweepId, result, csv, markdown };
}

/** The trials' run records (kind sweep-trial, grouped under the sweep) and logs, kept as the trials go. */
class TrialRecords {
  private readonly logs = new Map<string, WriteStream>();
  private readonly aborts = new Map<string, AbortController>();

  constructor(
    private readonly s: Services,
    private readonly sweep: {
      sweepId: string;
      fileRel: string;
      recipe: string;
      config: string;
      chosenBy: string;
      target: RunRecord['target'];
      image: string;
    },
  ) {}

  /** A Stop on the trial's row cancels that attempt alone. */
  abortOf(t: TrialProgress): AbortSignal {
    const abort = new AbortController();
    this.aborts.set(t.runId, abort);
    this.s.runs.started(t.runId, abort);
    return abort.signal;
  }

  logHooks(t: TrialProgress) {
    const log = this.logOf(t);
    return {
      onOutput: (chunk: Buffer) => (log.write(chunk) ? undefined : once(log, 'drain')),
      onStatus: (text: string) => void log.write(`[container-exec] ${text}\n`),
      onWarning: (text: string) => void log.write(`[container-exec] warning: ${text}\n`),
    };
  }

  private logOf(t: TrialProgress): WriteStream {
    let log = this.logs.get(t.runId);
    if (!log) this.logs.set(t.runId, (log = createWriteStream(path.join(t.outputsDir, 'run.log'), { flags: 'a' })));
    return log;
  }

  update(t: TrialProgress): void {
    if (!t.runId || !t.outputsDir) return; // queued, no attempt yet: the sweep's row counts it
    const o = t.outcome;
    const record: RunRecord = {
      id: t.runId,
      kind: 'sweep-trial',
      sweep: { id: this.sweep.sweepId, trial: t.trial.index, file: this.sweep.fileRel, params: t.trial.params },
      recipe: this.sweep.recipe,
      configuration: this.sweep.config,
      chosenBy: this.sweep.chosenBy,
      target: this.sweep.target,
      image: this.sweep.image,
      args: t.trial.args,
      env: t.trial.env,
      state: t.state,
      placement: t.placement,
      message: t.message,
      startedAt: t.startedAt ?? Date.now(),
      endedAt: t.endedAt,
      containerId: t.containerId,
      exitCode: o?.exitCode,
      oomKilled: o?.oomKilled,
      outputs: o?.outputs,
      lost: o?.lost,
      outputsKept: o?.outputsKept && { ...o.outputsKept, target: this.sweep.target },
      logFile: path.join(t.outputsDir, 'run.log'),
    };
    this.logOf(t);
    void this.s.runs.history.put(record);
    if (t.endedAt && this.aborts.has(t.runId)) {
      this.aborts.delete(t.runId);
      this.s.runs.ended(t.runId);
      this.logs.get(t.runId)?.end();
    }
  }

  /** Every log written to its end. */
  async closed(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => (l.closed ? undefined : (l.end(), once(l, 'close')))));
  }
}
