#!/usr/bin/env node
// npm run bench: each benchmark prints one line "bench NAME: key=value ...". Ratios against the Docker
// CLI / raw Engine API are measured in the same run.
//   bench list-200, bench refresh-4-blackhole: test/bench/lists.ts, against the testbed daemons
//   bench build, bench build-context: test/bench/build.ts
//   bench activate: activate() inside a real VS Code extension host (code-server), median of RUNS
//   host starts, plus the time to load the bundle in plain node; and the Docker calls made meanwhile.
// CONTAINER_EXEC_KEEP_TESTBED=1 leaves the testbed running afterwards.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCodeServer } from './lib/codeServer.mjs';
import { ROOT, TESTBED_STATE, freshDir, hostTools, testbed } from './lib/tools.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 3);
const ACTIVATE_BUDGET_MS = 30;
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

run('npm', ['run', '--silent', 'bundle']);
run('npm', ['run', '--silent', 'compile-tests']);
const RUN = freshDir(ROOT, 'test-results', 'bench');

testbed('start');
try {
  for (const bench of ['lists', 'build']) run(process.execPath, [`out/test/bench/${bench}.js`], { env: { ...process.env, CONTAINER_EXEC_TESTBED_ENV: path.join(TESTBED_STATE, 'env') } });
} finally {
  if (process.env.CONTAINER_EXEC_KEEP_TESTBED !== '1') testbed('stop');
}
const RESULTS = freshDir(RUN, 'results');

// loading the bundle (before activate) in plain node, vscode stubbed: what the host pays at require time
const requireMs = [];
for (let i = 0; i < 5; i++) {
  const r = spawnSync(process.execPath, ['-e', `
    const M = require('module'); const load = M._load; M._load = function (r, ...a) { return r === 'vscode' ? {} : load.call(this, r, ...a); };
    const t0 = performance.now(); require(${JSON.stringify(path.join(ROOT, 'dist/extension.js'))}); console.log(performance.now() - t0);`], { encoding: 'utf8' });
  requireMs.push(Number(r.stdout.trim()));
}

const tools = hostTools();
const { launchBrowser, runInHost, workbenchUrl } = await import(path.join(ROOT, 'out/test/support/browser.js'));
const workspace = path.join(RUN, 'workspace');
fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true });
for (let i = 0; i < RUNS; i++) {
  const server = await startCodeServer({ tools, runDir: RUN, workspace, env: { TEST_RESULTS_DIR: RESULTS } });
  const browser = await launchBrowser(RUN, tools.CHROMIUM);
  try {
    const exit = await runInHost(browser.ctx, workbenchUrl(server.url, workspace, ROOT, path.join(ROOT, 'out/test/bench/activate.js')), { onLog: () => undefined });
    if (exit !== 0) throw new Error(`bench activate: host run ${i + 1} ended with ${exit}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}
const samples = fs.readdirSync(RESULTS).map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS, f), 'utf8')));
if (samples.length !== RUNS) throw new Error(`bench activate: ${samples.length} of ${RUNS} host runs reported`);
const ms = median(samples.map((s) => s.activationMs));
const calls = Math.max(...samples.map((s) => s.engineCalls));
console.log(
  `bench activate: ms=${ms.toFixed(2)} max-ms=${Math.max(...samples.map((s) => s.activationMs)).toFixed(2)} runs=${RUNS} ` +
    `bundle-require-ms=${median(requireMs).toFixed(1)} bundle-kb=${(fs.statSync(path.join(ROOT, 'dist/extension.js')).size / 1024).toFixed(0)} ` +
    `engine-calls=${calls} budget-ms=${ACTIVATE_BUDGET_MS} within-budget=${ms < ACTIVATE_BUDGET_MS && calls === 0}`,
);
process.exit(ms < ACTIVATE_BUDGET_MS && calls === 0 ? 0 : 1);
