import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  clickUntil,
  launchBrowser,
  openWorkbench,
  showViewContainer,
  uiEnv as env,
  workbenchUrl,
  RUN_RECIPE_BUTTON,
} from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('Run Recipe from the editor title', function () {
  this.timeout(120000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  before(async () => {
    const settings = path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(
      settings,
      JSON.stringify(
        {
          'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
          'containerExec.configurations': [
            { name: 'python-small', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '512m', cpus: 1 } },
          ],
          'containerExec.defaultConfiguration': 'python-small',
        },
        null,
        2,
      ),
    );
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => {
    await browser?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-run.png') }).catch(() => undefined);
  });

  it('the ▶ button on a recipe runs it in a task terminal; the Runs view lists the run; the output comes back', async () => {
    // open hello.py from the Explorer
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hello.py' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'hello.py' }).first().waitFor({ timeout: 20000 });
    // the editor title's Run Recipe button (shown for recipe extensions only)
    // the task's terminal opens once the run starts
    await clickUntil(page.locator(RUN_RECIPE_BUTTON).first(), page.locator('.xterm-rows').first(), 'the Run Recipe button');
    await page
      .locator('.xterm-rows', { hasText: /Run succeeded in/ })
      .first()
      .waitFor({ timeout: 60000 });
    await page
      .locator('.xterm-rows', { hasText: /Hello from Python/ })
      .first()
      .waitFor();
    // the Runs view shows it as succeeded, on the project default
    await showViewContainer(page, 'Container Exec');
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'hello.py' }).first();
    await row.waitFor({ timeout: 20000 });
    await page
      .locator('.part.sidebar .monaco-list-row', { hasText: /python-small · local · succeeded/ })
      .first()
      .waitFor({ timeout: 20000 });
    const runs = fs.readdirSync(path.join(env('UI_WORKSPACE'), '.container-exec', 'runs'));
    // (the in-host suite's runs share this workspace: the newest run is ours)
    const newest = runs.sort().at(-1)!;
    const result = path.join(env('UI_WORKSPACE'), '.container-exec', 'runs', newest, 'out', 'result.txt');
    if (!fs.existsSync(result) || !/^computed on /.test(fs.readFileSync(result, 'utf8')))
      throw new Error(`no out/result.txt came back from run ${newest}`);
    // for the README: Daemons folded, a wider sidebar so the run's row reads in full
    await page.locator('.part.sidebar .pane-header', { hasText: 'Daemons' }).first().click();
    const sash = await page.locator('.part.sidebar').boundingBox();
    if (sash) {
      await page.mouse.move(sash.x + sash.width + 1, 430);
      await page.mouse.down();
      await page.mouse.move(sash.x + sash.width + 200, 430, { steps: 5 });
      await page.mouse.up();
    }
    await row.hover();
    await page.waitForTimeout(1500); // the terminal's size overlay fades
    await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'run-recipe.png') });
  });
});
