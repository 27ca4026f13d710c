import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  newRunId,
  prepareRunFolder,
  recipeInWorkspace,
  runRecipe,
  targetOf,
  formatBytes,
  pacingAt,
  usageSummaryText,
  type Configuration,
  type ExecutionBackend,
  type RunHooks,
  type RunTarget,
  type RunOutcome,
} from '../core';
import { extensionVersion } from '../workspace';
import { containerRequest, launchImage, launchWorkspace, openLaunchBackend, terminalBytesPerSecond } from '../launch/launchPreparation';
import type { Services } from '../services';
import { settings } from '../settings';
import { C, TaskTerminal } from '../taskTerminal';
import { endedRecord, type RunRecord } from './runHistory';
import { chooseRunConfiguration } from './runConfiguration';
import { recipeRunTerminal, type TerminalRunKind } from './terminalKind';

export const RUN_TASK_TYPE = 'container-exec-run';
/** What run.log may hold unwritten before the output's reading waits for it. */
const LOG_BUFFER_BYTES = 1024 * 1024;

export interface RunTaskDefinition extends vscode.TaskDefinition {
  type: typeof RUN_TASK_TYPE;
  /** Workspace-relative or absolute path of the recipe. */
  recipe: string;
  configuration?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Set by the commands (one task per run: several runs of a recipe can go on at once). */
  runId?: string;
}

export function runTask(s: Services, def: RunTaskDefinition, kind: TerminalRunKind = recipeRunTerminal): vscode.Task {
  const task = new vscode.Task(
    def,
    vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Global,
    `${kind.verb} ${path.basename(def.recipe)}${def.configuration ? ` on ${def.configuration}` : ''}${def.runId ? ` (${def.runId})` : ''}`,
    'Container Exec',
    new vscode.CustomExecution(async (resolved) => new RunTerminal(s, resolved as RunTaskDefinition, kind)),
  );
  // shared: runs going on at once get terminals of their own, finished ones are reused; a kind may show elsewhere (Debug Console)
  task.presentationOptions = {
    reveal: kind.reveal ? vscode.TaskRevealKind.Always : vscode.TaskRevealKind.Never,
    panel: vscode.TaskPanelKind.Shared,
    clear: true,
  };
  return task;
}

export class RunTaskProvider implements vscode.TaskProvider {
  constructor(private readonly s: Services) {}
  /** Run tasks are written in tasks.json or started by the commands: none to detect. */
  provideTasks(): vscode.Task[] {
    return [];
  }
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as RunTaskDefinition;
    return def.recipe ? runTask(this.s, def) : undefined;
  }
}

/** What run terminals show, for the in-host tests (through the extension's API). */
let terminalWrites: vscode.EventEmitter<{ runId: string; text: string }> | undefined;
/** Made at first use: the bundle must load without VS Code (the core test loads it in plain node). */
export const runTerminalWrites = () => (terminalWrites ??= new vscode.EventEmitter<{ runId: string; text: string }>());

/** The task's exit code: the recipe's own, 137 when OOM-killed, 130 when cancelled, 1 when the run could not start. */
const exitCodeOf = (o: RunOutcome) => (o.state === 'succeeded' ? 0 : o.state === 'cancelled' ? 130 : o.oomKilled ? 137 : o.exitCode || 1);

/**
 * One run in a task terminal: recipe output as it comes (stderr in red), each step dimmed, a summary;
 * the same in <run folder>/run.log; the run record in the Runs view from before the container exists.
 * The terminal shows output at most containerExec.terminalMaxMBps (beyond it, a note of what only
 * run.log has, then the latest lines); run.log gets every byte.
 */
class RunTerminal extends TaskTerminal {
  private runId: string;
  constructor(
    private readonly s: Services,
    private readonly def: RunTaskDefinition,
    private readonly kind: TerminalRunKind,
  ) {
    super();
    this.runId = def.runId ?? newRunId();
    this.onDidWrite((text) => runTerminalWrites().fire({ runId: this.runId, text }));
  }

  /** A run that cannot start (no folder, no such configuration, a bad daemon entry) ends as a failed build does. */
  protected async run(): Promise<number> {
    try {
      return await this.runOnce();
    } catch (e) {
      this.s.log.error(`[run ${this.runId}] ${(e as Error).message}`);
      this.kind.onEnded?.(this.s.runs.history.get(this.runId), undefined, e as Error);
      return this.failed(e);
    }
  }

