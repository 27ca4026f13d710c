import * as vscode from 'vscode';
import { rawConfigurations, writeConfigurations } from '../configurations/configurationSources';

/**
 * Turns a boolean build option on in the configuration's entry, in place in the settings scope it is
 * written in (Add debugpy / Add Jupyter Kernel Support and Rebuild), then builds its base image.
 * `without` ends the message for a configuration that is not in the settings (the local default).
 */
export async function enableBuildOptionAndRebuild(name: string, option: 'debugpy' | 'jupyter', without: string): Promise<void> {
  for (const scope of ['workspace', 'user'] as const) {
    const raw = rawConfigurations(scope);
    if (!Array.isArray(raw)) continue;
    const at = raw.findIndex((c) => (c as { name?: unknown })?.name === name);
    if (at < 0) continue;
    const entry = raw[at] as { build?: Record<string, unknown> };
    await writeConfigurations(
      scope,
      raw.map((c, i) => (i === at ? { ...entry, build: { ...entry.build, [option]: true } } : c)),
    );
    await vscode.commands.executeCommand('containerExec.buildBaseImage', name);
    return;
  }
  void vscode.window.showErrorMessage(
    `Configuration ${name} is not in your settings (the local default has no build options): ${without}.`,
  );
}
