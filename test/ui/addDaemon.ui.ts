import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need } from '../support/testbed';

describe('Add Daemon and Edit Connection (quick input + file dialog)', function () {
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

  const input = () => page.locator('.quick-input-widget input');
  const pick = async (text: string) => {
    await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor();
    await input().fill(text);
    await page.keyboard.press('Enter');
  };
  const daemonRow = (id: string) =>
    page.locator('.part.sidebar .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${id}$`) }) });

  it('adds a TLS daemon with a certificate folder picked in the file dialog, tests it and saves it to workspace settings', async () => {
    await runCommand(page, 'Container Exec: Add Daemon…');
    await page.locator('.quick-input-widget', { hasText: 'Add Daemon (1/3)' }).waitFor();
    await input().fill('tcp://127.0.0.1:nope');
    await page.locator('.quick-input-message', { hasText: 'malformed address or port' }).waitFor(); // validated as typed
    await input().fill(need('DOCKER_TLS_HOST'));
    await page.keyboard.press('Enter');
    await pick('TLS, verify the daemon');
    // the folder dialog (VS Code's own "simple" dialog in the browser): type the folder, accept it
    await page.locator('.quick-input-widget', { hasText: 'Certificate folder' }).waitFor();
    // the dialog fills in its start folder once it has read it: type the path after that, and check it held
    const folder = `${need('DOCKER_TLS_CERT_PATH')}/`;
    for (let i = 0; i < 50 && (await input().inputValue()) !== folder; i++) {
      if (i > 0 || (await input().inputValue())) await input().fill(folder);
      await page.waitForTimeout(200);
    }
    assert.equal(await input().inputValue(), folder);
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use this folder' }).first().click();
    await page.locator('.quick-input-widget', { hasText: 'Add Daemon (3/3)' }).waitFor();
    await input().fill('tls-added');
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

  it("Edit Connection changes the daemon's host in place in the settings it came from, keeps its other keys and the other daemons and user settings, and the daemon reconnects", async () => {
    const userFile = env('UI_USER_SETTINGS');
    // VS Code rewrites settings files in place (truncate, then write): a read may catch one half-written
    const settingsIn = async (file: string): Promise<Record<string, unknown> | undefined> => {
      for (let i = 0; i < 50; i++) {
        try {
          return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
        } catch {
          await page.waitForTimeout(100);
        }
      }
      throw new Error(`${file} stayed unreadable JSON for 5 s`);
    };
    // the workbench itself rewrites other keys of the user settings (a theme's name): only ours are compared
    const userDaemons = async () => (await settingsIn(userFile))?.['containerExec.daemons'];
    const userBefore = await userDaemons();
    const entries = [
      { id: 'broken', host: 'tcp://no-port-here' },
      { id: 'edit-me', label: 'Edited Box' /* a key the form does not ask about */, host: 'tcp://127.0.0.1:1', timeoutMs: 4000 },
      { id: 'left-alone', host: need('DOCKER_TCP_HOST') },
    ];
    fs.writeFileSync(settingsFile(), JSON.stringify({ 'containerExec.daemons': entries }, null, 2));
    await showViewContainer(page, 'Container Exec');
    await daemonRow('Edited Box').filter({ hasText: 'unreachable' }).waitFor({ timeout: 30000 });
    await daemonRow('left-alone').locator('.codicon-vm-active').waitFor({ timeout: 30000 });

    await runCommand(page, 'Container Exec: Edit Connection…');
    await pick('edit-me');
    await page.locator('.quick-input-widget', { hasText: 'Edit Connection (1/3)' }).waitFor();
    assert.equal(await input().inputValue(), 'tcp://127.0.0.1:1', 'the form starts from the saved host');
    await input().fill(need('DOCKER_TCP_HOST'));
    await page.keyboard.press('Enter');
    await pick('No TLS');
    await page.locator('.quick-input-widget', { hasText: 'Edit Connection (3/3)' }).waitFor();
    assert.equal(await input().inputValue(), 'edit-me', 'the form starts from the saved id');
    await page.keyboard.press('Enter');

    const saved = async () => (await settingsIn(settingsFile()))?.['containerExec.daemons'] as { id: string; host: string }[];
    for (let i = 0; i < 100 && (await saved())[1]?.host !== need('DOCKER_TCP_HOST'); i++) await page.waitForTimeout(100);
    assert.deepEqual(await saved(), [entries[0], { ...entries[1], host: need('DOCKER_TCP_HOST') }, entries[2]]);
    assert.deepEqual(await userDaemons(), userBefore, 'the daemons in user settings changed');
    // the edited daemon reconnects at its new address, under the same id and label (one row)
    await daemonRow('Edited Box').locator('.codicon-vm-active').waitFor({ timeout: 30000 });
    assert.equal(await daemonRow('Edited Box').count(), 1);
  });
});
