import * as vscode from 'vscode';
import * as z from 'zod';
import { migrateRunRecord, UsageSummarySchema, type RunOutcome } from '../core';
import { settings } from '../settings';

/** Where a run ran: a back-end kind and its target (a daemon id today). */
const TargetSchema = z.object({ kind: z.string().min(1), id: z.string().min(1) });

export const RunRecordSchema = z.object({
  id: z.string(),
  /** A debug session's run (Debug Recipe), a notebook's kernel, a sweep's trial; absent: a plain run. */
  kind: z.enum(['run', 'debug', 'kernel', 'sweep-trial']).optional(),
  /** A sweep trial's sweep (the Runs view groups trials under it), its index and the sweep file (workspace-relative). */
  sweep: z.object({ id: z.string(), trial: z.number(), file: z.string() }).optional(),
  /** Workspace-relative (posix). */
  recipe: z.string(),
  configuration: z.string(),
  /** How the configuration was chosen: explicit, recipe, project default, global default, local default. */
  chosenBy: z.string().optional(),
  /** The back-end and target the run ran on. */
  target: TargetSchema,
  image: z.string().optional(),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  /** A pool or swarm run: the daemon it landed on and why; Fetch Run Outputs asks that daemon for a kept container. */
  placement: z.object({ daemon: z.string(), reason: z.string() }).optional(),
  exitCode: z.number().optional(),
  oomKilled: z.boolean().optional(),
  message: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** The run's container on its target. */
  containerId: z.string().optional(),
  /** The fetched output folder (<run folder>/out). */
  outputs: z.string().optional(),
  logFile: z.string(),
  /** Bytes the recipe printed, and the time from its first to its last output. */
  outputBytes: z.number().optional(),
  outputMs: z.number().optional(),
  /** The daemon vanished mid-run: its container may still be there. */
  lost: z.boolean().optional(),
  /** Not all outputs came back (a cap, a failed fetch): they are still in this container (Fetch Run Outputs). */
  outputsKept: z.object({ container: z.string(), target: TargetSchema, outputPath: z.string(), reason: z.string() }).optional(),
  /** What it used while it ran: peaks and totals from the Engine's stats (its series: stats.jsonl in its run folder). */
  usage: UsageSummarySchema.optional(),
});
/** What storage holds, old records included (migrated on read). */
const StoredRunRecordSchema = z.preprocess(migrateRunRecord, RunRecordSchema);
export type RunRecord = z.output<typeof RunRecordSchema>;

const KEY = 'containerExec.runs';

/** Runs of this workspace, newest first, in workspace storage (the last containerExec.runHistorySize). */
export class RunHistory implements vscode.Disposable {
  private records: RunRecord[];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {
    // a record is checked where it enters (storage written by another version is not trusted)
    const raw = state.get<unknown[]>(KEY) ?? [];
    this.records = raw.flatMap((r) => {
      const parsed = StoredRunRecordSchema.safeParse(r);
      return parsed.success ? [parsed.data] : [];
    });
    // runs "running" when the window closed ended with it: their containers are offered for cleanup later
    for (const r of this.records)
      if (r.state === 'running' || r.state === 'queued')
        Object.assign(r, {
          state: 'failed',
          message: 'VS Code closed while the run was going on.',
          lost: true,
          endedAt: r.endedAt ?? r.startedAt,
        });
  }

  all(): readonly RunRecord[] {
    return this.records;
  }

  get(id: string): RunRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** Adds a run (before its container exists) or updates one; keeps the newest `limit`. */
  async put(record: RunRecord): Promise<void> {
    const at = this.records.findIndex((r) => r.id === record.id);
    if (at >= 0) this.records[at] = record;
    else this.records.unshift(record);
    const limit = Math.max(1, settings().get<number>('runHistorySize') ?? 50);
    // running runs are never dropped, nor runs whose outputs wait in a container (it would look lost)
    await this.save(this.records.filter((r, i) => i < limit || r.state === 'running' || r.state === 'queued' || r.outputsKept));
  }

  /** Keeps running runs and runs whose outputs are still to be fetched. */
  clearFinished(): Promise<void> {
    return this.save(this.records.filter((r) => r.state === 'running' || r.state === 'queued' || r.outputsKept));
  }

  private async save(records: RunRecord[]): Promise<void> {
    this.records = records;
    this.changed.fire();
    await this.state.update(KEY, records);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** What every kind's record says of its end, from the driver's outcome (outputs kept in a container are found on its target). */
export const endedRecord = (outcome: RunOutcome, target: RunRecord['target']): Partial<RunRecord> => ({
  state: outcome.state,
  exitCode: outcome.exitCode,
  oomKilled: outcome.oomKilled || undefined,
  message: outcome.message,
  endedAt: Date.now(),
  outputs: outcome.outputs,
  lost: outcome.lost,
  outputsKept: outcome.outputsKept && { ...outcome.outputsKept, target },
  usage: outcome.usage,
});
