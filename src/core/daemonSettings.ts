import { parseDaemonDescription, type DaemonDescription, type DaemonDescriptionInput } from './daemonDescription';

/** One entry of `containerExec.daemons`: valid, or kept as written with the reason it is not. */
export type DaemonSettingsEntry =
  | { ok: true; index: number; daemon: DaemonDescription }
  | { ok: false; index: number; id?: string; raw: unknown; error: string };

/** Validates each entry on its own: one bad entry never hides the others, and nothing is dropped. */
export function parseDaemonSettings(raw: unknown): DaemonSettingsEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [{ ok: false, index: 0, raw, error: 'containerExec.daemons must be an array of daemons' }];
  const seen = new Set<string>();
  return raw.map((entry, index): DaemonSettingsEntry => {
    const id = typeof entry === 'object' && entry && typeof (entry as { id?: unknown }).id === 'string' ? (entry as { id: string }).id : undefined;
    try {
      const daemon = parseDaemonDescription(entry);
      if (seen.has(daemon.id)) return { ok: false, index, id, raw: entry, error: `Duplicate daemon id "${daemon.id}": ids must be unique` };
      seen.add(daemon.id);
      return { ok: true, index, daemon };
    } catch (e) {
      return { ok: false, index, id, raw: entry, error: (e as Error).message };
    }
  });
}

/**
 * The new value of a daemons setting with `entry` added or replacing the one with the same id (or
 * `replaceId`). Every other entry, valid or not, is kept exactly as written.
 */
export function upsertDaemonEntry(current: unknown, entry: DaemonDescriptionInput, replaceId = entry.id): unknown[] {
  const list = Array.isArray(current) ? [...current] : [];
  const at = list.findIndex((e) => typeof e === 'object' && e && (e as { id?: unknown }).id === replaceId);
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  return list;
}

export function removeDaemonEntry(current: unknown, id: string): unknown[] {
  return (Array.isArray(current) ? current : []).filter((e) => !(typeof e === 'object' && e && (e as { id?: unknown }).id === id));
}
