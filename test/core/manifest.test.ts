// The manifest as VS Code, the Marketplace and Open VSX read it: localized strings, commands, what the .vsix ships.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;
type Nls = typeof import('../../scripts/lib/nls.mjs', { with: { 'resolution-mode': 'import' } });
const loadNls = async () => (await import(path.join(ROOT, 'scripts/lib/nls.mjs'))) as Nls;

/** Every string in the manifest, deep. */
function allStrings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(allStrings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(allStrings);
  return [];
}

describe('manifest', () => {
  const manifest = readJson('package.json');
  const nls = readJson('package.nls.json') as Record<string, string>;

  it('localization: every %key% in package.json has a string in package.nls.json, and no key is left unused', async () => {
    const { nlsReference } = await loadNls();
    const refs = new Set(allStrings(manifest).flatMap((s) => nlsReference(s) ?? []));
    assert.deepEqual(
      [...refs].filter((k) => typeof nls[k] !== 'string' || !nls[k]),
      [],
      'keys with no string in package.nls.json',
    );
    assert.deepEqual(
      Object.keys(nls).filter((k) => !refs.has(k)),
      [],
      'package.nls.json keys nothing refers to (node scripts/nls.mjs drops them)',
    );
  });

  it('localization: no user-facing manifest string is left literal (node scripts/nls.mjs moves them)', async () => {
    const { localizableStrings, nlsReference } = await loadNls();
    const found = localizableStrings(structuredClone(manifest));
    assert.ok(found.length > 100, `only ${found.length} localizable strings found: the walker misses the manifest`);
    assert.deepEqual(
      found.filter((s) => nlsReference(s.value) === undefined).map((s) => `${s.key}: ${s.value}`),
      [],
    );
  });

  it('scripts/nls.mjs is idempotent: run over the committed files it moves nothing', async () => {
    const { moveStringsToNls } = await loadNls();
    const copy = structuredClone(manifest);
    const { nls: table, changes } = moveStringsToNls(copy, { ...nls });
    assert.deepEqual(changes, []);
    assert.deepEqual(copy, manifest);
    assert.deepEqual(table, nls);
  });

  it('every command in contributes.commands has a title and a category', () => {
    const text = (s: unknown) => (typeof s === 'string' ? (s.match(/^%(.+)%$/) ? nls[s.slice(1, -1)] : s) : undefined);
    const commands = (manifest.contributes as { commands: { command: string; title?: string; category?: string }[] }).commands;
    assert.ok(commands.length > 0);
    assert.deepEqual(
      commands.filter((c) => !text(c.title)?.trim() || !text(c.category)?.trim()).map((c) => c.command),
      [],
    );
  });

  const viewIds = () =>
    Object.values((manifest.contributes as { views: Record<string, { id: string }[]> }).views).flatMap((vs) => vs.map((v) => v.id));

  it('every command a menu, keybinding, welcome content or walkthrough names is contributed', () => {
    const contributes = manifest.contributes as {
      commands: { command: string }[];
      menus: Record<string, { command?: string }[]>;
      keybindings?: { command: string }[];
    };
    const known = new Set(contributes.commands.map((c) => c.command));
    const named = [
      ...Object.values(contributes.menus).flatMap((items) => items.flatMap((m) => m.command ?? [])),
      ...(contributes.keybindings ?? []).map((k) => k.command),
      // welcome content and walkthrough links, as the user reads them (package.nls.json)
      ...allStrings(contributes)
        .map((s) => (/^%.+%$/.test(s) ? (nls[s.slice(1, -1)] ?? s) : s))
        .flatMap((s) => [...s.matchAll(/command:(containerExec\.[A-Za-z.]+)/g)].map((m) => m[1]!)),
    ];
    // a view's focus command is VS Code's own
    const views = new Set(viewIds());
    assert.deepEqual(
      [...new Set(named.filter((c) => c.startsWith('containerExec.') && !known.has(c) && !views.has(c.replace(/\.focus$/, ''))))],
      [],
    );
  });

  it('the .vsix ships every bundle, the strings, the icon, the CHANGELOG and every media file the manifest names (vsce ls)', function () {
    this.timeout(60000);
    const esbuild = fs.readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8');
    const bundles = [...esbuild.matchAll(/outfile: '(dist\/[^']+)'/g)].map((m) => m[1]!);
    const srcDistFiles = ['src/runs/usageChartPanel.ts', 'src/configurations/configEditorPanel.ts'].flatMap((f) =>
      [...fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/joinPath\(dist, '([^']+)'(?:, '([^']+)')?\)/g)].map((m) =>
        ['dist', m[1], m[2]].filter(Boolean).join('/'),
      ),
    );
    const media = allStrings(manifest.contributes).filter((s) => /^\.?\/?(media|docs)\//.test(s) && /\.\w+$/.test(s));
    const wanted = [
      ...bundles,
      ...srcDistFiles,
      ...media.map((s) => s.replace(/^\.\//, '')),
      String(manifest.icon),
      'package.nls.json',
      'CHANGELOG.md',
    ];
    for (const f of bundles) assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: npm run bundle first`);
    const vsce = path.join(ROOT, 'node_modules/.bin/vsce');
    const listed = new Set(execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean));
    assert.deepEqual(
      [...new Set(wanted)].filter((f) => !listed.has(f)),
      [],
      'files the .vsix would lack (.vscodeignore)',
    );
    assert.deepEqual(
      [...listed].filter((f) => /^(src|test|out|webview|scripts|node_modules|\.tools)\//.test(f) || f.endsWith('.vsix')),
      [],
      'files the .vsix should not ship',
    );
  });
});
