import { createWriteStream, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  KernelStartError,
  newRunId,
  prepareRunFolder,
  startKernel,
  targetOf,
  type Configuration,
  type ExecutionBackend,
  type KernelSession,
  type RunHooks,
  type RunOutcome,
} from '../core';
import { containerRequest, launchImage, openLaunchBackend, terminalBytesPerSecond } from '../launch/launchPreparation';
import { endedRecord, type RunRecord } from '../runs/runHistory';
import type { ChosenBy } from '../runs/runConfiguration';
import type { Services } from '../services';
import { settings } from '../settings';
import { extensionVersion } from '../workspace';
import { CellOutputs } from './cellOutputs';

/** What a kernel is started with: the notebook, its configuration and how it was chosen, the workspace. */
export interface KernelLaunch {
  notebook: vscode.NotebookDocument;
  config: Configuration;
  chosenBy: ChosenBy;
  /** The workspace folder (uploaded) and the notebook's folder in it (posix, the kernel's working directory). */
  ws: string;
  notebookFolder: string;
  /** The notebook's workspace-relative path, the Runs view row's title. */
  notebookPath: string;
}

/** How long a cancelled cell waits for the kernel's KeyboardInterrupt before it is ended without it. */
const INTERRUPT_DEADLINE_MS = 5000;

/** A start that failed for want of ipykernel in the image (the core's reason; its message says so too). */
export const isNoIpykernel = (e: Error) =>
  (e instanceof KernelStartError && e.reason === 'no-ipykernel') || /has no ipykernel/i.test(e.message);

/**
 * A notebook's kernel: one run of kind `kernel` (one container, its record in the Runs view), started on
 * the first execution. Cells run one after the other; a cell that does not end `ok` (an error, an
 * interrupt, the kernel gone) leaves the cells queued after it unrun, as Jupyter does.
 */
export class NotebookKernel {
  readonly runId = newRunId();
  private session: KernelSession | undefined;
  private starting: Promise<KernelSession> | undefined;
  private readonly abort = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private readonly queued = new Set<vscode.NotebookCellExecution>();
  private record: RunRecord | undefined;
  private log: WriteStream | undefined;
  private backend: ExecutionBackend | undefined;
  private ending: Promise<void> | undefined;
  private running = 0;
  private lastActive = Date.now();
  /** Why the kernel is gone (dead, shut down), once it is. */
  endedWhy: string | undefined;

  constructor(
    private readonly s: Services,
    readonly launch: KernelLaunch,
    private readonly controller: vscode.NotebookController,
    private readonly hooks: {
      onDead(kernel: NotebookKernel, why: string): void;
      onStartFailed(kernel: NotebookKernel, error: Error): void;
      onEnded(kernel: NotebookKernel): void;
    },
  ) {
    // Stop in the Runs view aborts this: the kernel shuts down as a run does
    this.abort.signal.addEventListener('abort', () => void (this.endedWhy ?? this.shutdown('Stopped from the Runs view.')));
  }

  get configuration(): string {
    return this.launch.config.name;
  }
  get state(): string {
    return this.endedWhy ? 'ended' : (this.session?.state ?? (this.starting ? 'starting' : 'not started'));
  }
  /** Ms since the last cell ended, 0 while one runs. */
  idleMs(): number {
    return this.running || this.queued.size ? 0 : Date.now() - this.lastActive;
  }

  /** Queues the cells (each shows as pending at once) and runs them in order. */
  execute(cells: readonly vscode.NotebookCell[]): Promise<void> {
    for (const cell of cells) {
      const execution = this.controller.createNotebookCellExecution(cell);
      this.queued.add(execution);
      this.queue = this.queue.then(() => this.runCell(execution));
    }
    return this.queue;
  }

