import * as vscode from 'vscode';
import { BUILD_TASK_TYPE, BuildTaskProvider } from './builds/buildTask';
import { RUN_TASK_TYPE, RunTaskProvider } from './runs/runTask';
import type { Services } from './services';
import { SWEEP_TASK_TYPE, SweepTaskProvider } from './sweeps/sweepTask';

/** One registration table for task providers. */
const TASK_PROVIDERS: Record<string, (s: Services) => vscode.TaskProvider> = {
  [BUILD_TASK_TYPE]: (s) => new BuildTaskProvider(s),
  [RUN_TASK_TYPE]: (s) => new RunTaskProvider(s),
  [SWEEP_TASK_TYPE]: (s) => new SweepTaskProvider(s),
};

export function registerTasks(s: Services): void {
  for (const [type, provider] of Object.entries(TASK_PROVIDERS))
    s.context.subscriptions.push(vscode.tasks.registerTaskProvider(type, provider(s)));
}

/** Executes a task; resolves with its exit code when it ends (commands and tests wait for it). */
export async function executeToEnd(task: vscode.Task): Promise<number | undefined> {
  // listening before the task starts: one that fails at once may end before executeTask resolves, and
  // is then known by its definition (VS Code runs one task of a definition at a time; runs carry an id)
  const definition = JSON.stringify(task.definition);
  const started: { execution?: vscode.TaskExecution } = {};
  let sub: vscode.Disposable | undefined;
  const ended = new Promise<number | undefined>((resolve) => {
    sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === started.execution || (!started.execution && JSON.stringify(e.execution.task.definition) === definition)) {
        sub?.dispose();
        resolve(e.exitCode);
      }
    });
  });
  try {
    started.execution = await vscode.tasks.executeTask(task);
  } catch (e) {
    sub?.dispose();
    throw e;
  }
  return ended;
}
