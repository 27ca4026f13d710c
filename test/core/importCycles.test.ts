import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');

/** Relative module specifiers a TypeScript file imports or re-exports (type-only imports too: they tie modules just as well). */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]*)['"]|import\s*\(\s*['"](\.[^'"]*)['"]\s*\)|require\s*\(\s*['"](\.[^'"]*)['"]\s*\)|import\s+['"](\.[^'"]*)['"]/g;
  return [...text.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((f) => f.endsWith('.ts') && fs.existsSync(f));
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Every import cycle among the files under `root`, each as the chain of files that closes it. */
export function importCycles(root: string): string[][] {
  const graph = new Map(tsFiles(root).map((f) => [f, relativeImports(f).flatMap((s) => resolve(f, s) ?? [])]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((p) => path.relative(root, p)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return cycles;
}

describe('import cycles', () => {
  it('no import cycle under src/', () => {
    const cycles = importCycles(SRC);
    assert.deepEqual(
      cycles.map((c) => c.join(' -> ')),
      [],
    );
  });

  it('the walker finds a cycle (self-check on a sample tree)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cycles-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './sub';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'sub', 'index.ts'), "export { c } from './c';\nexport type B = string;\n");
    fs.writeFileSync(path.join(dir, 'sub', 'c.ts'), "import '../a';\nexport const c = 1;\n");
    fs.writeFileSync(path.join(dir, 'd.ts'), "import { c } from './sub/c';\nexport const d = c;\n");
    assert.deepEqual(importCycles(dir), [['a.ts', 'sub/index.ts', 'sub/c.ts', 'a.ts']]);
  });
});