  private async runOnce(): Promise<number> {
    const { s, def } = this;
    const rate = terminalBytesPerSecond();
    if (rate.bytesPerSecond !== Infinity)
      this.pace(rate.bytesPerSecond, (bytes) => `${C.dim}${C.yellow}… ${formatBytes(bytes)} more in run.log — Show Run Logs${C.reset}`);
    if (rate.warning) this.line(`${C.yellow}${rate.warning}${C.reset}`);
    const ws = launchWorkspace('a run uploads the workspace folder its recipe is in');
    const recipe = recipeInWorkspace(path.resolve(ws, def.recipe), ws);
    const { config, chosenBy } = chooseRunConfiguration(s.configurations.catalog, recipe, def.configuration);
    const target = targetOf(config);
    const backend = await openLaunchBackend(s, config);
    // disposed on every path from here: a pool back-end holds its daemons' event streams
    try {
      return await this.runOn(backend, { ws, recipe, config, chosenBy, target, rate });
    } finally {
      backend.dispose();
    }
  }

  /** The run on its opened back-end: record, run folder and log, the driver, the summary. */
  private async runOn(
    backend: ExecutionBackend,
    chosen: ReturnType<typeof chooseRunConfiguration> & {
      ws: string;
      recipe: string;
      target: RunTarget;
      rate: ReturnType<typeof terminalBytesPerSecond>;
    },
  ): Promise<number> {
    const { s, def, kind } = this;
    const { ws, recipe, config, chosenBy, target, rate } = chosen;
    const image = await launchImage(s, config);
    kind.onChosen?.(recipe, config.name, image);
    const id = this.runId;
    // a tasks.json runId and a committed .container-exec symlink are checked before anything is written
    const folder = await prepareRunFolder(ws, id);
    // appended to (O_APPEND): the output worker appends the recipe's output to it meanwhile
    const log = createWriteStream(path.join(folder, 'run.log'), { flags: 'a', highWaterMark: LOG_BUFFER_BYTES });
    // run.log behind (a slow disk, a busy host): the output's reading waits for it, so the container's
    // writes block rather than tens of MB piling up in the host (their garbage collection stalls it)
    let drained: Promise<unknown> | undefined;
    const logBehind = () => (drained ??= once(log, 'drain').finally(() => (drained = undefined)));
    let record: RunRecord = {
      id,
      ...(kind.recordKind ? { kind: kind.recordKind } : {}),
      recipe,
      configuration: config.name,
      chosenBy,
      target,
      image,
      args: def.args ?? [],
      env: def.env ?? {},
      state: 'running',
      startedAt: Date.now(),
      logFile: path.join(folder, 'run.log'),
    };
    const update = (patch: Partial<RunRecord>) => s.runs.history.put((record = { ...record, ...patch }));
    await update({});
    s.runs.started(id, this.abort);
    if (s.runs.history.all().some((r) => r.lost && r.target.kind === target.kind && r.target.id === target.id))
      void s.runs.offerLostRunCleanup(target);
    this.line(
      `${C.bold}Run ${id}${C.reset}: ${recipe} on ${C.bold}${config.name}${C.reset} (${chosenBy}) · ${backend.description} · ${image}`,
    );
    s.log.info(`[run ${id}] ${recipe} on ${config.name} (${chosenBy}), daemon ${config.daemon}, image ${image}`);
    const output = { bytes: 0, firstAt: 0, lastAt: 0 };
    try {
      const outcome = await runRecipe(
        backend,
        {
          id,
          recipe,
          args: def.args,
          env: def.env,
          ...(await containerRequest(s, config, ws, folder)),
          image,
          uploadWarnBytes: (settings().get<number>('uploadWarnMB') ?? 100) * 1e6,
          keepContainer: settings().get<boolean>('keepContainers') ?? false,
          graceSeconds: settings().get<number>('stopGraceSeconds') ?? 10,
          extensionVersion: extensionVersion(s.context),
          kind: kind.kind,
        },
        this.runHooks(backend, { id, folder, rate, output, log, logBehind, update }),
      );
      const code = await this.ended(outcome, { ws, config, chosenBy, target, output, update, record: () => record });
      kind.onEnded?.(record, outcome);
      return code;
    } catch (e) {
      // runRecipe never throws: this is the set-up around it (secret storage, a bad daemon entry); the record must not stay "running"
      await update({ state: 'failed', message: (e as Error).message, endedAt: Date.now() });
      throw e;
    } finally {
      s.runs.ended(id);
      log.end();
    }
  }

