import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const CORE = path.join(ROOT, 'src/core');

/** Every module specifier a TypeScript file imports or requires. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  return [...text.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('core layering', () => {
  it('finds the core modules and their imports', () => {
    const files = tsFiles(CORE);
    assert.ok(files.length >= 5, `expected the core modules in ${CORE}`);
    assert.ok(
      importsOf(path.join(CORE, 'daemonClient.ts')).includes('dockerode'),
      'the import scanner must see daemonClient.ts importing dockerode',
    );
  });

  it('src/core never imports vscode, directly or through a module outside src/core', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(CORE))
      for (const spec of importsOf(file)) {
        if (spec === 'vscode' || spec.startsWith('vscode/')) offenders.push(`${path.relative(ROOT, file)} imports "${spec}"`);
        if (spec.startsWith('.') && !path.resolve(path.dirname(file), spec).startsWith(CORE + path.sep))
          offenders.push(`${path.relative(ROOT, file)} imports "${spec}" from outside src/core`);
      }
    assert.deepEqual(offenders, []);
  });

  it('the scanner catches a vscode import (self-check on a sample)', () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'layering-')), 'bad.ts');
    fs.writeFileSync(tmp, "import * as vscode from 'vscode';\nconst x = require('vscode');\n");
    assert.deepEqual(importsOf(tmp), ['vscode', 'vscode']);
  });
});
