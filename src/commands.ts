import * as vscode from 'vscode';
import { BUILD_COMMANDS } from './builds/buildCommands';
import { CONFIGURATION_COMMANDS } from './configurations/configurationCommands';
import { DAEMON_COMMANDS } from './daemons/daemonCommands';
import { RUN_COMMANDS } from './runs/runCommands';
import { DEBUG_COMMANDS } from './debug/debugCommands';
import { SHELL_COMMANDS } from './shell/shellCommands';
import { forgetRegistryConsents } from './configurations/registrySecrets';
import type { Services } from './services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tree nodes and palette calls pass different arguments
type CommandHandler = (s: Services, ...args: any[]) => unknown;

/** One registration table for commands: every id here is contributed in package.json, and vice versa (tested). */
export const COMMANDS: Record<string, CommandHandler> = {
  ...DAEMON_COMMANDS,
  ...CONFIGURATION_COMMANDS,
  ...BUILD_COMMANDS,
  ...RUN_COMMANDS,
  ...DEBUG_COMMANDS,
  ...SHELL_COMMANDS,
  'containerExec.showLog': (s) => s.log.show(),
  'containerExec.resetRegistryPasswordAnswers': async (s) =>
    void vscode.window.showInformationMessage(
      `Forgot ${await forgetRegistryConsents(s.context)} answer(s): workspace configurations will ask again before using a stored registry password.`,
    ),
};

export function registerCommands(s: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS))
    s.context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(s, ...args);
        } catch (e) {
          // a command that fails says why, in words, and the log keeps it
          s.log.error(`${id}: ${(e as Error).message}`);
          void vscode.window.showErrorMessage((e as Error).message);
          throw e;
        }
      }),
    );
}
