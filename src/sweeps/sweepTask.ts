import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';
import { C, TaskTerminal } from '../taskTerminal';
import { runSweepFile, type SweepDone } from './sweepRunner';
import { sweepTables } from './sweepTablePanel';

export const SWEEP_TASK_TYPE = 'container-exec-sweep';

export interface SweepTaskDefinition extends vscode.TaskDefinition {
  type: typeof SWEEP_TASK_TYPE;
  /** The sweep file (*.sweep.json), workspace-relative or absolute. */
  file: string;
}

/** Sweeps that ended in this window by task (tests and the command read their results). */
const finished = new Map<string, SweepDone>();
export const lastSweepOf = (file: string) => finished.get(file);

export function sweepTask(s: Services, def: SweepTaskDefinition): vscode.Task {
  const task = new vscode.Task(
    def,
    vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Global,
    `Sweep ${path.basename(def.file)}`,
    'Container Exec',
    new vscode.CustomExecution(async (resolved) => new SweepTerminal(s, resolved as SweepTaskDefinition)),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  return task;
}

export class SweepTaskProvider implements vscode.TaskProvider {
  constructor(private readonly s: Services) {}
  /** Sweep tasks are written in tasks.json or started by Run Sweep…: none to detect. */
  provideTasks(): vscode.Task[] {
    return [];
  }
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as SweepTaskDefinition;
    return def.file ? sweepTask(this.s, def) : undefined;
  }
}

/** A sweep in a task terminal: a line per trial, the summary, the results opened; Ctrl+C cancels the sweep. */
class SweepTerminal extends TaskTerminal {
  constructor(
    private readonly s: Services,
    private readonly def: SweepTaskDefinition,
  ) {
    super();
  }

  protected async run(): Promise<number> {
    const done = await runSweepFile(this.s, this.def.file, {
      signal: this.abort.signal,
      line: (text) => this.line(text),
      confirm: async (text) => (await vscode.window.showWarningMessage(text, { modal: true }, 'Run All')) === 'Run All',
      onStarted: (sweepId) => sweepTables.open(this.s, sweepId),
    });
    if (!done) return this.failed('Not run: too many trials.', 1);
    finished.set(this.def.file, done);
    if (done.result.state === 'succeeded') {
      this.line(`${C.green}${done.result.message}${C.reset}`);
      return 0;
    }
    return this.failed(done.result.message, done.result.state === 'cancelled' ? 130 : 1);
  }
}
