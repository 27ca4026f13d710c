// The trivial recipe of bench run-trivial and bench podman-run: its workspace, and one round of it through an
// engine's CLI (create, cp in, start -a, cp out, rm) and through runRecipe, each checked for its output.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_INTERPRETERS, newRunId, runRecipe, type Configuration, type ExecutionBackend } from '../../src/core';

/** recipe.py (writes out/result.txt) and 20 small inputs: 21 files. */
export function trivialWorkspace(prefix: string): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(
    path.join(ws, 'recipe.py'),
    'import os\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write("42")\nprint("done")\n',
  );
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, `input-${i}.csv`), 'a,b\n1,2\n'.repeat(200));
  return ws;
}

export interface TrivialRound {
  /** One command of the engine's CLI (docker -H …, podman --url …), its stdout trimmed. */
  cli: (...args: string[]) => string;
  /** The back-end of our run, opened on the clock as the extension opens one per run; disposed after. */
  open: () => ExecutionBackend;
  config: Configuration;
  image: string;
  ws: string;
  /** The engine, for a failure's message (Docker, Podman). */
  engine: string;
}

/** The CLI's round, then ours, on the same workspace; ms each. */
export async function trivialRound(o: TrivialRound): Promise<{ cli: number; ours: number }> {
  let t0 = performance.now();
  const id = o.cli('create', '-w', '/workspace', o.image, 'python3', 'recipe.py');
  o.cli('cp', `${o.ws}/.`, `${id}:/workspace`);
  o.cli('start', '-a', id);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-out-'));
  o.cli('cp', `${id}:/workspace/out`, dest);
  o.cli('rm', id);
  const cli = performance.now() - t0;
  const result = (dir: string) => fs.readFileSync(path.join(dir, 'out', 'result.txt'), 'utf8');
  if (result(dest) !== '42') throw new Error(`the ${o.engine} cli run wrote no output`);

  t0 = performance.now();
  const runId = newRunId();
  const backend = o.open();
  const outcome = await runRecipe(
    backend,
    {
      id: runId,
      recipe: 'recipe.py',
      config: o.config,
      image: o.image,
      pull: false,
      workspaceDir: o.ws,
      outputsDir: path.join(dest, runId),
      groups: [],
      interpreters: DEFAULT_INTERPRETERS,
      extensionVersion: 'bench',
    },
    { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
  );
  const ours = performance.now() - t0;
  backend.dispose();
  if (outcome.state !== 'succeeded' || result(path.join(dest, runId)) !== '42')
    throw new Error(`our run on ${o.engine} failed: ${outcome.message}`);
  fs.rmSync(dest, { recursive: true, force: true });
  return { cli, ours };
}
