import * as vscode from 'vscode';
import {
  discoverDaemons,
  parseDaemonDescription,
  parseDaemonSettings,
  type DaemonSettingsEntry,
  type DaemonSpec,
  type DiscoveredDaemon,
  type DiscoveryProblem,
  workspaceDaemonRefusal,
} from '../core';
import { RESTRICTED_REASON, workspaceTrust } from '../workspaceTrust';

import { SECTION } from '../settings';

export { SECTION };

/** A settings entry that failed validation: shown as an error node, never dropped or rewritten. */
export interface InvalidDaemonEntry {
  scope: 'user' | 'workspace';
  index: number;
  id?: string;
  error: string;
}

/** A workspace entry not used, and why (Restricted Mode, or it would run a local program): the view says so. */
export interface IgnoredEntry {
  index: number;
  id?: string;
  reason: string;
}

export interface DaemonSources {
  specs: DaemonSpec[];
  invalid: InvalidDaemonEntry[];
  ignored: IgnoredEntry[];
  discovered: DiscoveredDaemon[];
  problems: DiscoveryProblem[];
  defaultDaemon: string;
}

/**
 * Everything the Daemons view shows: daemons from user and workspace settings (workspace wins on the
 * same id), then the discovered ones (environment, Docker contexts) whose id and host are not
 * configured already, read-only until imported.
 */
export async function readDaemonSources(): Promise<DaemonSources> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect<unknown>('daemons');
  const specs: DaemonSpec[] = [];
  const invalid: InvalidDaemonEntry[] = [];
  const ignored: IgnoredEntry[] = [];
  const trusted = workspaceTrust.isTrusted();
  const byId = new Map<string, number>();
  for (const [scope, value] of [
    ['user', inspected?.globalValue],
    ['workspace', inspected?.workspaceValue],
  ] as const) {
    for (const entry of parseDaemonSettings(value) as DaemonSettingsEntry[]) {
      if (scope === 'workspace' && !trusted) {
        ignored.push({ index: entry.index, id: entry.ok ? entry.value.id : entry.key, reason: RESTRICTED_REASON });
        continue;
      }
      const refusal = scope === 'workspace' && entry.ok ? workspaceDaemonRefusal(entry.value) : undefined;
      if (refusal) {
        ignored.push({ index: entry.index, id: entry.ok ? entry.value.id : entry.key, reason: refusal });
        continue;
      }
      if (!entry.ok) {
        invalid.push({ scope, index: entry.index, id: entry.key, error: entry.error });
        continue;
      }
      const spec: DaemonSpec = { daemon: entry.value, source: scope, origin: { index: entry.index, raw: entry.raw } };
      const at = byId.get(entry.value.id);
      if (at === undefined) byId.set(entry.value.id, specs.push(spec) - 1);
      else specs[at] = { ...spec, shadows: specs[at]!.source };
    }
  }
  const { daemons: discovered, problems } = await discoverDaemons();
  const hosts = new Set(specs.map((s) => s.daemon.host));
  for (const d of discovered) {
    // a workspace entry that takes a discovered daemon's id replaces it: that is said, as for a user one
    const taken = byId.get(d.daemon.id);
    if (taken !== undefined && specs[taken]!.source === 'workspace') specs[taken]!.shadows ??= d.source;
    if (byId.has(d.daemon.id) || hosts.has(d.daemon.host)) continue;
    try {
      specs.push({ daemon: parseDaemonDescription(d.daemon), source: d.source, current: d.current });
    } catch (e) {
      problems.push({ file: `Docker context ${d.context}`, error: (e as Error).message });
    }
  }
  const defaultDaemon = trusted ? config.get<string>('defaultDaemon') : config.inspect<string>('defaultDaemon')?.globalValue;
  return { specs, invalid, ignored, discovered, problems, defaultDaemon: defaultDaemon || 'local' };
}

/** What a workspace daemon entry took the id of, for the Daemons view and the password question. */
export const shadowText = (spec: DaemonSpec): string | undefined =>
  spec.shadows === 'user'
    ? 'shadows the daemon of the same id in your user settings'
    : spec.shadows === 'context'
      ? 'shadows the Docker context of the same name'
      : spec.shadows === 'environment'
        ? "shadows your environment's daemon of the same id"
        : undefined;

/** The settings scope a configured daemon lives in. */
export function targetOf(source: DaemonSpec['source']): vscode.ConfigurationTarget {
  return source === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

/** The raw (unvalidated) value of containerExec.daemons in one scope: edits start from it, so nothing is lost. */
export function rawDaemons(target: vscode.ConfigurationTarget): unknown {
  const i = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('daemons');
  return target === vscode.ConfigurationTarget.Workspace ? i?.workspaceValue : i?.globalValue;
}
