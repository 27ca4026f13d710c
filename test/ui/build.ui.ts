import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('Build Base Image in the terminal', function () {
  this.timeout(120000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const tag = 'local/ce-ui-build:1';

  before(async () => {
    const settings = path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(
      settings,
      JSON.stringify(
        {
          'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
          'containerExec.configurations': [
            {
              name: 'python-small',
              daemon: 'local',
              resources: { memory: '512m', cpus: 1 },
              build: { from: need('PYTHON_IMAGE'), pipPackages: [], tag },
            },
          ],
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
    execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'rmi', '-f', tag], { stdio: 'ignore' });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-build.png') }).catch(() => undefined);
  });

  it('streams the build into a task terminal and ends with a summary', async () => {
    await showViewContainer(page, 'Container Exec');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'python-small' }).first().waitFor({ timeout: 20000 });
    await runCommand(page, 'Container Exec: Build Base Image…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'python-small' }).first().click();
    // the terminal (xterm's DOM renderer in headless chromium) shows the daemon's steps, then our summary
    await page
      .locator('.xterm-rows', { hasText: /Built local\/ce-ui-build:1/ })
      .first()
      .waitFor({ timeout: 20000 });
    await page
      .locator('.xterm-rows', { hasText: /Step \d+\/\d+ : / })
      .first()
      .waitFor();
    await page.mouse.move(700, 300);
    await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'build-terminal.png') });
  });
});
