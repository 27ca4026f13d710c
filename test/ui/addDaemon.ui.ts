import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need } from '../support/testbed';

describe('Add Daemon (quick input + file dialog)', function () {
  this.timeout(120000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const settingsFile = () => path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');

  before(async () => {
    // a hand-written (invalid) entry that saving must keep as it is
    fs.mkdirSync(path.dirname(settingsFile()), { recursive: true });
    fs.writeFileSync(settingsFile(), JSON.stringify({ 'containerExec.daemons': [{ id: 'broken', host: 'tcp://no-port-here' }] }, null, 2));
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page
        .screenshot({ path: path.join(env('SCREENSHOT_DIR'), `failure-${this.currentTest.title.replace(/\W+/g, '-')}.png`) })
        .catch(() => undefined);
  });

  it('adds a TLS daemon with a certificate folder picked in the file dialog, tests it and saves it to workspace settings', async () => {
    const input = page.locator('.quick-input-widget input');
    const pick = async (text: string) => {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor();
      await input.fill(text);
      await page.keyboard.press('Enter');
    };
    await runCommand(page, 'Container Exec: Add Daemon…');
    await page.locator('.quick-input-widget', { hasText: 'Add Daemon (1/3)' }).waitFor();
    await input.fill('tcp://127.0.0.1:nope');
    await page.locator('.quick-input-message', { hasText: 'malformed address or port' }).waitFor(); // validated as typed
    await input.fill(need('DOCKER_TLS_HOST'));
    await page.keyboard.press('Enter');
    await pick('TLS, verify the daemon');
    // the folder dialog (VS Code's own "simple" dialog in the browser): type the folder, accept it
    await page.locator('.quick-input-widget', { hasText: 'Certificate folder' }).waitFor();
    // the dialog fills in its start folder once it has read it: type the path after that, and check it held
    const folder = `${need('DOCKER_TLS_CERT_PATH')}/`;
    for (let i = 0; i < 50 && (await input.inputValue()) !== folder; i++) {
      if (i > 0 || (await input.inputValue())) await input.fill(folder);
      await page.waitForTimeout(200);
    }
    assert.equal(await input.inputValue(), folder);
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use this folder' }).first().click();
    await page.locator('.quick-input-widget', { hasText: 'Add Daemon (3/3)' }).waitFor();
    await input.fill('tls-added');
    await page.keyboard.press('Enter');
    await pick('Workspace settings');
    for (let i = 0; i < 100 && !/tls-added/.test(fs.existsSync(settingsFile()) ? fs.readFileSync(settingsFile(), 'utf8') : ''); i++)
      await page.waitForTimeout(100);
    const saved = JSON.parse(fs.readFileSync(settingsFile(), 'utf8'))['containerExec.daemons'] as { id: string }[];
    const added = saved.find((d) => d.id === 'tls-added');
    assert.deepEqual(added, {
      id: 'tls-added',
      host: need('DOCKER_TLS_HOST'),
      tls: { enabled: true, verify: true, certPath: need('DOCKER_TLS_CERT_PATH') },
    });
    assert.deepEqual(saved[0], { id: 'broken', host: 'tcp://no-port-here' }, 'the invalid entry written by hand is kept');
    // the new daemon shows up, connected
    await showViewContainer(page, 'Container Exec');
    const row = page.locator('.part.sidebar .monaco-list-row', { has: page.locator('.label-name', { hasText: 'tls-added' }) });
    await row.locator('.codicon-vm-active').waitFor({ timeout: 20000 });
  });
});
