import { isDeepStrictEqual } from 'node:util';

/**
 * A settings array of named entries (daemons by id, configurations by name): each entry validated on
 * its own, so one bad entry never hides the others, and edits that keep every other entry exactly as
 * written (invalid ones included): settings are never rewritten with partial data.
 *
 * Edits are positional: an entry is replaced or removed at the index it was read from, and only while
 * the raw entry there is still the one that was read. Nothing is matched by key, so an invalid entry
 * sharing a key is never touched, and a key held by another entry (valid or not) is refused.
 */
export type SettingsEntry<T> =
  { ok: true; index: number; value: T; raw: unknown } | { ok: false; index: number; key?: string; raw: unknown; error: string };

/** How one settings list is named, for messages. */
export interface SettingsListNames {
  /** The full setting name: containerExec.configurations. */
  setting: string;
  /** The key naming an entry: name, id. */
  keyName: string;
  /** What an entry is: configuration, daemon. */
  noun: string;
}

/** How one settings list is named and parsed. */
export interface SettingsListSpec<T> extends SettingsListNames {
  parse: (entry: unknown) => T;
  key: (value: T) => string;
}

/** Where a valid entry was read from: edits go back there, and only while it is still the same. */
export interface EntryOrigin {
  index: number;
  raw: unknown;
}

const keyOf = (entry: unknown, keyName: string): unknown =>
  typeof entry === 'object' && entry ? (entry as Record<string, unknown>)[keyName] : undefined;

export function parseSettingsList<T>(raw: unknown, o: Omit<SettingsListSpec<T>, 'noun'>): SettingsEntry<T>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [{ ok: false, index: 0, raw, error: `${o.setting} must be an array` }];
  const seen = new Set<string>();
  return raw.map((entry, index): SettingsEntry<T> => {
    const k = keyOf(entry, o.keyName);
    const key = typeof k === 'string' ? k : undefined;
    try {
      const value = o.parse(entry);
      if (seen.has(o.key(value)))
        return {
          ok: false,
          index,
          key,
          raw: entry,
          error: `Duplicate ${o.keyName} "${o.key(value)}" in ${o.setting}: each must be unique`,
        };
      seen.add(o.key(value));
      return { ok: true, index, value, raw: entry };
    } catch (e) {
      return { ok: false, index, key, raw: entry, error: (e as Error).message };
    }
  });
}

/** The array to edit (a copy); an unset setting is an empty list; anything else is the user's to fix. */
function editableList(current: unknown, spec: SettingsListNames, where: string): unknown[] {
  if (current === undefined || current === null) return [];
  if (!Array.isArray(current)) throw new Error(`${spec.setting} in ${where} is not an array: fix it in settings.json`);
  return [...current];
}

function checkOrigin(list: unknown[], spec: SettingsListNames, where: string, origin: EntryOrigin): void {
  if (origin.index < list.length && isDeepStrictEqual(list[origin.index], origin.raw)) return;
  const key = keyOf(origin.raw, spec.keyName);
  throw new Error(
    `Settings changed meanwhile: ${spec.setting}[${origin.index}] in ${where} is no longer the ${spec.noun} "${String(key)}" that was read. Reopen it and try again.`,
  );
}

/** Why a key held by an invalid entry cannot be given to another one: names the entry and its error. */
export function heldByInvalidMessage(
  spec: Pick<SettingsListNames, 'setting' | 'keyName'>,
  where: string,
  index: number,
  key: string,
  error: string,
): string {
  return `${spec.keyName} "${key}" is held by an invalid entry, ${spec.setting}[${index}] in ${where} (${error}): fix or remove that entry in settings.json first, or choose another ${spec.keyName}`;
}

/**
 * Why `key` cannot be given to a new or renamed entry of this list: another entry (the one at
 * `except` aside) holds it, valid or not. Undefined when it is free.
 */
export function keyConflict<T>(
  current: unknown,
  spec: SettingsListSpec<T>,
  where: string,
  key: string,
  except?: number,
): string | undefined {
  const entries = parseSettingsList(editableList(current, spec, where), spec);
  const holder = entries.find((e) => e.index !== except && keyOf(e.raw, spec.keyName) === key);
  if (!holder) return undefined;
  if (holder.ok) return `${spec.keyName}: a ${spec.noun} "${key}" exists already in ${where} (${spec.setting}[${holder.index}])`;
  return heldByInvalidMessage(spec, where, holder.index, key, holder.error);
}

/** The valid entry holding `key`, with where it was read from (an invalid one is never an edit target). */
export function findEntry<T>(current: unknown, spec: SettingsListSpec<T>, key: string): (EntryOrigin & { value: T }) | undefined {
  const found = parseSettingsList(current, spec).find((e) => e.ok && spec.key(e.value) === key);
  return found?.ok ? { index: found.index, raw: found.raw, value: found.value } : undefined;
}

/** The raw entry at `origin`, after checking it is still the one that was read. */
export function entryAt<T>(current: unknown, spec: SettingsListSpec<T>, where: string, origin: EntryOrigin): unknown {
  const list = editableList(current, spec, where);
  checkOrigin(list, spec, where, origin);
  return list[origin.index];
}

/**
 * `current` with `entry` written at `origin` (replacing the entry read from there), or appended when
 * there is no origin. A key new to that place must be free (see keyConflict).
 */
export function putEntry<T>(current: unknown, spec: SettingsListSpec<T>, where: string, entry: object, origin?: EntryOrigin): unknown[] {
  const list = editableList(current, spec, where);
  if (origin) checkOrigin(list, spec, where, origin);
  const key = keyOf(entry, spec.keyName);
  if (typeof key === 'string' && (!origin || keyOf(origin.raw, spec.keyName) !== key)) {
    const conflict = keyConflict(list, spec, where, key, origin?.index);
    if (conflict) throw new Error(conflict);
  }
  if (origin) list[origin.index] = entry;
  else list.push(entry);
  return list;
}

/** `current` without the entry read from `origin`; every other entry as written. */
export function deleteEntry<T>(current: unknown, spec: SettingsListSpec<T>, where: string, origin: EntryOrigin): unknown[] {
  const list = editableList(current, spec, where);
  checkOrigin(list, spec, where, origin);
  list.splice(origin.index, 1);
  return list;
}
