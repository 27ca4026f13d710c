import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { jupyterImage, testbedDaemonSettings } from '../support/testbed';

const PLOT = [
  '%matplotlib inline',
  'import numpy as np, matplotlib.pyplot as plt, platform',
  'x = np.linspace(0, 4 * np.pi, 400)',
  'plt.plot(x, np.sin(x) * np.exp(-x / 8))',
  'plt.title(f"computed on {platform.node()} (container)")',
  'plt.show()',
].join('\n');

describe('A notebook in the workbench on a Container Exec kernel', function () {
  this.timeout(240000);
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
          'containerExec.configurations': [{ name: 'notebook-py', daemon: 'local', baseImage: jupyterImage() }],
          'containerExec.defaultConfiguration': 'notebook-py',
          'containerExec.stopGraceSeconds': 2,
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(
      path.join(env('UI_WORKSPACE'), 'plot.ipynb'),
      JSON.stringify({
        cells: [{ cell_type: 'code', source: PLOT, metadata: {}, outputs: [], execution_count: null }],
        metadata: { language_info: { name: 'python' } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => {
    await runCommand(page, 'Container Exec: Shut Down Kernel').catch(() => undefined);
    await browser?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-notebook.png') }).catch(() => undefined);
  });

  it('the Container Exec kernel selected, Run All draws a matplotlib plot computed in the container', async () => {
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'plot.ipynb' }).first().click();
    await page.locator('.notebook-editor').first().waitFor({ timeout: 30000 });
    await runCommand(page, 'Notebook: Select Notebook Kernel');
    const kernel = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Container Exec: notebook-py' }).first();
    await kernel.waitFor({ timeout: 30000 });
    // by the keyboard: the row's hover (its description) may lie over it, and it may already be the selected one
    await page.locator('.quick-input-widget input').fill('Container Exec: notebook-py');
    await page.keyboard.press('Enter');
    await page
      .locator('.notebook-editor .kernel-label, .notebook-editor [aria-label*="Container Exec: notebook-py"], .statusbar', {
        hasText: /notebook-py/,
      })
      .first()
      .waitFor({ timeout: 20000 })
      .catch(() => undefined); // where the toolbar shows the kernel differs by version: the run below is the check
    await runCommand(page, 'Notebook: Run All');
    await page.locator('.notebook-editor .codicon-notebook-state-success').first().waitFor({ timeout: 180000 });
    // the plot is drawn in the output's webview: give it a moment to lay out
    await page.locator('.notebook-editor .output, .notebook-editor webview, .notebook-editor iframe').first().waitFor({ timeout: 20000 });
    await page.waitForTimeout(3000);
    await showViewContainer(page, 'Container Exec');
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'notebook.png') });
  });
});
