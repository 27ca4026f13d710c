import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTrialMetrics, type Combination, type TrialProgress } from '../core';
import type { RunRecord } from '../runs/runHistory';

/** A sweep of this window: its file and its trials as they go, by index (a re-run's attempts replace the earlier ones). */
export interface LiveSweep {
  file: string;
  trials: Map<number, TrialProgress>;
  /** Going on now (Cancel Sweep applies); false once it ended. */
  running: boolean;
  /** The last summary ("Sweep failed: 2 succeeded, 1 failed…"), once it ended. */
  message?: string;
  /** The file's maxParallel: a trial no worker took yet waits for one of these slots. */
  maxParallel: number;
}

const live = new Map<string, LiveSweep>();
// made on first use: the bundle is loaded without VS Code's API by the bundle test (and activation stays lazy)
let changedEmitter: vscode.EventEmitter<string> | undefined;
const changed = () => (changedEmitter ??= new vscode.EventEmitter<string>());

/** Sweeps of this window, fed by the sweep runner; the results table listens to them. */
export const liveSweeps = {
  get: (id: string) => live.get(id),
  /** Fires with the sweep's id on every change of a trial, and when it starts or ends. */
  onDidChange: (listener: (id: string) => unknown) => changed().event(listener),
  started(id: string, file: string, maxParallel: number, earlier: TrialProgress[] = []): LiveSweep {
    const sweep: LiveSweep = { file, trials: new Map(earlier.map((t) => [t.trial.index, t])), running: true, maxParallel };
    live.set(id, sweep);
    changed().fire(id);
    return sweep;
  },
  trial(id: string, t: TrialProgress): void {
    live.get(id)?.trials.set(t.trial.index, t);
    changed().fire(id);
  },
  ended(id: string, message: string): void {
    const sweep = live.get(id);
    if (sweep) Object.assign(sweep, { running: false, message });
    changed().fire(id);
  },
};

/** The SWEEP_* variables of a record written before it kept its parameters (their names upper-cased). */
function paramsOf(r: RunRecord): Combination {
  if (r.sweep?.params) return r.sweep.params;
  const entries = Object.entries(r.env).filter(([k]) => k.startsWith('SWEEP_') && k !== 'SWEEP_TRIAL' && k !== 'SWEEP_ID');
  return Object.fromEntries(entries.map(([k, v]) => [k.slice(6).toLowerCase(), v]));
}

/**
 * A sweep's trials from its run records (after a window reload, or a sweep of another session): each
 * trial's last attempt, its metrics read again from its out/metrics.json.
 */
export async function trialsFromRecords(records: readonly RunRecord[], sweepId: string): Promise<TrialProgress[]> {
  const attempts = records.filter((r) => r.sweep?.id === sweepId).sort((a, b) => a.startedAt - b.startedAt);
  const last = new Map<number, { r: RunRecord; attempt: number }>();
  for (const r of attempts) last.set(r.sweep!.trial, { r, attempt: (last.get(r.sweep!.trial)?.attempt ?? -1) + 1 });
  const trials = [...last.values()].map(async ({ r, attempt }): Promise<TrialProgress> => ({
    trial: { index: r.sweep!.trial, params: paramsOf(r), args: r.args, env: r.env },
    attempt,
    runId: r.id,
    outputsDir: path.dirname(r.logFile),
    state: r.state,
    message: r.message,
    placement: r.placement,
    target: r.target,
    containerId: r.containerId,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    outcome:
      r.state === 'succeeded' || r.state === 'failed' || r.state === 'cancelled'
        ? { state: r.state, message: r.message ?? '', exitCode: r.exitCode, oomKilled: Boolean(r.oomKilled), outputs: r.outputs }
        : undefined,
    metrics: await readTrialMetrics(r.outputs ?? path.join(path.dirname(r.logFile), 'out')).catch(() => undefined),
  }));
  return (await Promise.all(trials)).sort((a, b) => a.trial.index - b.trial.index);
}
