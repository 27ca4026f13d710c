import { AbortFanOut } from '../abortFanOut';
import type { AvoidDaemons, ExecutionBackend, Placement, RunTarget } from '../backend/backend';
import { sweepTrialRun } from '../run/kinds';
import { newRunId } from '../run/recipe';
import { largeUploadWarning, runRecipe, type RunFailure, type RunHooks, type RunOutcome, type RunRequest } from '../run/runRecipe';
import { readTrialMetrics, type TrialMetrics } from './metrics';
import type { SweepPlan, TrialPlan } from './sweepFile';
import { WorkspaceImages } from './workspaceImages';

export type TrialState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One trial as the sweep goes: its current attempt's run, state and, once over, outcome and metrics. */
export interface TrialProgress {
  trial: TrialPlan;
  /** 0 for the first run, then one more per retry. */
  attempt: number;
  /** The current attempt's run id (each attempt is a run of its own). */
  runId: string;
  outputsDir: string;
  state: TrialState;
  /** Why it waits (a pool's queue), or why it ended. */
  message?: string;
  placement?: Placement;
  /** The attempt's target (a daemon, a pool, a swarm's manager). */
  target?: RunTarget;
  containerId?: string;
  startedAt?: number;
  endedAt?: number;
  outcome?: RunOutcome;
  metrics?: TrialMetrics;
}

/** What one attempt's run is made of, apart from what the sweep sets (id, recipe, arguments, environment, folder, kind). */
export type TrialRequestBase = Omit<RunRequest, 'id' | 'recipe' | 'args' | 'env' | 'outputsDir' | 'kind'>;

export interface SweepRun {
  sweepId: string;
  plan: SweepPlan;
  request: TrialRequestBase;
  /** A back-end for one attempt (a pool places each run on its own back-end); disposed after the attempt. */
  openBackend(): Promise<ExecutionBackend>;
  /** The attempt's run folder (created): outputs come back into <folder>/out. */
  trialFolder(trial: TrialPlan, attempt: number, runId: string): Promise<string>;
  /** Cancels the whole sweep: queued trials never start, running ones stop (outputs still come back), containers go. */
  signal: AbortSignal;
  /** One trial attempt's own cancel (a Stop on its row), besides the sweep's. */
  attemptSignal?(t: TrialProgress): AbortSignal;
  /** Any change of a trial (state, placement, container, end). */
  onTrial(t: TrialProgress): void;
  /** A re-run's trials go on from their earlier attempts (folder t3-r2 after t3 and t3-r1); absent: 0. */
  firstAttempt?(trial: TrialPlan): number;
  /** An attempt's output, steps and warnings (the trial's log). */
  hooks?(t: TrialProgress): Partial<Pick<RunHooks, 'onOutput' | 'onStatus' | 'onWarning'>>;
  /** The sweep's own warnings (a workspace past uploadWarnBytes, once; a workspace image that could not be removed). */
  onWarning?(text: string): void;
}

export interface SweepResult {
  state: 'succeeded' | 'failed' | 'cancelled';
  /** Why the rest was cancelled (the failure budget), or what failed. */
  message: string;
  trials: TrialProgress[];
}

/** Failures that are not the recipe's own: the next attempt may well succeed (another daemon, the engine back). */
const TRANSIENT: RunFailure[] = ['daemon', 'daemon-lost', 'engine'];
const RECIPE_OWN: RunFailure[] = ['exit', 'oom'];

export function retryable(outcome: RunOutcome, retryRecipeFailures: boolean): boolean {
  if (outcome.state !== 'failed' || !outcome.failure) return false;
  return TRANSIENT.includes(outcome.failure) || (retryRecipeFailures && RECIPE_OWN.includes(outcome.failure));
}

/**
 * Runs a sweep's trials through the configuration's back-end, at most `maxParallel` at once, each attempt
 * a run of kind sweep-trial with its own id and folder. A trial failing for a reason not its own is run
 * again (`retries`); past the failure budget the rest is cancelled. Never throws for a trial: each ends
 * with an outcome; no container is left behind (the driver removes each one, also on cancel). The
 * workspace is uploaded once per daemon the trials land on (WorkspaceImages), its images removed at the end.
 */
export async function runSweep(s: SweepRun): Promise<SweepResult> {
  const { plan } = s;
  const stop = new AbortController();
  let stopReason: string | undefined;
  const onAbort = () => stop.abort();
  s.signal.addEventListener('abort', onAbort, { once: true });
  if (s.signal.aborted) stop.abort();
  const trials: TrialProgress[] = plan.trials.map((trial) => ({
    trial,
    attempt: s.firstAttempt?.(trial) ?? 0,
    runId: '',
    outputsDir: '',
    state: 'queued',
  }));
  for (const t of trials) s.onTrial(t);
  const workspace = new WorkspaceImages({ ...s.request, sweepId: s.sweepId, signal: stop.signal });
  // a large workspace is said once per sweep, not per trial (a scan that fails fails the trials, with their reason)
  void workspace.scan().then(
    (scan) => {
      const warning = largeUploadWarning(s.request, scan);
      if (warning) s.onWarning?.(warning);
    },
    () => undefined,
  );
  // each attempt observes a signal of its own: the sweep's keeps one listener however many trials go on at once
  const attempts = new AbortFanOut(stop.signal);
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < trials.length) {
      const t = trials[next++]!;
      if (stop.signal.aborted) {
        end(t, 'cancelled', stopReason ?? 'Cancelled: the sweep was cancelled before this trial started.');
        continue;
      }
      await runTrial(s, t, attempts, workspace);
      if (t.state === 'failed' && ++failures > plan.failureBudget && !stop.signal.aborted) {
        stopReason = `Not started: the sweep stopped after ${failures} failed trial${failures > 1 ? 's' : ''} (${plan.file.failFast ? 'failFast' : `maxFailures ${plan.failureBudget}`}).`;
        stop.abort();
      }
    }
  };
  const end = (t: TrialProgress, state: TrialState, message: string) => {
    Object.assign(t, { state, message, endedAt: Date.now() });
    s.onTrial(t);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.file.maxParallel, trials.length) }, worker));
  } finally {
    s.signal.removeEventListener('abort', onAbort);
    attempts.dispose();
    for (const w of await workspace.dispose()) s.onWarning?.(w);
  }
  return result(trials, s.signal.aborted, stopReason);
}

