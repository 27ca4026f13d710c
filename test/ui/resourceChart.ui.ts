// Show Resource Usage on a running run: the uPlot chart webview, in the light and the dark theme (README pictures).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { clickUntil, launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('resource usage chart (webview)', function () {
  this.timeout(150000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const settingsFile = () => path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
  const chart = (): FrameLocator =>
    page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
  const shot = (name: string) => page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), name) });
  const writeSettings = (theme: string) =>
    fs.writeFileSync(
      settingsFile(),
      JSON.stringify(
        {
          'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
          'containerExec.configurations': [
            { name: 'train-512m', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '512m', cpus: 1 } },
          ],
          'containerExec.defaultConfiguration': 'train-512m',
          'workbench.colorTheme': theme,
        },
        null,
        2,
      ),
    );

  before(async () => {
    fs.mkdirSync(path.dirname(settingsFile()), { recursive: true });
    writeSettings('Default Light Modern');
    // memory that grows by 12 MB a second, CPU busy about half the time, a little disk: 40 s
    fs.writeFileSync(
      path.join(env('UI_WORKSPACE'), 'train.py'),
      [
        'import os, time',
        'chunks = []',
        'for step in range(40):',
        '    t = time.time()',
        '    while time.time() - t < 0.5: pass',
        '    chunks.append(bytearray(os.urandom(12 * 1024 * 1024)))',
        '    with open(f"/tmp/ckpt-{step % 3}", "wb") as f: f.write(chunks[-1][:4 * 1024 * 1024]); f.flush(); os.fsync(f.fileno())',
        '    print(f"step {step}: {len(chunks) * 12} MB held", flush=True)',
        '    time.sleep(0.5)',
        '',
      ].join('\n'),
    );
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(path.join(env('UI_WORKSPACE'), 'train.py'), { force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await shot('failure-resource-chart.png').catch(() => undefined);
  });

  it('Show Resource Usage of Running Runs draws CPU, memory with its limit, network and block I/O live, in light and dark', async () => {
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'train.py' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'train.py' }).first().waitFor({ timeout: 20000 });
    await clickUntil(
      page.locator('.editor-actions .action-item a[aria-label="Run Recipe"]').first(),
      page.locator('.xterm-rows').first(),
      'the Run Recipe button',
    );
    await page
      .locator('.xterm-rows', { hasText: /step 3:/ })
      .first()
      .waitFor({ timeout: 60000 });
    await runCommand(page, 'Container Exec: Show Resource Usage of Running Runs');
    await chart().locator('#runs', { hasText: 'train.py · train-512m' }).waitFor({ timeout: 30000 });
    assert.equal(await chart().locator('.uplot').count(), 4);
    // twelve seconds of samples or more: the lines have a shape
    await chart()
      .locator('body')
      .evaluate(
        (b) =>
          new Promise<void>((resolve) => {
            const check = () => (Number(b.dataset.points) >= 12 ? resolve() : setTimeout(check, 250));
            check();
          }),
      );
    assert.deepEqual(await chart().locator('.u-title').allInnerTexts(), [
      'CPU (% of one CPU)',
      'Memory',
      'Network (per second)',
      'Block I/O (per second)',
    ]);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    await shot('resource-usage-light.png');
    writeSettings('Default Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 10000 });
    await page.waitForTimeout(1000); // the page rebuilds its charts in the theme's colours
    // the page itself switched: VS Code marks the webview's body and hands it the dark theme's --vscode-* colours
    await chart().locator('body.vscode-dark').waitFor({ timeout: 10000 });
    await shot('resource-usage-dark.png');
    writeSettings('Default Light Modern');
    await showViewContainer(page, 'Container Exec');
  });
});
