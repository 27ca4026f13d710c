import * as vscode from 'vscode';
import { z } from 'zod';
import { DEFAULT_OUTPUT_PATH, targetOf, type Configuration, type ExecutionBackend, type PullDaemon } from '../core';
import { basePlan } from '../builds/basePlan';
import { registryAuthFor } from '../configurations/registrySecrets';
import { recipeInterpreters } from '../runs/runConfiguration';
import type { Services } from '../services';
import { settings } from '../settings';
import { workspaceDir } from '../workspace';

/**
 * What every kind of run (a run, a debug session, a shell) goes through before the driver: the workspace
 * folder, the configuration's back-end, its image, and what its containers get from the settings.
 */

/** The workspace folder a launch uploads; without one there is nothing sensible to send (`why` ends the message). */
export function launchWorkspace(why: string): string {
  if (!vscode.workspace.workspaceFolders?.length) throw new Error(`Open a folder first: ${why}.`);
  return workspaceDir();
}

/** The configuration's back-end, opened: the caller disposes it (a pool back-end holds its daemons' event streams). */
export function openLaunchBackend(s: Services, config: Configuration): Promise<ExecutionBackend> {
  return s.runs.backends.open(targetOf(config), {
    context: `configuration ${config.name}`,
    hint: 'Add it in the Daemons view, or pick another configuration.',
  });
}

/** The image the configuration's containers run (its base image plan's tag). */
export const launchImage = async (s: Services, config: Configuration): Promise<string> => (await basePlan(s.context, config)).tag;

/** containerExec.outputMaxMB / outputMaxEntries as they are now (a retry reads them again: raise a cap, fetch again). */
export const outputCaps = () => ({
  outputMaxBytes: (settings().get<number>('outputMaxMB') ?? 2048) * 1e6,
  outputMaxEntries: settings().get<number>('outputMaxEntries') ?? 100000,
});

/** What every container of a configuration gets from the settings, for a run, a debug session or a shell. */
export async function containerRequest(s: Services, config: Configuration, ws: string, folder: string) {
  return {
    config,
    pull: Boolean(config.registry || config.baseImage),
    // asked for the daemon the pull goes through (after placement), whose definition decides whether to ask first
    registryAuth: async (daemon: PullDaemon) => registryAuthFor(s.context, config, daemon, await s.daemons.spec(daemon.id)),
    workspaceDir: ws,
    outputsDir: folder,
    groups: await s.configurations.groups().catch(() => []),
    interpreters: recipeInterpreters(),
    uploadExclude: settings().get<string[]>('uploadExclude') ?? [],
    outputPath: settings().get<string>('runOutputPath') || DEFAULT_OUTPUT_PATH,
    ...outputCaps(),
  };
}

/** MB a second a run's terminal shows at most (containerExec.terminalMaxMBps; 0: no limit). */
export const DEFAULT_TERMINAL_MAX_MBPS = 1;
export function terminalBytesPerSecond(): { bytesPerSecond: number; warning?: string } {
  const raw = settings().get<unknown>('terminalMaxMBps');
  const r = z.number().min(0).optional().safeParse(raw);
  if (!r.success)
    return {
      bytesPerSecond: DEFAULT_TERMINAL_MAX_MBPS * 1e6,
      warning: `containerExec.terminalMaxMBps must be a number of MB a second, 0 or more (it is ${JSON.stringify(raw)}): using ${DEFAULT_TERMINAL_MAX_MBPS}.`,
    };
  const mbps = r.data ?? DEFAULT_TERMINAL_MAX_MBPS;
  return { bytesPerSecond: mbps === 0 ? Infinity : mbps * 1e6 };
}
