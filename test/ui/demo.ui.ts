import * as fs from 'node:fs';
import * as path from 'node:path';
import { activityItem, clickUntil, launchBrowser, showViewContainer, uiEnv as env, RUN_RECIPE_BUTTON } from '../support/browser';

const ROOT = path.resolve(__dirname, '../../..');
describe('npm start: the demo as a new user gets it', function () {
  this.timeout(180000);

  it("▶ on the demo's hello.py succeeds with nothing configured but what npm start writes (offline: the test bench's python image)", async () => {
    const demo = (await import(path.join(ROOT, 'scripts/lib/demo.mjs'))) as typeof import('../../scripts/lib/demo.mjs', {
      with: { 'resolution-mode': 'import' },
    });
    // the same step as npm start: nothing on a machine that can pull the default image, else the offline image
    const userSettings = await demo.demoUserSettings((s) => console.log(`      [npm start] ${s}`));
    const runDir = path.join(env('UI_RUN_DIR'), 'demo');
    fs.rmSync(runDir, { recursive: true, force: true });
    const workspace = path.join(runDir, 'workspace');
    fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true }); // the demo as it is in git: no workspace settings
    const server = await demo.startDemoServer({
      tools: { NODE24: env('NODE24'), CODE_SERVER: env('CODE_SERVER') },
      runDir,
      workspace,
      // the walkthrough npm start opens has its own test (gettingStarted.ui.ts): here the editor stays hello.py's
      userSettings: { ...userSettings, 'workbench.welcomePage.walkthroughs.openOnInstall': false },
    });
    const browser = await launchBrowser(runDir);
    const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    try {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120000 });
      await activityItem(page, 'Container Exec'); // the extension host has registered the extension (no smoke-test driver here)
      await showViewContainer(page, 'Explorer');
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hello.py' }).first().click({ timeout: 60000 });
      await page.locator('.tabs-container .tab', { hasText: 'hello.py' }).first().waitFor({ timeout: 20000 });
      // the task's terminal opens once the run starts
      await clickUntil(page.locator(RUN_RECIPE_BUTTON).first(), page.locator('.xterm-rows').first(), 'the Run Recipe button');
      const terminal = page.locator('.xterm-rows');
      await terminal
        .filter({ hasText: /Run (succeeded in|\w+ after) / })
        .first()
        .waitFor({ timeout: 90000 });
      const text = (await terminal.allInnerTexts()).join('\n');
      if (!/Run succeeded in/.test(text) || !/Hello from Python/.test(text))
        throw new Error(`the demo's first run did not succeed; its terminal:\n${text}`);
      const image = userSettings['containerExec.localDefaultImage'] ?? demo.LOCAL_DEFAULT_IMAGE;
      // (whitespace dropped: xterm's rows break long lines)
      if (!text.replace(/\s+/g, '').includes(`hello.pyin${image}`)) throw new Error(`the run did not use ${image}; its terminal:\n${text}`);
      // the Runs view shows it, on the built-in local default
      await showViewContainer(page, 'Container Exec');
      await page
        .locator('.part.sidebar .monaco-list-row', { hasText: /local-default · local · succeeded/ })
        .first()
        .waitFor({ timeout: 20000 });
      const runs = path.join(workspace, '.container-exec', 'runs');
      const [run] = fs.readdirSync(runs);
      const result = path.join(runs, run!, 'out', 'result.txt');
      if (!fs.existsSync(result) || !/^computed on /.test(fs.readFileSync(result, 'utf8')))
        throw new Error(`no out/result.txt came back from run ${run}`);
    } finally {
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'demo-first-run.png') }).catch(() => undefined);
      await browser.close();
      await server.stop();
    }
  });
});
