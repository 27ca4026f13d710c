// Reads the sources only: no daemon, no testbed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');
/** The one module that casts dockerode (it types the calls the product makes, `abortSignal` included). */
const TYPED_CALLS = path.join(SRC, 'core/engine/signalled.ts');

/** Casts that turn off the type checker: `as never`, `as unknown as` (across line breaks too). */
const CAST = /\bas\s+never\b|\bas\s+unknown\s+as\b/g;

function casts(text: string): string[] {
  return [...text.matchAll(CAST)].map((m) => `line ${text.slice(0, m.index).split('\n').length}: ${m[0].replace(/\s+/g, ' ')}`);
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('typed Engine calls', () => {
  it('no "as never" or "as unknown as" cast in src outside engine/signalled.ts, which holds at most one', () => {
    const files = tsFiles(SRC);
    assert.ok(files.includes(TYPED_CALLS) && files.length >= 20, `expected the sources and ${TYPED_CALLS}`);
    const offenders = files
      .filter((f) => f !== TYPED_CALLS)
      .flatMap((f) => casts(fs.readFileSync(f, 'utf8')).map((c) => `${path.relative(ROOT, f)} ${c}`));
    assert.deepEqual(offenders, [], 'call dockerode through signalled(d) (src/core/engine/signalled.ts) and type the call there');
    assert.ok(casts(fs.readFileSync(TYPED_CALLS, 'utf8')).length <= 1, 'signalled.ts casts dockerode once, in signalled()');
  });

  it('the cast scanner finds both kinds, split across lines too (self-check on a sample)', () => {
    const sample = "d.info({ abortSignal } as never);\nconst x = y as\n  unknown as Z;\nconst asNever = 1; // 'unknown as' alone is fine\n";
    assert.deepEqual(casts(sample), ['line 1: as never', 'line 2: as unknown as']);
  });
});
