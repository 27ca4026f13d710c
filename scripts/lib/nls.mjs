// The manifest's localizable strings: which ones they are, their stable keys, and the move of any literal one
// into package.nls.json (scripts/nls.mjs runs it; test/core/manifest.test.ts checks the result).

/** Keys whose string value VS Code shows to the user (replaced from package.nls.json when it is `%key%`). */
const TEXT_KEYS = new Set([
  'title',
  'shortTitle',
  'category',
  'description',
  'markdownDescription',
  'deprecationMessage',
  'markdownDeprecationMessage',
  'errorMessage',
  'patternErrorMessage',
  'contents',
  'label',
  'altText',
  'contextualTitle',
]);
/** Arrays of user-facing strings. */
const TEXT_ARRAYS = new Set(['enumDescriptions', 'markdownEnumDescriptions']);
/** Subtrees holding values (defaults, snippet bodies, launch configurations), never labels. */
const VALUE_SUBTREES = new Set(['default', 'body', 'initialConfigurations', 'examples', 'enum', 'const', 'when']);

const stripPrefix = (s) => String(s).replace(/^containerExec\./, '');
const slug = (s) =>
  String(s)
    .replace(/containerExec\./g, '')
    .replace(/!/g, 'not_')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/** A key from its path; a command's category is shared by its text ("category.Container_Exec"). */
const keyOf = (segments) => segments.join('.').replace(/^configuration\.properties\./, 'config.');

/** An array item's name in a key: its command, id, type or view (with its when), else its index. */
function itemSegment(item, index) {
  if (item && typeof item === 'object') {
    for (const field of ['command', 'id', 'type']) if (typeof item[field] === 'string') return stripPrefix(item[field]);
    if (typeof item.view === 'string') return [stripPrefix(item.view), ...(item.when ? [slug(item.when)] : [])].join('.');
  }
  return String(index);
}

/**
 * Every localizable string of the manifest, in manifest order: { key, value, set(text) }.
 * The key comes from where the string is (ids, not positions, where the manifest has them), so it stays the same
 * when other entries are added around it.
 */
export function localizableStrings(manifest) {
  const found = [];
  const add = (holder, field, key) => found.push({ key, value: holder[field], set: (text) => (holder[field] = text) });
  for (const field of ['displayName', 'description']) if (typeof manifest[field] === 'string') add(manifest, field, field);
  const walk = (node, segments, inViews) => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, [...segments, itemSegment(item, i)], inViews));
    if (!node || typeof node !== 'object') return;
    for (const [field, value] of Object.entries(node)) {
      if (VALUE_SUBTREES.has(field)) continue;
      const key = field === 'category' ? `category.${slug(value)}` : keyOf([...segments, stripPrefix(field)]);
      if (typeof value === 'string' && (TEXT_KEYS.has(field) || (inViews && field === 'name'))) add(node, field, key);
      else if (TEXT_ARRAYS.has(field) && Array.isArray(value))
        value.forEach((text, i) => typeof text === 'string' && add(value, i, `${key}.${i}`));
      else walk(value, [...segments, stripPrefix(field)], inViews || (segments.length === 0 && field === 'views'));
    }
  };
  walk(manifest.contributes ?? {}, [], false);
  if (manifest.capabilities) walk(manifest.capabilities, ['capabilities'], false);
  return found;
}

const REFERENCE = /^%([^%\s]+)%$/;
export const nlsReference = (text) => REFERENCE.exec(text)?.[1];

/**
 * Moves every literal localizable string into `nls` under its key (a literal wins over an older text under the same
 * key: it is the newer edit) and returns the new table in manifest order, without keys nothing refers to.
 * `manifest` is changed in place. Idempotent: a second run changes nothing.
 */
export function moveStringsToNls(manifest, nls) {
  const table = {};
  const changes = [];
  for (const s of localizableStrings(manifest)) {
    const ref = nlsReference(s.value);
    if (ref !== undefined) {
      if (ref in nls) table[ref] = nls[ref];
      continue;
    }
    const key = s.key;
    if (key in table && table[key] !== s.value)
      throw new Error(`Two manifest strings would share the key ${key}: give them different ids or when clauses`);
    if (key in nls && nls[key] !== s.value) changes.push(`${key}: replaced by the manifest's literal`);
    else changes.push(`${key}: moved`);
    table[key] = s.value;
    s.set(`%${key}%`);
  }
  return { nls: table, changes };
}
