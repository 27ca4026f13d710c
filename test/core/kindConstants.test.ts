import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');
const KIND_FOLDERS = ['docker', 'pool', 'swarm'].map((k) => path.join(SRC, 'core/backend', k) + path.sep);

const KIND = String.raw`(?:DOCKER_(?:DAEMON|SWARM|POOL)\b|['"\x60]docker-(?:daemon|swarm|pool)['"\x60])`;
/** A kind constant (or its string) on either side of an equality, or as a `case` label. */
const COMPARISON = new RegExp(String.raw`(?:[!=]==?\s*${KIND})|(?:${KIND}\s*[!=]==?)|(?:\bcase\s+${KIND})`, 'g');

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** `file:line: text` for each kind comparison in `text`. */
function comparisons(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => (line.match(COMPARISON) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

/** A host tree, feature or editor module: it asks the host table (src/backends/) for each kind's part. */
const HOST_VIEW = /(?:Tree|Feature|Panel)\.ts$/;
/** A kind's own configuration field (`c.pool`, `config.swarm`), list (`'swarm'`) or constant, which only its modules may name. */
const KIND_BRANCH = new RegExp(String.raw`\.(?:pool|swarm)\b|['"\x60](?:pool|swarm)['"\x60]|${KIND}`);

/** `file:line: text` for each line of a host view module that names a kind's own field, list or constant. */
function kindBranches(file: string, text: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) => (!/^\s*(\/\/|\*|\/\*\*)/.test(line) && KIND_BRANCH.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe('back-end kinds', () => {
  it('no code outside src/core/backend/<kind>/ compares a kind constant (it asks the kind descriptor)', () => {
    const files = tsFiles(SRC).filter((f) => !KIND_FOLDERS.some((k) => f.startsWith(k)));
    assert.ok(files.length > 20, `expected the sources in ${SRC}`);
    const offenders = files.flatMap((f) => comparisons(path.relative(ROOT, f), fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('the scanner catches a kind comparison (self-check on samples)', () => {
    const sample = [
      'if (t.kind === DOCKER_DAEMON) refresh();',
      'const x = DOCKER_SWARM !== t.kind;',
      'switch (k) { case DOCKER_POOL: break; }',
      "if (t.kind == 'docker-daemon') x();",
      'const ok = { kind: DOCKER_DAEMON, id };',
    ].join('\n');
    assert.deepEqual(
      comparisons('s.ts', sample).map((l) => l.split(':')[1]),
      ['1', '2', '3', '4'],
    );
  });

  it('no tree, feature or editor panel of the host names a kind (its field, list or constant): the kinds register their parts in src/backends/', () => {
    const files = tsFiles(SRC).filter((f) => HOST_VIEW.test(f) && !f.startsWith(path.join(SRC, 'core') + path.sep));
    assert.ok(
      files.some((f) => f.endsWith('daemonsTree.ts')) && files.some((f) => f.endsWith('configEditorPanel.ts')),
      'expected the host views',
    );
    const offenders = files.flatMap((f) => kindBranches(path.relative(ROOT, f), fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('the host-view scanner catches a kind branch (self-check on samples)', () => {
    const sample = [
      'if (c.pool) item.collapsibleState = 1;',
      "return GROUPS.filter(([list]) => list !== 'swarm');",
      'if (t.kind === DOCKER_POOL) x();',
      '// a pool daemon: c.pool in a comment is fine',
      'const rows = configurationRows(kind, item);',
    ].join('\n');
    assert.deepEqual(
      kindBranches('s.ts', sample).map((l) => l.split(':')[1]),
      ['1', '2', '3'],
    );
  });
});
