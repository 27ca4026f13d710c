// Runs mocha files and writes { passes, failures } to $TEST_RESULTS_DIR/<name>.json, which scripts/test.mjs
// adds up. Used for the core suite (plain node), inside the extension host, and for the UI suite.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResult {
  suite: string;
  passes: string[];
  failures: { title: string; error: string }[];
}

export function findTests(dir: string, suffix = '.test.js'): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.join(dir, f));
}

export function runMocha(suite: string, files: string[], opts: Mocha.MochaOptions = {}): Promise<SuiteResult> {
  const grep = process.env.TEST_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    color: !!process.stdout.isTTY,
    timeout: 20000,
    reporter: 'spec',
    ...(grep ? { grep } : {}),
    ...opts,
  });
  files.forEach((f) => mocha.addFile(f));
  const result: SuiteResult = { suite, passes: [], failures: [] };
  return new Promise((resolve) => {
    const runner = mocha.run(() => {
      const dir = process.env.TEST_RESULTS_DIR || path.join(os.tmpdir(), 'container-exec-results');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${suite}.json`), JSON.stringify(result, null, 2));
      resolve(result);
    });
    runner.on('pass', (t) => result.passes.push(t.fullTitle()));
    runner.on('fail', (t, err: Error) => result.failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }));
  });
}
