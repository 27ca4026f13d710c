/**
 * A settings array of named entries (daemons by id, configurations by name): each entry validated on
 * its own, so one bad entry never hides the others, and edits that keep every other entry exactly as
 * written (invalid ones included): settings are never rewritten with partial data.
 */
export type SettingsEntry<T> = { ok: true; index: number; value: T } | { ok: false; index: number; key?: string; raw: unknown; error: string };

const keyOf = (entry: unknown, keyName: string): unknown => (typeof entry === 'object' && entry ? (entry as Record<string, unknown>)[keyName] : undefined);

export function parseSettingsList<T>(raw: unknown, o: { setting: string; keyName: string; parse: (entry: unknown) => T; key: (value: T) => string }): SettingsEntry<T>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [{ ok: false, index: 0, raw, error: `${o.setting} must be an array` }];
  const seen = new Set<string>();
  return raw.map((entry, index): SettingsEntry<T> => {
    const k = keyOf(entry, o.keyName);
    const key = typeof k === 'string' ? k : undefined;
    try {
      const value = o.parse(entry);
      if (seen.has(o.key(value))) return { ok: false, index, key, raw: entry, error: `Duplicate ${o.keyName} "${o.key(value)}" in ${o.setting}: each must be unique` };
      seen.add(o.key(value));
      return { ok: true, index, value };
    } catch (e) {
      return { ok: false, index, key, raw: entry, error: (e as Error).message };
    }
  });
}

/** `current` with `entry` replacing the one whose key is `replaceKey` (default: entry's own), or appended. */
export function upsertEntry(current: unknown, entry: object, keyName: string, replaceKey = keyOf(entry, keyName)): unknown[] {
  const list = Array.isArray(current) ? [...current] : [];
  const at = list.findIndex((e) => keyOf(e, keyName) === replaceKey);
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  return list;
}

export function removeEntry(current: unknown, keyName: string, key: string): unknown[] {
  return (Array.isArray(current) ? current : []).filter((e) => keyOf(e, keyName) !== key);
}