function result(trials: TrialProgress[], cancelled: boolean, stopReason: string | undefined): SweepResult {
  const count = (st: TrialState) => trials.filter((t) => t.state === st).length;
  const tally = `${count('succeeded')} succeeded, ${count('failed')} failed, ${count('cancelled')} cancelled of ${trials.length} trials`;
  if (cancelled) return { state: 'cancelled', message: `Sweep cancelled: ${tally}.`, trials };
  if (count('failed') || stopReason)
    return { state: 'failed', message: `Sweep failed: ${tally}.${stopReason ? ` ${stopReason}` : ''}`, trials };
  return { state: 'succeeded', message: `Sweep succeeded: ${tally}.`, trials };
}

/** A trial's attempts: a run each, again while it fails for a reason not its own and retries are left. */
async function runTrial(s: SweepRun, t: TrialProgress, attempts: AbortFanOut, workspace: WorkspaceImages): Promise<void> {
  const { file } = s.plan;
  const first = t.attempt;
  // the daemons that lost an attempt of this trial: its retries go elsewhere if the pool has another (that one may be back, and idle)
  const lostOn: string[] = [];
  for (let attempt = first; ; attempt++) {
    const avoid = lostOn.length ? { daemons: [...lostOn], why: 'an earlier attempt of this trial was lost there' } : undefined;
    await attempts.run((signal) => runAttempt(s, t, attempt, signal, workspace, avoid));
    if (t.outcome?.failure === 'daemon-lost' && t.placement && !lostOn.includes(t.placement.daemon)) lostOn.push(t.placement.daemon);
    const retry = attempt - first;
    if (attempts.signal.aborted || retry >= file.retries || !t.outcome || !retryable(t.outcome, file.retryRecipeFailures)) return;
    t.message = `Retrying (attempt ${retry + 2} of ${file.retries + 1}) after: ${t.outcome.message}`;
    s.hooks?.(t).onWarning?.(t.message);
  }
}

async function runAttempt(
  s: SweepRun,
  t: TrialProgress,
  attempt: number,
  signal: AbortSignal,
  workspace: WorkspaceImages,
  avoid: AvoidDaemons | undefined,
): Promise<void> {
  const runId = newRunId();
  Object.assign(t, { attempt, runId, state: 'queued', startedAt: Date.now(), endedAt: undefined, outcome: undefined, metrics: undefined });
  Object.assign(t, { placement: undefined, containerId: undefined });
  let backend: ExecutionBackend | undefined;
  try {
    t.outputsDir = await s.trialFolder(t.trial, attempt, runId);
    s.onTrial(t);
    backend = await s.openBackend();
    const b = backend;
    t.target = b.target;
    const hooks = s.hooks?.(t) ?? {};
    const own = s.attemptSignal?.(t);
    const attemptSignal = own ? AbortSignal.any([signal, own]) : signal;
    const outcome = await runRecipe(
      b,
      {
        ...s.request,
        id: runId,
        recipe: s.plan.file.recipe,
        args: t.trial.args,
        env: t.trial.env,
        outputsDir: t.outputsDir,
        kind: sweepTrialRun,
        sharedWorkspace: workspace,
        avoid,
      },
      {
        signal: attemptSignal,
        onOutput: (chunk, stream) => hooks.onOutput?.(chunk, stream),
        onStatus: (text) => hooks.onStatus?.(text),
        onWarning: (text) => hooks.onWarning?.(text),
        onContainer: (containerId) =>
          s.onTrial(Object.assign(t, { containerId, state: 'running', message: undefined, placement: b.placement })),
        onQueued: (reason) =>
          s.onTrial(Object.assign(t, { state: reason ? 'queued' : 'running', message: reason, placement: b.placement })),
        onStarted: () => s.onTrial(Object.assign(t, { state: 'running', message: undefined, placement: b.placement })),
      },
    );
    t.metrics = await readTrialMetrics(outcome.outputs).catch((e: Error) => ({ values: {}, note: e.message }));
    Object.assign(t, {
      outcome,
      state: outcome.state,
      message: outcome.message,
      placement: b.placement ?? t.placement,
      endedAt: Date.now(),
    });
  } catch (e) {
    // opening the back-end or the folder failed: nothing of this attempt exists
    const message = (e as Error).message;
    const outcome: RunOutcome = { state: signal.aborted ? 'cancelled' : 'failed', failure: 'daemon', message, oomKilled: false };
    Object.assign(t, { outcome, state: outcome.state, message, endedAt: Date.now() });
  } finally {
    backend?.dispose();
  }
  s.onTrial(t);
}
