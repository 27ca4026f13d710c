import * as vscode from 'vscode';
import { BUILD_TASK_TYPE, BuildTaskProvider } from './builds/buildTask';
import { RUN_TASK_TYPE, RunTaskProvider } from './runs/runTask';
import type { Services } from './services';

/** One registration table for task providers. */
const TASK_PROVIDERS: Record<string, (s: Services) => vscode.TaskProvider> = {
  [BUILD_TASK_TYPE]: (s) => new BuildTaskProvider(s),
  [RUN_TASK_TYPE]: (s) => new RunTaskProvider(s),
};

export function registerTasks(s: Services): void {
  for (const [type, provider] of Object.entries(TASK_PROVIDERS)) s.context.subscriptions.push(vscode.tasks.registerTaskProvider(type, provider(s)));
}

/** Executes a task; resolves with its exit code when it ends (commands and tests wait for it). */
export async function executeToEnd(task: vscode.Task): Promise<number | undefined> {
  // listening before the task starts: a task that fails at once may end before executeTask resolves
  const started: { execution?: vscode.TaskExecution } = {};
  const runId = (task.definition as { runId?: string }).runId;
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === started.execution || (runId && e.execution.task.definition.runId === runId)) {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
  started.execution = await vscode.tasks.executeTask(task);
  return ended;
}
