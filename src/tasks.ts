import * as vscode from 'vscode';
import { BUILD_TASK_TYPE, BuildTaskProvider } from './builds/buildTask';
import type { Services } from './services';

/** One registration table for task providers. */
const TASK_PROVIDERS: Record<string, (s: Services) => vscode.TaskProvider> = {
  [BUILD_TASK_TYPE]: (s) => new BuildTaskProvider(s),
};

export function registerTasks(s: Services): void {
  for (const [type, provider] of Object.entries(TASK_PROVIDERS)) s.context.subscriptions.push(vscode.tasks.registerTaskProvider(type, provider(s)));
}
