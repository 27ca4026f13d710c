import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { engineCallStats } from './core';
import { registerViews } from './views';

/** What activate() returns: used by the in-host tests and the activation benchmark. */
export interface ContainerExecApi {
  /** Duration of activate(), in ms. */
  readonly activationMs: number;
  /** Engine API calls made so far by this extension host. */
  engineCalls(): number;
}

export function activate(context: vscode.ExtensionContext): ContainerExecApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Container Exec', { log: true });
  context.subscriptions.push(log);
  const services = { context, log };
  registerViews(services);
  registerCommands(services);
  const activationMs = performance.now() - t0;
  log.info(`Container Exec ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, engineCalls: () => engineCallStats.calls };
}

export function deactivate(): void {
  // everything is in context.subscriptions
}
