import * as vscode from 'vscode';
import { pickConfiguration } from '../configurations/configurationCommands';
import type { RunNode } from '../runs/runsTree';
import type { Services } from '../services';
import { ConfigurationShell, RunShell } from './shellTerminal';

/** What the shell commands return (tests wait for `ended`). */
export interface ShellResult {
  terminal: vscode.Terminal;
  runId?: string;
  ended: Promise<string>;
  /** What the terminal showed so far (its last 64 KB). */
  output(): string;
  /** Characters handed to the terminal so far. */
  shown(): number;
}

export const SHELL_COMMANDS = {
  'containerExec.openShell': async (s: Services, node?: unknown): Promise<ShellResult | undefined> => {
    const name = typeof node === 'string' ? node : (await pickConfiguration(s, node, 'Configuration to open a shell in'))?.item.config.name;
    if (!name) return undefined;
    s.configurations.catalog.find(name, 'picked for Open Shell'); // an unknown name fails here, before a terminal opens
    const pty = new ConfigurationShell(s, name);
    const terminal = vscode.window.createTerminal({ name: `Shell: ${name}`, pty, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    return { terminal, runId: pty.runId, ended: pty.ended, output: () => pty.transcript.toString(), shown: () => pty.shownChars };
  },
  'containerExec.openShellInRun': (s: Services, arg?: unknown): ShellResult => {
    const id = typeof arg === 'string' ? arg : (arg as RunNode | undefined)?.record.id;
    const record = id ? s.runs.history.get(id) : undefined;
    if (!record) throw new Error('Pick a running run in the Runs view.');
    if (record.state !== 'running') throw new Error(`Run ${record.id} is ${record.state}: a shell opens in a running run's container.`);
    const pty = new RunShell(s, record);
    const terminal = vscode.window.createTerminal({ name: `Shell: run ${record.id}`, pty, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    return { terminal, runId: record.id, ended: pty.ended, output: () => pty.transcript.toString(), shown: () => pty.shownChars };
  },
};
