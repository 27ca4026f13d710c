import * as vscode from 'vscode';
import { createDaemonClient, localDaemonFromEnvironment, type DaemonVersion } from './core';
import type { Services } from './services';

type CommandHandler = (s: Services, ...args: unknown[]) => unknown;

/** Pings the local daemon (DOCKER_HOST or the platform socket) with progress and Cancel. */
async function checkLocalDaemon(s: Services): Promise<(DaemonVersion & { roundTripMs: number }) | undefined> {
  const client = createDaemonClient(localDaemonFromEnvironment());
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Container Exec: checking ${client.host}`, cancellable: true },
      async (_p, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          const { roundTripMs } = await client.ping({ signal: abort.signal });
          const v = await client.version({ signal: abort.signal });
          const text = `Local daemon ${client.host}: Docker ${v.version} (API ${v.apiVersion}, ${v.os}/${v.arch}), ${roundTripMs.toFixed(1)} ms`;
          s.log.info(text);
          void vscode.window.showInformationMessage(text);
          return { ...v, roundTripMs };
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    s.log.error(`Check Local Daemon: ${text}`);
    void vscode.window.showErrorMessage(text, 'Show Log').then((a) => a && s.log.show());
    return undefined;
  } finally {
    client.dispose();
  }
}

/** One registration table for commands: every id here is contributed in package.json, and vice versa (tested). */
export const COMMANDS: Record<string, CommandHandler> = {
  'containerExec.checkLocalDaemon': checkLocalDaemon,
  'containerExec.showLog': (s) => s.log.show(),
};

export function registerCommands(s: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS))
    s.context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => handler(s, ...args)));
}
