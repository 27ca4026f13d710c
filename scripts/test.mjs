#!/usr/bin/env node
// npm test: type-check + lint + bundle, core suite against every testbed daemon, in-host suite inside a
// real VS Code extension host (code-server), UI suite (playwright + Debian chromium). Starts and stops
// the testbed and the host itself and ends with one line "N passed, N failed" over all suites.
//   --only core     type-check, lint, bundle and the core suite only
//   --skip-core     everything but the core suite (quicker UI work); TEST_GREP=text filters mocha tests
//   CONTAINER_EXEC_KEEP_TESTBED=1 leaves the testbed running afterwards (faster reruns)
//   UPDATE_SCREENSHOTS=1 copies the UI suite's screenshots into docs/screenshots (the README's pictures)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCodeServer } from './lib/codeServer.mjs';
import { ROOT, TESTBED_STATE, freshDir, hostTools, testbed } from './lib/tools.mjs';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const RUN = freshDir(ROOT, 'test-results');
const RESULTS = freshDir(RUN, 'results');
const t0 = Date.now();
const tally = { passed: 0, failed: 0, failures: [] };
const say = (s) => console.log(`\n[test ${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);

function check(name, cmd, args, opts = {}) {
  say(name);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status === 0) tally.passed++;
  else {
    tally.failed++;
    tally.failures.push(`${name} (exit ${r.status ?? r.signal})`);
  }
  return r.status === 0;
}

/** Adds a suite's result file; a suite that wrote none failed as a whole. */
function count(suite) {
  const file = path.join(RESULTS, `${suite}.json`);
  if (!fs.existsSync(file)) {
    tally.failed++;
    tally.failures.push(`${suite} suite did not report results`);
    return;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  tally.passed += r.passes.length;
  tally.failed += r.failures.length;
  tally.failures.push(...r.failures.map((f) => `${suite}: ${f.title}`));
}

const env = {
  ...process.env,
  TEST_RESULTS_DIR: RESULTS,
  CONTAINER_EXEC_TESTBED_ENV: process.env.CONTAINER_EXEC_TESTBED_ENV || path.join(TESTBED_STATE, 'env'),
};
let stopHost = async () => undefined;
let code = 1;
try {
  check('format', 'npm', ['run', '--silent', 'format:check']);
  check('type-check', 'npm', ['run', '--silent', 'typecheck']);
  check('lint', 'npm', ['run', '--silent', 'lint']);
  check('bundle (dist/extension.js, dist/webview.js)', 'npm', ['run', '--silent', 'bundle']);
  check('package (dist/container-exec.vsix)', 'npm', ['run', '--silent', 'vsix'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!check('compile tests', 'npm', ['run', '--silent', 'compile-tests'])) throw new Error('tests do not compile');

  say(`testbed: starting (state in ${TESTBED_STATE})`);
  testbed('start');

  if (!process.argv.includes('--skip-core')) {
    say('core suite (plain node, real daemons)');
    spawnSync(process.execPath, ['out/test/core/run.js'], { cwd: ROOT, stdio: 'inherit', env });
    count('core');
  }

  if (only !== 'core') {
    say('VS Code host: tools');
    const tools = hostTools();
    const uiEnv = { ...env, ...tools };
    const workspace = path.join(RUN, 'workspace');
    fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true });
    const server = await startCodeServer({ tools, runDir: RUN, workspace, env: uiEnv });
    stopHost = server.stop;
    say(`in-host suite (code-server ${server.url}, VS Code extension host)`);
    const { launchBrowser, runInHost, workbenchUrl } = await import(path.join(ROOT, 'out/test/support/browser.js'));
    const browser = await launchBrowser(RUN, tools.CHROMIUM);
    try {
      const exit = await runInHost(browser.ctx, workbenchUrl(server.url, workspace, ROOT, path.join(ROOT, 'out/test/host/index.js')), {
        onLog: (s) => console.log(`  [host] ${s}`),
      });
      console.log(`  in-host mocha finished: ${exit}`);
    } finally {
      await browser.close();
    }
    count('host');

    say('Restricted Mode suite (a second host with Workspace Trust on, the folder untrusted)');
    const untrusted = path.join(RUN, 'untrusted-workspace');
    fs.cpSync(path.join(ROOT, 'demo'), untrusted, { recursive: true });
    // a cloned repository's settings: what Restricted Mode must withhold
    fs.mkdirSync(path.join(untrusted, '.vscode'), { recursive: true });
    const bed = Object.fromEntries(
      fs
        .readFileSync(env.CONTAINER_EXEC_TESTBED_ENV, 'utf8')
        .split('\n')
        .flatMap((l) => (/^[A-Z0-9_]+=/.test(l) ? [l.split(/=(.*)/s).slice(0, 2)] : [])),
    );
    fs.writeFileSync(
      path.join(untrusted, '.vscode', 'settings.json'),
      JSON.stringify(
        {
          'containerExec.daemons': [{ id: 'ws-tcp', host: bed.DOCKER_TCP_HOST }],
          'containerExec.configurations': [{ name: 'ws-cfg', daemon: 'ws-tcp', baseImage: bed.BUSYBOX_IMAGE }],
          'containerExec.defaultConfiguration': 'ws-cfg',
        },
        null,
        2,
      ),
    );
    // and a task of its own, which must not run until the folder is trusted (restricted/tasksUntilTrusted.test.ts)
    fs.writeFileSync(path.join(untrusted, 'restricted-trust-gate.sh'), 'echo "the trust-gated task ran"\n');
    fs.writeFileSync(
      path.join(untrusted, '.vscode', 'tasks.json'),
      JSON.stringify(
        {
          version: '2.0.0',
          tasks: [{ label: 'trust-gated run', type: 'container-exec-run', recipe: 'restricted-trust-gate.sh', configuration: 'user-cfg' }],
        },
        null,
        2,
      ),
    );
    const restricted = await startCodeServer({
      tools,
      runDir: RUN,
      workspace: untrusted,
      env: uiEnv,
      workspaceTrust: true,
      stateName: 'code-server-restricted',
    });
    const restrictedBrowser = await launchBrowser(path.join(RUN, 'restricted-browser'), tools.CHROMIUM);
    try {
      const exit = await runInHost(
        restrictedBrowser.ctx,
        workbenchUrl(restricted.url, untrusted, ROOT, path.join(ROOT, 'out/test/restricted/index.js')),
        {
          onLog: (s) => console.log(`  [restricted] ${s}`),
        },
      );
      console.log(`  Restricted Mode mocha finished: ${exit}`);
    } finally {
      await restrictedBrowser.close();
      await restricted.stop();
    }
    count('restricted');

    say('UI suite (playwright + chromium against the workbench)');
    spawnSync(process.execPath, ['out/test/ui/run.js'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: {
        ...uiEnv,
        CODE_SERVER_URL: server.url,
        UI_WORKSPACE: workspace,
        EXT_DIR: ROOT,
        UI_RUN_DIR: RUN,
        UI_USER_SETTINGS: server.userSettingsFile,
        SCREENSHOT_DIR: path.join(RUN, 'screenshots'),
      },
    });
    count('ui');
  }
  code = tally.failed ? 1 : 0;
} catch (e) {
  tally.failed++;
  tally.failures.push(String(e?.message ?? e));
} finally {
  await stopHost();
  if (process.env.CONTAINER_EXEC_KEEP_TESTBED !== '1') {
    say('testbed: stopping what it started');
    try {
      testbed('stop');
    } catch (e) {
      console.error(String(e));
    }
  }
}
if (process.env.UPDATE_SCREENSHOTS === '1') {
  // the README's pictures come from the UI suite
  for (const f of [
    'views.png',
    'daemons.png',
    'test-connection.png',
    'config-editor-light.png',
    'config-editor-dark.png',
    'build-terminal.png',
    'run-recipe.png',
    'swarm-nodes.png',
    'debug-recipe.png',
    'pool-load.png',
    'resource-usage-light.png',
    'resource-usage-dark.png',
    'resource-usage-hc.png',
    'notebook.png',
    'sweep-results.png',
    'walkthrough.png',
    'daemons-welcome.png',
  ]) {
    const from = path.join(RUN, 'screenshots', f);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(ROOT, 'docs/screenshots', f));
  }
}
if (tally.failures.length) console.log(`\nFailed:\n${tally.failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(
  `\n[test] took ${((Date.now() - t0) / 1000).toFixed(0)} s; screenshots in ${path.relative(ROOT, path.join(RUN, 'screenshots'))}/`,
);
console.log(`${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed ? 1 : code);
