import * as vscode from 'vscode';
import { BUILD_COMMANDS } from './builds/buildCommands';
import { CONFIGURATION_COMMANDS } from './configurations/configurationCommands';
import { DAEMON_COMMANDS } from './daemons/daemonCommands';
import { RUN_COMMANDS } from './runs/runCommands';
import { DEBUG_COMMANDS } from './debug/debugCommands';
import { SHELL_COMMANDS } from './shell/shellCommands';
import { SWEEP_COMMANDS } from './sweeps/sweepCommands';
import { NOTEBOOK_COMMANDS } from './notebook/notebookCommands';
import { forgetRegistryConsents } from './configurations/registrySecrets';
import type { Services } from './services';
import { runCommand, type CommandHandler } from './commandErrors';
import { openWalkthrough } from './walkthrough';

/** One registration table for commands: every id here is contributed in package.json, and vice versa (tested). */
export const COMMANDS: Record<string, CommandHandler> = {
  ...DAEMON_COMMANDS,
  ...CONFIGURATION_COMMANDS,
  ...BUILD_COMMANDS,
  ...RUN_COMMANDS,
  ...DEBUG_COMMANDS,
  ...SHELL_COMMANDS,
  ...SWEEP_COMMANDS,
  ...NOTEBOOK_COMMANDS,
  'containerExec.showLog': (s) => s.log.show(),
  'containerExec.getStarted': (s) => openWalkthrough(s),
  'containerExec.resetRegistryPasswordAnswers': async (s) =>
    void vscode.window.showInformationMessage(
      `Forgot ${await forgetRegistryConsents(s.context)} answer(s): workspace configurations will ask again before using a stored registry password.`,
    ),
};

export function registerCommands(s: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS))
    s.context.subscriptions.push(
      // a failing command is logged, shown with Retry / Edit / Show Log, and resolves (commandErrors.ts)
      vscode.commands.registerCommand(id, (...args: unknown[]) => runCommand(s, id, handler, args)),
    );
}