  /** What the driver tells the terminal: output to the terminal, run.log and the kind's hooks; steps and warnings; the record's changes. */
  private runHooks(
    backend: ExecutionBackend,
    o: {
      id: string;
      folder: string;
      rate: ReturnType<typeof terminalBytesPerSecond>;
      output: { bytes: number; firstAt: number; lastAt: number };
      log: WriteStream;
      logBehind: () => Promise<unknown>;
      update: (patch: Partial<RunRecord>) => Promise<void>;
    },
  ): RunHooks {
    const { s, kind } = this;
    const { id, folder, rate, output, log, logBehind, update } = o;
    return {
      signal: this.abort.signal,
      // off the host's thread: a worker reads the output, writes run.log and paces the terminal; a kind
      // that wants every byte here (a debug session's Debug Console) reads here
      offThread: kind.offThread
        ? {
            logFile: path.join(folder, 'run.log'),
            terminal: pacingAt(rate.bytesPerSecond),
            onPaced: (pieces) => this.writePaced(pieces),
            onProgress: (p) => Object.assign(output, p),
          }
        : undefined,
      onOutput: (chunk, stream) => {
        output.firstAt ||= Date.now();
        output.lastAt = Date.now();
        output.bytes += chunk.length;
        this.writeBytes(chunk, stream);
        kind.onOutput?.(chunk, stream);
        if (!log.write(chunk)) return logBehind();
      },
      onStatus: (text) => {
        kind.onStatus?.(text);
        log.write(`[container-exec] ${text}\n`);
        this.line(`${C.dim}${text}${C.reset}`);
        s.log.info(`[run ${id}] ${text}`);
      },
      onWarning: (text) => {
        log.write(`[container-exec] warning: ${text}\n`);
        this.line(`${C.yellow}${text}${C.reset}`);
        s.log.warn(`[run ${id}] ${text}`);
        void vscode.window.showWarningMessage(text);
      },
      onContainer: (containerId) => void update({ containerId, placement: backend.placement }),
      onQueued: (reason) => {
        void update(reason ? { state: 'queued', message: reason } : { state: 'running', message: undefined, placement: backend.placement });
        if (reason) this.line(`${C.dim}${reason}${C.reset}`);
      },
      onUsage: (sample, summary) => s.runs.usage.add(id, sample, summary),
      onStarted: (run) => {
        // a swarm run's node is known once its task landed: the record names its daemon (outputs are fetched there)
        if (backend.placement) void update({ placement: backend.placement });
        kind.onStarted?.(run);
      },
    };
  }

  /** The record's final state and the terminal's summary; the task's exit code. */
  private async ended(
    outcome: RunOutcome,
    o: {
      ws: string;
      config: Configuration;
      chosenBy: RunRecord['chosenBy'];
      target: RunTarget;
      output: { bytes: number; firstAt: number; lastAt: number };
      update: (patch: Partial<RunRecord>) => Promise<void>;
      record: () => RunRecord;
    },
  ): Promise<number> {
    const { s } = this;
    const { ws, config, chosenBy, target, output, update } = o;
    const id = this.runId;
    const outputsKept = outcome.outputsKept && { ...outcome.outputsKept, target };
    await update({ ...endedRecord(outcome, target), outputBytes: output.bytes, outputMs: output.lastAt - output.firstAt });
    const seconds = ((o.record().endedAt! - o.record().startedAt) / 1000).toFixed(1);
    const outputs = `${output.bytes > 1e6 ? ` · ${(output.bytes / 1e6).toFixed(1)} MB of output` : ''}${outcome.outputs ? ` · outputs in ${path.relative(ws, outcome.outputs)}` : ''}${outputsKept ? ` · the rest still in container ${outputsKept.container} (Fetch Run Outputs)` : ''}${outcome.usage ? ` · ${usageSummaryText(outcome.usage)}` : ''}`;
    let code = 0;
    if (outcome.state === 'succeeded') this.line(`${C.green}Run succeeded in ${seconds} s${outputs}${C.reset}`);
    else {
      code = this.failed(`Run ${outcome.state} after ${seconds} s: ${outcome.message}${outputs}`, exitCodeOf(outcome));
      s.log.error(`[run ${id}] ${outcome.state}: ${outcome.message}`);
      if (outcome.failure === 'image-missing' && chosenBy !== 'local default') void this.offerBuild(config.name, outcome.message);
    }
    return code;
  }

  private async offerBuild(configuration: string, message: string): Promise<void> {
    if ((await vscode.window.showErrorMessage(message, 'Build Base Image')) === 'Build Base Image')
      await vscode.commands.executeCommand('containerExec.buildBaseImage', configuration);
  }
}
