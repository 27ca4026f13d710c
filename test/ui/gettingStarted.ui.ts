import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

/**
 * This walkthrough's own page: its title in the detail view of the Getting Started editor (VS Code's Welcome page
 * also names it, in its list of walkthroughs).
 */
const ourWalkthrough = (page: Page) =>
  page.locator('.gettingStartedContainer .gettingStartedSlideDetails h2.category-title', { hasText: 'Get started with Container Exec' });
/** An editor tab by its label; `.active`: the one its group shows. */
const tab = (page: Page, label: string | RegExp, which = '') => page.locator(`.tabs-container .tab${which}`, { hasText: label }).first();
const tabLabels = async (page: Page) =>
  (
    await page
      .locator('.tabs-container .tab')
      .evaluateAll((ts) => ts.map((t) => `${t.textContent}${t.classList.contains('active') ? ' (active)' : ''}`))
  ).join(', ');

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
      await ourWalkthrough(page).waitFor({ timeout: 90000 });
      const walkthrough = page.locator('.gettingStartedContainer').first();
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
      await runCommand(page, 'Container Exec: Get Started'); // back to its page, for the picture
      await ourWalkthrough(page).waitFor({ timeout: 30000 });
      await checked(page, 'runHello', 30000);
      await shot(page, 'walkthrough.png');
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  it('installed while hello.py is open, its first activation opens the walkthrough behind the editor, which stays active; the next start does not open it', async () => {
    const vsix = path.join(ROOT, 'dist/container-exec.vsix');
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: "npm run vsix" makes it`);
    const demo = (await import(path.join(ROOT, 'scripts/lib/demo.mjs'))) as Demo;
    const { startCodeServer, freePort } = (await import(path.join(ROOT, 'scripts/lib/codeServer.mjs'))) as CodeServer;
    const runDir = path.join(env('UI_RUN_DIR'), 'walkthrough-starts');
    fs.rmSync(runDir, { recursive: true, force: true });
    const workspace = path.join(runDir, 'workspace');
    fs.cpSync(path.join(ROOT, 'demo'), workspace, { recursive: true });
    const extensionsDir = path.join(runDir, 'extensions');
    fs.mkdirSync(extensionsDir);
    const userSettings = { 'workbench.welcomePage.walkthroughs.openOnInstall': true, ...(await demo.demoUserSettings(() => undefined)) };
    // one profile started three times: the same user data, extensions, port and browser profile (VS Code for the
    // browser keeps extensions' globalState and the open editors in the browser's IndexedDB, per origin)
    const port = await freePort();
    let starts = 0;
    const start = async (what: (page: Page) => Promise<void>) => {
      const server = await startCodeServer({
        tools: tools(),
        runDir,
        workspace,
        port,
        extensionsDir,
        smokeTestDriver: false,
        userSettings,
        keepState: true,
      });
      const browser = await launchBrowser(runDir, undefined, path.join(runDir, 'browser-profile'));
      const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
      const n = ++starts;
      try {
        await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120000 });
        await what(page).catch(async (e: unknown) => {
          await shot(page, `walkthrough-start-${n}-failed.png`);
          throw e;
        });
        await page.goto('about:blank'); // the window closes: the workbench saves its state
      } finally {
        await browser.close();
        await server.stop();
      }
    };
    const helloActive = (page: Page) => tab(page, 'hello.py', '.active').waitFor({ timeout: 90000 });
    // the walkthrough's editor is VS Code's Getting Started editor, its tab named Welcome
    const welcomeTab = (page: Page) => page.locator('.tabs-container .tab', { hasText: /^\s*Welcome\s*$/ });
    // a window reload saves the workbench's state (its storage is flushed before it unloads) and activates the extension again
    const reload = async (page: Page) => {
      await runCommand(page, 'Developer: Reload Window');
      await helloActive(page);
    };
    // the extension has activated (the Daemons view lists the local daemon, connected), then whatever it opened has opened
    const activated = async (page: Page) => {
      await showViewContainer(page, 'Container Exec');
      await page.locator('.part.sidebar .monaco-list-row .codicon-vm-active').first().waitFor({ timeout: 90000 });
      await page.waitForTimeout(5000);
    };
    const notOpened = async (page: Page, when: string) => {
      for (const t of await welcomeTab(page).all()) {
        await t.click();
        await page.locator('.gettingStartedContainer').first().waitFor({ timeout: 10000 });
        assert.equal(await ourWalkthrough(page).count(), 0, `${when}, the walkthrough opened again (tabs: ${await tabLabels(page)})`);
      }
    };

    // 1. Container Exec not installed yet: the user opens hello.py from the Explorer (a preview tab, a single click)
    await start(async (page) => {
      await showViewContainer(page, 'Explorer');
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'hello.py' }).first().click();
      await helloActive(page);
      await reload(page);
    });
    // the user installs it (code --install-extension)
    execFileSync(
      env('NODE24'),
      [
        env('CODE_SERVER'),
        '--extensions-dir',
        extensionsDir,
        '--user-data-dir',
        path.join(runDir, 'code-server/user-data'),
        '--install-extension',
        vsix,
      ],
      { stdio: 'pipe' },
    );

    // 2. the next start restores hello.py; the extension's first activation opens the walkthrough in a tab behind it
    await start(async (page) => {
      await helloActive(page);
      await welcomeTab(page)
        .first()
        .waitFor({ timeout: 90000 })
        .catch(async (e: unknown) => assert.fail(`no walkthrough tab (tabs: ${await tabLabels(page)}): ${String(e)}`));
      await activated(page);
      assert.match(await tabLabels(page), /hello\.py \(active\)/, 'the walkthrough took the editor from hello.py');
      await shot(page, 'walkthrough-behind-editor.png');
      await welcomeTab(page).first().click(); // it is ours
      await ourWalkthrough(page).waitFor({ timeout: 30000 });
      await welcomeTab(page).first().locator('.tab-actions .action-label').click(); // the user closes it (its tab's ×)
      await welcomeTab(page).first().waitFor({ state: 'detached', timeout: 10000 });
      // a window reload: the extension activates again
      await reload(page);
      await activated(page);
      await notOpened(page, 'after a window reload');
    });

    // 3. the same profile started again
    await start(async (page) => {
      await helloActive(page);
      await activated(page);
      await notOpened(page, 'at the next start');
    });
  });

  it('with no daemon answering, the Daemons view welcome says what to install, DOCKER_HOST, the Podman socket, Add Daemon, Import Docker Contexts and Podman Connections', async () => {
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
      const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: 'No Docker daemon or Podman socket answers' }).first();
      await welcome.waitFor({ timeout: 60000 });
      const text = await welcome.innerText();
      for (const words of ['Install Docker Engine', 'DOCKER_HOST', 'systemctl enable --now podman.socket', 'rootless: add --user'])
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