  private async runCell(execution: vscode.NotebookCellExecution): Promise<void> {
    if (!this.queued.delete(execution)) return; // left unrun: an earlier cell did not end ok
    execution.start(Date.now());
    await execution.clearOutput();
    if (execution.token.isCancellationRequested) return execution.end(undefined, Date.now());
    const outputs = this.outputsOf(execution);
    const ok = await this.runOn(execution, outputs).catch(async (e: Error) => {
      await execution.replaceOutput(
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: 'Container Exec', message: e.message })]),
      );
      return false;
    });
    this.lastActive = Date.now();
    execution.end(ok, Date.now());
    if (ok !== true) this.skipQueued();
  }

  /** The cell on the kernel (started first if need be); true: ok, false: error or ended, undefined: aborted. */
  private async runOn(execution: vscode.NotebookCellExecution, outputs: CellOutputs): Promise<boolean | undefined> {
    const session = await this.sessionFor(execution);
    // cancelling interrupts the kernel (the cell ends with its KeyboardInterrupt); a kernel that does not
    // answer the interrupt has the cell ended by the session instead
    const cancel = new AbortController();
    let deadline: NodeJS.Timeout | undefined;
    const sub = execution.token.onCancellationRequested(() => {
      void session.interrupt().catch(() => cancel.abort());
      deadline = setTimeout(() => cancel.abort(), INTERRUPT_DEADLINE_MS);
    });
    this.running++;
    try {
      const result = await session.execute(
        execution.cell.document.getText(),
        { onOutput: (msg) => outputs.handle(msg), onInput: (prompt, password) => askInput(prompt, password) },
        cancel.signal,
      );
      const order = result.executionCount ?? outputs.executionCount;
      if (order !== undefined) execution.executionOrder = order;
      if (result.status === 'ended') outputs.note(`\n${result.reason ?? 'The kernel ended before the cell did.'}\n`);
      await outputs.finish();
      return result.status === 'ok' ? true : result.status === 'aborted' ? undefined : false;
    } finally {
      clearTimeout(deadline);
      this.running--;
      sub.dispose();
    }
  }

  /** The cells still queued end unrun (shown without a result, as Jupyter's aborted cells). */
  private skipQueued(): void {
    for (const execution of this.queued) {
      execution.start(Date.now());
      execution.end(undefined, Date.now());
    }
    this.queued.clear();
  }

  private outputsOf(execution: vscode.NotebookCellExecution): CellOutputs {
    return new CellOutputs(execution, {
      bytesPerSecond: terminalBytesPerSecond().bytesPerSecond,
      log: (text) => this.writeLog(text),
      logName: `run.log of kernel run ${this.runId} (Show Run Logs)`,
      updateElsewhere: (id, items) => this.updateElsewhere(execution.cell, id, items),
    });
  }

  /** update_display_data of a display in another cell: that cell's output replaced through a short execution of it. */
  private async updateElsewhere(from: vscode.NotebookCell, id: string, items: vscode.NotebookCellOutputItem[]): Promise<void> {
    for (const cell of this.launch.notebook.getCells()) {
      if (cell === from) continue;
      const outputs = cell.outputs.filter((o) => (o.metadata?.transient as { display_id?: unknown } | undefined)?.display_id === id);
      if (!outputs.length) continue;
      const summary = cell.executionSummary;
      try {
        const execution = this.controller.createNotebookCellExecution(cell);
        execution.executionOrder = summary?.executionOrder;
        execution.start(summary?.timing?.startTime);
        for (const output of outputs) await execution.replaceOutputItems(items, output);
        execution.end(summary?.success, summary?.timing?.endTime);
      } catch {
        // the cell is queued or running: its own execution shows the display when it runs
      }
    }
  }

  private sessionFor(execution: vscode.NotebookCellExecution): Promise<KernelSession> {
    if (this.endedWhy) return Promise.reject(new Error(`The kernel of this notebook ended: ${this.endedWhy}`));
    if (this.session) return Promise.resolve(this.session);
    return (this.starting ??= this.start(startStatus(execution)).finally(() => (this.starting = undefined)));
  }

  /** The container and the kernel in it, its record in the Runs view, its run.log. */
  private async start(status: (text: string | undefined) => Promise<void>): Promise<KernelSession> {
    const { s, launch } = this;
    const { config, ws } = launch;
    try {
      await status(`Opening ${config.name}'s target`);
      const backend = (this.backend = await openLaunchBackend(s, config));
      const image = await launchImage(s, config);
      const folder = await prepareRunFolder(ws, this.runId);
      await this.begin(folder, image, backend.description);
      const session = await startKernel(
        backend,
        {
          id: this.runId,
          ...(await containerRequest(s, config, ws, folder)),
          image,
          graceSeconds: settings().get<number>('stopGraceSeconds') ?? 10,
          extensionVersion: extensionVersion(s.context),
          notebookFolder: launch.notebookFolder,
        },
        this.runHooks(backend, status),
      );
      this.session = session;
      session.onDidChangeState((state, why) => {
        this.logLine(`kernel ${state}${why ? `: ${why}` : ''}`);
        if (state === 'dead') this.hooks.onDead(this, why ?? 'The kernel process ended.');
      });
      this.logLine('kernel started');
      return session;
    } catch (e) {
      // every path out of a failed start closes what it opened and ends the record
      const cancelled = this.abort.signal.aborted;
      await this.ended({ state: cancelled ? 'cancelled' : 'failed', message: (e as Error).message, oomKilled: false });
      if (!cancelled) this.hooks.onStartFailed(this, e as Error);
      throw e;
    } finally {
      await status(undefined);
    }
  }

  /** The run.log and the Runs view's row (running: Stop and Open Shell in Run work on it). */
  private async begin(folder: string, image: string, where: string): Promise<void> {
    const { s, launch } = this;
    this.log = createWriteStream(path.join(folder, 'run.log'), { flags: 'a' });
    this.record = {
      id: this.runId,
      kind: 'kernel',
      recipe: launch.notebookPath,
      configuration: launch.config.name,
      chosenBy: launch.chosenBy,
      target: targetOf(launch.config),
      image,
      args: [],
      env: {},
      state: 'running',
      startedAt: Date.now(),
      logFile: path.join(folder, 'run.log'),
    };
    await s.runs.history.put(this.record);
    s.runs.started(this.runId, this.abort);
    this.logLine(`Kernel ${this.runId}: ${launch.notebookPath} on ${launch.config.name} (${launch.chosenBy}) · ${where} · ${image}`);
  }

  private runHooks(backend: ExecutionBackend, status: (text: string) => Promise<void>): RunHooks {
    const { s } = this;
    return {
      signal: this.abort.signal,
      onOutput: (chunk) => this.writeLog(chunk),
      onStatus: (text) => {
        this.logLine(text);
        void status(text);
      },
      onWarning: (text) => {
        this.logLine(`warning: ${text}`);
        s.log.warn(`[kernel ${this.runId}] ${text}`);
        void vscode.window.showWarningMessage(text);
      },
      onContainer: (containerId) => void this.update({ containerId, placement: backend.placement }),
      onQueued: (reason) => void this.update(reason ? { state: 'queued', message: reason } : { state: 'running', message: undefined }),
      onStarted: () => void (backend.placement && this.update({ placement: backend.placement })),
      // the Runs row shows the kernel's CPU and memory as a run's
      onUsage: (sample, summary) => s.runs.usage.add(this.runId, sample, summary),
    };
  }

  /** run.log, while it is open (the session may still report after the kernel's end closed it). */
  private writeLog(chunk: string | Buffer): void {
    if (this.log && !this.log.writableEnded) this.log.write(chunk);
  }

  private logLine(text: string): void {
    this.writeLog(`[container-exec] ${text}\n`);
    this.s.log.info(`[kernel ${this.runId}] ${text}`);
  }

  private async update(patch: Partial<RunRecord>): Promise<void> {
    if (!this.record) return;
    this.record = { ...this.record, ...patch };
    await this.s.runs.history.put(this.record);
  }

  async interrupt(): Promise<void> {
    if (!this.session) throw new Error('The kernel of this notebook has not started: nothing to interrupt.');
    await this.session.interrupt();
  }

  async restart(): Promise<void> {
    if (!this.session) throw new Error('The kernel of this notebook has not started: run a cell to start it.');
    this.skipQueued();
    await this.session.restart();
    this.logLine('kernel restarted');
  }

  /** Ends the kernel and its container as a run ends (out/ fetched, container removed); the record says `why`. */
  shutdown(why: string): Promise<void> {
    return (this.ending ??= this.shutdownOnce(why));
  }

  private async shutdownOnce(why: string): Promise<void> {
    this.endedWhy = why;
    this.skipQueued();
    this.logLine(`shutting down: ${why}`);
    if (!this.session && !this.abort.signal.aborted) this.abort.abort(); // cancels the start
    const session = this.session ?? (await this.starting?.catch(() => undefined));
    if (!session) return; // the start was cancelled: its record ended there
    const outcome = await session.shutdown().catch((e: Error): RunOutcome => ({ state: 'failed', message: e.message, oomKilled: false }));
    await this.ended({ ...outcome, message: `${why} ${outcome.message}`.trim() });
  }

  /** The record's final state; the back-end and the log closed. */
  private async ended(outcome: RunOutcome): Promise<void> {
    if (this.record) await this.update(endedRecord(outcome, this.record.target));
    this.endedWhy ??= outcome.message;
    this.s.runs.ended(this.runId);
    this.logLine(`ended: ${outcome.state}: ${outcome.message}`);
    this.log?.end();
    this.backend?.dispose();
    this.backend = undefined;
    this.hooks.onEnded(this);
  }
}

/** The first cell shows the kernel's start as it goes (one output, replaced; removed once it started). */
function startStatus(execution: vscode.NotebookCellExecution): (text: string | undefined) => Promise<void> {
  let chain: Thenable<void> = Promise.resolve();
  return (text) =>
    (chain = chain.then(() =>
      text === undefined
        ? execution.clearOutput()
        : execution.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(`Starting the kernel: ${text}…`)])),
    )) as Promise<void>;
}

/** input() / getpass() in a cell: an input box (masked for a password); Escape interrupts the cell. */
async function askInput(prompt: string, password: boolean): Promise<string> {
  const answer = await vscode.window.showInputBox({ prompt: prompt || 'Input for the running cell', password, ignoreFocusOut: true });
  if (answer === undefined) throw new Error('No input given: the cell is interrupted.');
  return answer;
}
