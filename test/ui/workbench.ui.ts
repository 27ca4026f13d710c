import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import {
  launchBrowser,
  openWorkbench,
  runCommand,
  showNotifications,
  showViewContainer,
  uiEnv as env,
  workbenchUrl,
} from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('workbench UI', function () {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const shots = () => env('SCREENSHOT_DIR');

  before(async () => {
    const vscodeDir = path.join(env('UI_WORKSPACE'), '.vscode');
    fs.mkdirSync(vscodeDir, { recursive: true });
    fs.writeFileSync(path.join(vscodeDir, 'settings.json'), JSON.stringify({ 'containerExec.daemons': testbedDaemonSettings() }, null, 2));
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page
        .screenshot({ path: path.join(shots(), `failure-${this.currentTest.title.replace(/\W+/g, '-')}.png`) })
        .catch(() => undefined);
  });

  it('shows the Container Exec container with Daemons, Execution Configurations and Runs', async () => {
    await showViewContainer(page, 'Container Exec');
    const sidebar = page.locator('.part.sidebar');
    await sidebar.locator('.title-label', { hasText: /Container Exec/i }).waitFor();
    const headers = sidebar.locator('.pane-header .title');
    await headers.first().waitFor();
    assert.deepEqual(
      (await headers.allInnerTexts()).map((t) => t.trim().toUpperCase()),
      ['DAEMONS', 'EXECUTION CONFIGURATIONS', 'RUNS'],
    );
    // each view starts with its welcome content
    await sidebar.locator('.welcome-view-content', { hasText: 'Execution configurations' }).waitFor();
    await sidebar.locator('.welcome-view-content', { hasText: 'Runs of workspace recipes' }).waitFor();
    fs.mkdirSync(shots(), { recursive: true });
    await page.screenshot({ path: path.join(shots(), 'views.png') });
  });

  it('shows all testbed daemons at once; one expands to Info, Images, Containers, Volumes', async () => {
    const cli = ['-H', need('DOCKER_TCP_HOST')];
    const id = execFileSync(
      'docker',
      [
        ...cli,
        'run',
        '-d',
        '--name',
        'train-model',
        '--label',
        'container-exec.configuration=gpu-small',
        '--label',
        'container-exec.recipe=train.py',
        need('BUSYBOX_IMAGE'),
        'sleep',
        '60',
      ],
      { encoding: 'utf8' },
    ).trim();
    try {
      await showViewContainer(page, 'Container Exec');
      const sidebar = page.locator('.part.sidebar');
      const row = (text: string | RegExp) =>
        sidebar.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: text }) }).first();
      for (const name of ['tcp (plain)', 'tls (cert folder)', 'tls-files', 'ssh', 'blackholed', 'broken', 'Local'])
        await row(name).waitFor({ timeout: 20000 });
      // connected daemons show the connected icon; the blackholed one turns unreachable
      await row('tcp (plain)').locator('.codicon-vm-active').waitFor({ timeout: 20000 });
      await row('blackholed').locator('.label-description', { hasText: 'unreachable' }).waitFor({ timeout: 20000 });
      await row('tcp (plain)').click();
      for (const g of ['Info', 'Images', 'Containers', 'Volumes']) await row(new RegExp(`^${g}$`)).waitFor();
      await row(/^Containers$/).click();
      await row('train-model').waitFor({ timeout: 10000 });
      assert.match(await row('train-model').locator('.label-description').innerText(), /gpu-small · train\.py/);
      await row(/^Info$/).click();
      await row('Runtimes').waitFor();
      assert.match(await row('Runtimes').locator('.label-description').innerText(), /nvidia \[GPU\]/);
      await row(/^Info$/).click(); // collapse Info again, and the other views, for the picture
      for (const pane of ['Execution Configurations', 'Runs']) await sidebar.locator('.pane-header', { hasText: pane }).click();
      await page.mouse.move(700, 400);
      await page.screenshot({ path: path.join(shots(), 'daemons.png') });
    } finally {
      execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'rm', '-f', id]);
    }
  });

  it('Test Connection from the palette reports the default daemon in a notification', async () => {
    await runCommand(page, 'Container Exec: Test Connection');
    await showNotifications(page);
    const note = page.locator('.notifications-center .notification-list-item', { hasText: /\(unix:\/\/.*\): Docker \d+\.\d+/ });
    await note.waitFor({ timeout: 20000 });
    assert.match(await note.innerText(), /API 1\.\d+/);
    await page.screenshot({ path: path.join(shots(), 'test-connection.png') });
    await page.keyboard.press('Escape');
  });
});
