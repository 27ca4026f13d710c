import * as os from 'node:os';
import { LABELS } from '../../labels';
import { overBudget, usageOf, type Budget } from './budget';
import type { RunAsk } from './placement';

/**
 * Claims: how windows that admit runs at the same instant stay within a budget (optimistic admission).
 *
 * A window that admits a run creates a never-started *claim* container on the daemon it chose, with the
 * run's labels and the claim's time, waits CLAIM_SETTLE_MS, then lists the user's runs and claims of the
 * pool on every daemon of the pool. Run containers always count; another claim counts when it was made
 * before ours (claim time, then run id: every window orders them alike). A claim made before ours is
 * listed by then as long as its create answered within CLAIM_SETTLE_MS and the windows' clocks agree
 * within it; a claim whose own create took longer counts every other claim it sees. So of two windows
 * one always counts the other, and a run that does not fit backs off and waits in the queue again.
 *
 * A claim lives only between admission and its run container's create (the recount, then one create):
 * seconds. Its window removes it on every path (admitted, backed off, failed, cancelled, disposed), and
 * never creates a run container on a claim older than half of CLAIM_MAX_AGE_MS (it backs off instead).
 * A claim older than CLAIM_MAX_AGE_MS was left by a window that is gone (closed or crashed mid-admission,
 * or its daemon did not answer the removal): it stops counting, and the next admission removes it.
 */

/** Two minutes: far above a claim's life (seconds), far below how long a budget may stay blocked unnoticed. */
export const CLAIM_MAX_AGE_MS = 120_000;
/** Time for claims made just before ours to become listable (see above). */
export const CLAIM_SETTLE_MS = 500;

/** The window (extension host) making a claim: host and process id. */
export const claimOwner = () => `${os.hostname()}:${process.pid}`;

/** A container of a pool as a daemon lists it: labels, state and creation time. */
export interface PoolContainer {
  id: string;
  state: string;
  labels: Record<string, string>;
  /** When the daemon created it (ms since the epoch; 0 unknown). */
  createdMs: number;
}

/** One of the user's runs of a pool on a daemon: its request label; when only its claim exists, the claim's time. */
export interface CountedRun {
  request: string | undefined;
  claimedAt?: number;
}

const isClaim = (labels: Record<string, string>) => labels[LABELS.kind] === 'claim';

/** When a claim was made: its label, else (a claim without one) its container's creation. */
export const claimTime = (c: Pick<PoolContainer, 'labels' | 'createdMs'>) => Date.parse(c.labels[LABELS.claimedAt] ?? '') || c.createdMs;

/**
 * The user's runs of the pool among one daemon's containers (created or running, one per run id; a run
 * container wins over its claim), and the ids of claims past CLAIM_MAX_AGE_MS (they count for nothing).
 */
export function runsAmong(
  containers: Iterable<PoolContainer>,
  pool: string,
  user: string,
  now = Date.now(),
): { runs: Map<string, CountedRun>; expired: string[] } {
  const runs = new Map<string, CountedRun>();
  const expired: string[] = [];
  for (const c of containers) {
    const runId = c.labels[LABELS.run];
    if (c.labels[LABELS.pool] !== pool || c.labels[LABELS.user] !== user || !runId) continue;
    if (c.state !== 'created' && c.state !== 'running') continue;
    if (!isClaim(c.labels)) {
      runs.set(runId, { request: c.labels[LABELS.request] });
      continue;
    }
    const at = claimTime(c);
    if (now - at > CLAIM_MAX_AGE_MS) expired.push(c.id);
    else if (!runs.has(runId)) runs.set(runId, { request: c.labels[LABELS.request], claimedAt: at });
  }
  return { runs, expired };
}

/** Our claim as the recount weighs it. */
export interface OurClaim {
  runId: string;
  daemon: string;
  claimedAt: number;
  /** Our create took longer than CLAIM_SETTLE_MS: every other claim counts, earlier or not. */
  countEveryClaim: boolean;
}

/**
 * The recount after our claim exists: the user's runs on each daemon of the pool (for a daemon that did
 * not answer, the runs last seen there), against the budget and the chosen daemon's run slots. Returns
 * why the run must back off, or undefined when it may go.
 */
export function recountVerdict(
  ours: OurClaim,
  daemons: { id: string; runs: Map<string, CountedRun> }[],
  budget: Budget,
  request: RunAsk,
): string | undefined {
  const before = (r: CountedRun, runId: string) =>
    r.claimedAt === undefined ||
    ours.countEveryClaim ||
    r.claimedAt < ours.claimedAt ||
    (r.claimedAt === ours.claimedAt && runId < ours.runId);
  const counted = new Map<string, CountedRun>();
  let onOurs = 0;
  for (const d of daemons)
    for (const [runId, r] of d.runs) {
      if (runId === ours.runId || !before(r, runId)) continue;
      counted.set(runId, r);
      if (d.id === ours.daemon) onOurs++;
    }
  const over = overBudget(budget, usageOf([...counted.values()].map((r) => r.request)), request);
  if (over) return over;
  if (budget.perDaemonRuns !== undefined && onOurs + 1 > budget.perDaemonRuns)
    return `your ${onOurs} of ${budget.perDaemonRuns} run slots on daemon "${ours.daemon}" in use`;
  return undefined;
}
