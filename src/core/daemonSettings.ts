import { parseDaemonDescription, type DaemonDescription } from './daemonDescription';
import { parseSettingsList, type SettingsEntry, type SettingsListSpec } from './settingsList';

/** One entry of `containerExec.daemons`: valid, or kept as written with the reason it is not. */
export type DaemonSettingsEntry = SettingsEntry<DaemonDescription>;

/** containerExec.daemons, for the positional edits of settingsList (putEntry, deleteEntry). */
export const DAEMONS_LIST: SettingsListSpec<DaemonDescription> = {
  setting: 'containerExec.daemons',
  keyName: 'id',
  noun: 'daemon',
  parse: parseDaemonDescription,
  key: (d) => d.id,
};

export function parseDaemonSettings(raw: unknown): DaemonSettingsEntry[] {
  return parseSettingsList(raw, DAEMONS_LIST);
}
