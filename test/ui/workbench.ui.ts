import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, workbenchUrl } from '../support/browser';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run the UI suite through "npm test"`);
  return v;
};

describe('workbench UI', function () {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const shots = () => env('SCREENSHOT_DIR');

  before(async () => {
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await page.screenshot({ path: path.join(shots(), `failure-${this.currentTest.title.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
  });

  it('shows the Container Exec container with Daemons, Execution Configurations and Runs', async () => {
    const item = page.locator('.activitybar .action-item a[aria-label^="Container Exec"]');
    await item.waitFor({ timeout: 60000 });
    await item.click();
    const sidebar = page.locator('.part.sidebar');
    await sidebar.locator('.title-label', { hasText: /Container Exec/i }).waitFor();
    const headers = sidebar.locator('.pane-header .title');
    await headers.first().waitFor();
    assert.deepEqual((await headers.allInnerTexts()).map((t) => t.trim().toUpperCase()), ['DAEMONS', 'EXECUTION CONFIGURATIONS', 'RUNS']);
    // each view starts with its welcome content
    await sidebar.locator('.welcome-view-content', { hasText: 'Docker daemons you connect to appear here' }).waitFor();
    await sidebar.locator('.welcome-view-content', { hasText: 'Execution configurations' }).waitFor();
    await sidebar.locator('.welcome-view-content', { hasText: 'Runs of workspace recipes' }).waitFor();
    fs.mkdirSync(shots(), { recursive: true });
    await page.screenshot({ path: path.join(shots(), 'views.png') });
  });

  it('Check Local Daemon from the palette reports the daemon in a notification', async () => {
    await runCommand(page, 'Container Exec: Check Local Daemon');
    // the smoke-test driver suppresses toasts: read the Notifications center
    await runCommand(page, 'Notifications: Show Notifications');
    const note = page.locator('.notifications-center .notification-list-item', { hasText: /Local daemon unix:\/\/.*: Docker \d+\.\d+/ });
    await note.waitFor({ timeout: 20000 });
    assert.match(await note.innerText(), /API 1\.\d+/);
    await page.screenshot({ path: path.join(shots(), 'check-local-daemon.png') });
    await page.keyboard.press('Escape');
  });
});
