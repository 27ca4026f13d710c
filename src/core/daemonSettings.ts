import { parseDaemonDescription, type DaemonDescription, type DaemonDescriptionInput } from './daemonDescription';
import { parseSettingsList, removeEntry, upsertEntry, type SettingsEntry } from './settingsList';

/** One entry of `containerExec.daemons`: valid, or kept as written with the reason it is not. */
export type DaemonSettingsEntry = SettingsEntry<DaemonDescription>;

export function parseDaemonSettings(raw: unknown): DaemonSettingsEntry[] {
  return parseSettingsList(raw, { setting: 'containerExec.daemons', keyName: 'id', parse: parseDaemonDescription, key: (d) => d.id });
}

export function upsertDaemonEntry(current: unknown, entry: DaemonDescriptionInput, replaceId = entry.id): unknown[] {
  return upsertEntry(current, entry, 'id', replaceId);
}

export function removeDaemonEntry(current: unknown, id: string): unknown[] {
  return removeEntry(current, 'id', id);
}
