import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchBrowser, showViewContainer, uiEnv as env } from '../support/browser';

const ROOT = path.resolve(__dirname, '../../..');
describe('packaged extension', function () {
  this.timeout(120000);

  it('the .vsix installs into code-server and activates from its view', async () => {
    const vsix = path.join(ROOT, 'dist/container-exec.vsix');
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: "npm run vsix" makes it`);
    const runDir = path.join(env('UI_RUN_DIR'), 'vsix');
    const tools = { NODE24: env('NODE24'), CODE_SERVER: env('CODE_SERVER') };
    const extensionsDir = path.join(runDir, 'extensions');
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    execFileSync(
      tools.NODE24,
      [tools.CODE_SERVER, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(runDir, 'ud'), '--install-extension', vsix],
      { stdio: 'pipe' },
    );
    const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('container-exec.container-exec-'));
    assert.equal(installed.length, 1, `installed: ${fs.readdirSync(extensionsDir)}`);
    assert.ok(fs.existsSync(path.join(extensionsDir, installed[0]!, 'dist/extension.js')));

    const { startCodeServer } = (await import(path.join(ROOT, 'scripts/lib/codeServer.mjs'))) as typeof import(
      '../../scripts/lib/codeServer.mjs',
      { with: { 'resolution-mode': 'import' } }
    );
    const server = await startCodeServer({ tools, runDir, workspace: env('UI_WORKSPACE'), extensionsDir, smokeTestDriver: false });
    const browser = await launchBrowser(runDir);
    try {
      const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
      await page.goto(`${server.url}/?folder=${encodeURIComponent(env('UI_WORKSPACE'))}`, { timeout: 120000 });
      await showViewContainer(page, 'Container Exec');
      // opening the view activates the installed extension, which lists the local daemon, connected
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'local' }).first().waitFor({ timeout: 30000 });
      await page.locator('.part.sidebar .monaco-list-row .codicon-vm-active').first().waitFor({ timeout: 30000 });
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
