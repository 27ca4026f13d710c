import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, runCommand, showViewContainer, uiEnv as env } from '../support/browser';

const ROOT = path.resolve(__dirname, '../../..');
type Demo = typeof import('../../scripts/lib/demo.mjs', { with: { 'resolution-mode': 'import' } });
type CodeServer = typeof import('../../scripts/lib/codeServer.mjs', { with: { 'resolution-mode': 'import' } });
const tools = () => ({ NODE24: env('NODE24'), CODE_SERVER: env('CODE_SERVER') });
const shot = (page: Page, file: string) => page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), file) }).catch(() => undefined);

/** A walkthrough step's button in the Getting Started editor (its state is aria-checked). */
const step = (page: Page, id: string) =>
  page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="${id}"]`).first();
const checked = (page: Page, id: string, timeout: number) =>
  page
    .locator(`.gettingStartedContainer button.getting-started-step[data-step-id$="${id}"][aria-checked="true"]`)
    .first()
    .waitFor({ timeout });

describe('Getting started', function () {
  this.timeout(300000);

  it('a fresh profile opens the walkthrough on first activation; connecting the local daemon and running hello.py complete its first two steps', async () => {
    const demo = (await import(path.join(ROOT, 'scripts/lib/demo.mjs'))) as Demo;
    const userSettings = await demo.demoUserSettings((s) => console.log(`      [npm start] ${s}`));
    const runDir = path.join(env('UI_RUN_DIR'), 'walkthrough');
    fs.rmSync(runDir, { recursive: true, force: true });
    const workspace = path.join(runDir, 'workspace');
    fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true });
    // npm start's server: a fresh profile, the walkthrough allowed to open as for a new user
    const server = await demo.startDemoServer({ tools: tools(), runDir, workspace, userSettings });
    const browser = await launchBrowser(runDir);
    const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    try {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120000 });
      const walkthrough = page.locator('.gettingStartedContainer', { hasText: 'Get started with Container Exec' }).first();
      await walkthrough.waitFor({ timeout: 90000 });
      // nothing has talked to Docker yet (no view shows a daemon): the first step is still to do
      assert.equal(await step(page, 'connectDaemon').getAttribute('aria-checked'), 'false');
      assert.equal(await step(page, 'runHello').getAttribute('aria-checked'), 'false');

      // step 1, done for real: its button shows the Daemons view, the local daemon answers
      await step(page, 'connectDaemon').locator('h3.step-title').click(); // its title: the check box would toggle it by hand
      await walkthrough.getByRole('button', { name: 'Open the Daemons View', exact: true }).click();
      await page.locator('.part.sidebar .monaco-list-row .codicon-vm-active').first().waitFor({ timeout: 60000 });
      await checked(page, 'connectDaemon', 30000);

      // step 2: its button runs hello.py; the run succeeds in its terminal
      await step(page, 'runHello').locator('h3.step-title').click();
      await walkthrough.getByRole('button', { name: 'Run hello.py', exact: true }).click();
      await page
        .locator('.xterm-rows')
        .filter({ hasText: /Run (succeeded in|\w+ after) / })
        .first()
        .waitFor({ timeout: 120000 });
      const text = (await page.locator('.xterm-rows').allInnerTexts()).join('\n');
      assert.match(text, /Run succeeded in/, `the run did not succeed; its terminal:\n${text}`);
      await checked(page, 'runHello', 30000);
      await runCommand(page, 'View: Toggle Panel Visibility'); // the run's terminal hides, for the picture
      await page
        .locator('.tabs-container .tab', { hasText: /Walkthrough|Welcome/ })
        .first()
        .click();
      await shot(page, 'walkthrough.png');
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  it('with no daemon answering, the Daemons view welcome says what to install, DOCKER_HOST, Add Daemon, Import Docker Contexts and Podman Connections', async () => {
    const { startCodeServer, freePort } = (await import(path.join(ROOT, 'scripts/lib/codeServer.mjs'))) as CodeServer;
    const runDir = path.join(env('UI_RUN_DIR'), 'no-daemon');
    fs.rmSync(runDir, { recursive: true, force: true });
    const workspace = path.join(runDir, 'workspace');
    const dockerConfig = path.join(runDir, 'docker-config'); // no Docker CLI contexts
    for (const d of [workspace, dockerConfig]) fs.mkdirSync(d, { recursive: true });
    const extensions = path.join(runDir, 'extensions');
    fs.mkdirSync(extensions);
    fs.symlinkSync(ROOT, path.join(extensions, 'container-exec.container-exec-0.0.0'));
    // the only daemon the extension finds: DOCKER_HOST on a port nothing listens on
    const env2 = { DOCKER_HOST: `tcp://127.0.0.1:${await freePort()}`, DOCKER_CONFIG: dockerConfig };
    const server = await startCodeServer({
      tools: tools(),
      runDir,
      workspace,
      extensionsDir: extensions,
      smokeTestDriver: false,
      env: env2,
    });
    const browser = await launchBrowser(runDir);
    const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    try {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120000 });
      await showViewContainer(page, 'Container Exec');
      const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'No Docker daemon answers' }).first();
      await welcome.waitFor({ timeout: 60000 });
      const text = await welcome.innerText();
      for (const words of ['Install Docker Engine', 'DOCKER_HOST'])
        assert.ok(text.includes(words), `the welcome lacks "${words}":\n${text}`);
      for (const name of ['Test Connection', 'Add Daemon', 'Import Docker Contexts and Podman Connections'])
        await welcome.getByRole('button', { name, exact: true }).waitFor({ timeout: 5000 });
      await welcome.getByText('Get Started', { exact: true }).waitFor({ timeout: 5000 }); // a link in its sentence
      await shot(page, 'daemons-welcome.png');
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
