import * as vscode from 'vscode';
import { settings } from '../settings';
import { planBaseImage, type BaseImagePlan, type Configuration } from '../core';
import { isWorkspaceConfiguration } from '../configurations/configurationSources';
import { extensionVersion, workspaceDir } from '../workspace';

/**
 * The daemon that builds a configuration's base image: with a registry, the builder daemon (it builds and
 * pushes; the configuration's daemon pulls); without one, the configuration's own daemon.
 */
export function buildingDaemon(c: Configuration): string {
  return c.registry ? settings().get<string>('builderDaemon') || 'local' : c.daemon;
}

/** What building the configuration's base image now would produce (tag, Dockerfile, options hash). */
export function basePlan(context: vscode.ExtensionContext, c: Configuration): Promise<BaseImagePlan> {
  return planBaseImage(c, {
    extensionVersion: extensionVersion(context),
    workspaceDir: workspaceDir(),
    confined: isWorkspaceConfiguration(c),
  });
}
