// Run Sweep… on a sweep file: its results table (webview) fills as the trials end, with their metrics,
// the best of each marked, sorted by a clicked header (the README's picture).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

/** A short "training": a loss and an accuracy from the learning rate and the batch size. */
const TRAIN = `import json, os, time
lr, batch = float(os.environ["SWEEP_LR"]), int(os.environ["SWEEP_BATCH"])
time.sleep(1)
os.makedirs("out", exist_ok=True)
loss = round(abs(lr - 0.01) * 10 + 32 / batch * 0.1, 4)
json.dump({"loss": loss, "accuracy": round(1 - loss / 2, 4)}, open("out/metrics.json", "w"))
print("loss", loss)
`;

describe('sweep results table (webview)', function () {
  this.timeout(180000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const ws = () => env('UI_WORKSPACE');
  const settingsFile = () => path.join(ws(), '.vscode', 'settings.json');
  const table = (): FrameLocator =>
    page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
  const shot = (name: string) => page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), name) });

  before(async () => {
    fs.mkdirSync(path.dirname(settingsFile()), { recursive: true });
    fs.writeFileSync(
      settingsFile(),
      JSON.stringify(
        {
          'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
          'containerExec.configurations': [{ name: 'sweep-cpu', daemon: 'local', baseImage: need('PYTHON_IMAGE') }],
          'workbench.colorTheme': 'Default Light Modern',
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(path.join(ws(), 'train_sweep.py'), TRAIN);
    fs.writeFileSync(
      path.join(ws(), 'lr.sweep.json'),
      JSON.stringify(
        { recipe: 'train_sweep.py', configuration: 'sweep-cpu', matrix: { lr: [0.1, 0.01, 0.001], batch: [32, 64] }, maxParallel: 3 },
        null,
        2,
      ),
    );
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), ws(), env('EXT_DIR')));
  });
  after(async () => {
    await browser?.close();
    for (const f of ['train_sweep.py', 'lr.sweep.json']) fs.rmSync(path.join(ws(), f), { force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await shot('failure-sweep-table.png').catch(() => undefined);
  });

  it('Run Sweep… opens the results table: a row per trial with its metrics, the best marked, sorted by a clicked header', async () => {
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'lr.sweep.json' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'lr.sweep.json' }).first().waitFor({ timeout: 20000 });
    await runCommand(page, 'Container Exec: Run Sweep…');
    // every trial ended well, each with its loss and accuracy
    await table()
      .locator('#summary', { hasText: /^Sweep succeeded: 6 succeeded/ })
      .waitFor({ timeout: 120000 });
    const headers = await table().locator('th').allInnerTexts();
    assert.deepEqual(headers.slice(0, 10), [
      'trial ▲',
      'lr',
      'batch',
      'state',
      'daemon',
      'seconds',
      'exit_code',
      'attempts',
      'loss',
      'accuracy',
    ]);
    assert.equal(await table().locator('tbody tr').count(), 6);
    // the best loss (lr 0.01, batch 64) and the best accuracy are the same row
    assert.deepEqual(await table().locator('td.best').allInnerTexts(), ['0.05 ★', '0.975 ★']);
    await table().locator('th', { hasText: /^loss/ }).click();
    assert.deepEqual((await table().locator('tbody tr td:nth-child(9)').allInnerTexts()).slice(0, 2), ['0.05 ★', '0.1']);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await showViewContainer(page, 'Container Exec');
    // the views settled for the picture: the configuration listed, no daemon still connecting (each has a deadline)
    const sidebar = page.locator('.part.sidebar');
    await sidebar.locator('.monaco-list-row', { hasText: 'sweep-cpu' }).first().waitFor({ timeout: 30000 });
    const connecting = sidebar.locator('.monaco-list-row', { hasText: 'connecting…' });
    for (const t0 = Date.now(); (await connecting.count()) && Date.now() - t0 < 30000;) await page.waitForTimeout(250);
    // the pointer off the activity bar (its tooltip) and off the rows (their hover colour)
    await page
      .locator('iframe.webview.ready')
      .last()
      .hover({ position: { x: 300, y: 500 } });
    await page.waitForTimeout(300);
    await shot('sweep-results.png');
  });
});
