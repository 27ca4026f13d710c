import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { clickUntil, launchBrowser, openWorkbench, runCommand, showViewContainer, uiEnv as env, workbenchUrl } from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

/** The containers of a configuration on the primary daemon, asked from the test's side (the docker CLI). */
const containersOf = (configuration: string) =>
  execFileSync(
    'docker',
    ['-H', need('DOCKER_LOCAL_HOST'), 'ps', '-aq', '--filter', `label=container-exec.configuration=${configuration}`],
    {
      encoding: 'utf8',
    },
  ).trim();

/** Workspace settings for these tests: the testbed daemons and one python configuration, the project default. */
function writeSettings(configuration: string): void {
  const settings = path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(settings), { recursive: true });
  fs.writeFileSync(
    settings,
    JSON.stringify(
      {
        'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
        'containerExec.configurations': [{ name: configuration, daemon: 'local', baseImage: need('PYTHON_IMAGE') }],
        'containerExec.defaultConfiguration': configuration,
        'containerExec.stopGraceSeconds': 2,
      },
      null,
      2,
    ),
  );
}

async function open(): Promise<{ browser: Awaited<ReturnType<typeof launchBrowser>>; page: Page }> {
  const browser = await launchBrowser(env('UI_RUN_DIR'));
  const page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
  await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  return { browser, page };
}

describe('Debug Recipe in the workbench (gutter breakpoint, editor title, Variables view, step, continue)', function () {
  this.timeout(240000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const recipe = 'debugui.py';

  before(async () => {
    writeSettings('dbg-ui');
    // line 4 gets the breakpoint: n and m are locals there; line 5 is where Step Over goes
    fs.writeFileSync(
      path.join(env('UI_WORKSPACE'), recipe),
      'import os\nn = 6\nm = n * 7\nprint("value", m)\nos.makedirs("out", exist_ok=True)\nopen("out/answer.txt", "w").write(str(m))\n',
    );
    ({ browser, page } = await open());
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-debug.png') }).catch(() => undefined);
  });

  /** The editor line whose margin row is at the height of `selector` (a decoration), by the line numbers' boxes. */
  const lineOf = (selector: string) =>
    page.evaluate((sel) => {
      interface Element {
        textContent: string | null;
        getBoundingClientRect(): { top: number; height: number };
      }
      const doc = (
        globalThis as unknown as { document: { querySelector(s: string): Element | null; querySelectorAll(s: string): Iterable<Element> } }
      ).document;
      const mark = doc.querySelector(sel)?.getBoundingClientRect();
      if (!mark) return undefined;
      for (const n of doc.querySelectorAll('.part.editor .monaco-editor .margin-view-overlays .line-numbers')) {
        const box = n.getBoundingClientRect();
        if (Math.abs(box.top + box.height / 2 - (mark.top + mark.height / 2)) < box.height / 2) return Number(n.textContent);
      }
      return undefined;
    }, selector);

  it('a breakpoint clicked in the gutter stops the run there; Variables shows m = 42; Step Over moves to the next line; Continue runs to the end', async () => {
    // (a container an earlier, interrupted session left is not this session's)
    const before = new Set(containersOf('dbg-ui').split('\n'));
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: recipe }).first().click();
    await page.locator('.tabs-container .tab', { hasText: recipe }).first().waitFor({ timeout: 20000 });
    // the gutter (glyph margin) beside line 4, as a user clicks it
    const number = page.locator('.part.editor .monaco-editor .margin-view-overlays .line-numbers', { hasText: /^4$/ }).first();
    await number.waitFor({ timeout: 20000 });
    const line = (await number.boundingBox())!;
    const glyphs = (await page.locator('.part.editor .monaco-editor .glyph-margin').first().boundingBox())!;
    await page.mouse.move(glyphs.x + glyphs.width / 2, line.y + line.height / 2);
    await page.mouse.click(glyphs.x + glyphs.width / 2, line.y + line.height / 2);
    await until('the breakpoint on line 4', 10000, async () => (await lineOf('.part.editor .codicon-debug-breakpoint')) === 4);
    // Debug Recipe in the editor title; the debug toolbar shows once the session starts
    await clickUntil(
      page.locator('.editor-actions .action-item a[aria-label="Debug Recipe"]').first(),
      page.locator('.debug-toolbar').first(),
      'the Debug Recipe button',
      90000,
      45000, // a second click would start a second session: only when the first did not start at all
    );
    // stopped: the editor marks line 4 as the top stack frame, Variables lists the locals
    const top = '.part.editor .monaco-editor .view-overlays .debug-top-stack-frame-line';
    await page.locator(top).first().waitFor({ timeout: 150000 });
    assert.equal(await lineOf(top), 4);
    // the Locals scope, expanded as a user does when the workbench left it folded
    const locals = page.locator('.debug-variables .monaco-list-row', { hasText: /^\s*Locals\s*$/ }).first();
    await locals.waitFor({ timeout: 30000 });
    if ((await locals.getAttribute('aria-expanded')) !== 'true') await locals.click();
    const m = page.locator('.debug-variables .monaco-list-row', { hasText: /^\s*m\s*[:=]\s*42\s*$/ }).first();
    await m.waitFor({ timeout: 30000 });
    await page
      .locator('.debug-variables .monaco-list-row', { hasText: /^\s*n\s*[:=]\s*6\s*$/ })
      .first()
      .waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'debug-recipe.png') });
    // Step Over: the stopped line moves to 5 (the print ran)
    await page.locator('.debug-toolbar .action-item .codicon-debug-step-over').first().click();
    await until('the stopped line after Step Over', 30000, async () => (await lineOf(top)) === 5);
    // Continue: the recipe runs to its end, the session ends, the outputs came back
    await page.locator('.debug-toolbar .action-item .codicon-debug-continue').first().click();
    await page.locator('.debug-toolbar').first().waitFor({ state: 'hidden', timeout: 60000 });
    await showViewContainer(page, 'Container Exec');
    await page
      .locator('.part.sidebar .monaco-list-row', { hasText: /debug · dbg-ui · local · succeeded/ })
      .first()
      .waitFor({ timeout: 30000 });
    const runs = path.join(env('UI_WORKSPACE'), '.container-exec', 'runs');
    const answered = fs.readdirSync(runs).filter((id) => fs.existsSync(path.join(runs, id, 'out', 'answer.txt')));
    assert.ok(answered.some((id) => fs.readFileSync(path.join(runs, id, 'out', 'answer.txt'), 'utf8') === '42'));
    assert.deepEqual(
      containersOf('dbg-ui')
        .split('\n')
        .filter((id) => id && !before.has(id)),
      [],
    );
  });
});

describe('Open Shell on Configuration in the workbench (a terminal in a fresh container)', function () {
  this.timeout(180000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  before(async () => {
    writeSettings('shell-ui');
    ({ browser, page } = await open());
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-shell.png') }).catch(() => undefined);
  });

  it('python3 prints 42 in the terminal; exit removes the container', async () => {
    // (a container an earlier, interrupted session left is not this shell's)
    const before = new Set(containersOf('shell-ui').split('\n'));
    const mine = () =>
      containersOf('shell-ui')
        .split('\n')
        .filter((id) => id && !before.has(id));
    await runCommand(page, 'Container Exec: Open Shell on Configuration…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'shell-ui' }).first().click({ timeout: 30000 });
    const [shell] = await until('the shell container', 90000, () => mine().length === 1 && mine());
    assert.ok(shell);
    const terminal = page.locator('.terminal-wrapper.active .xterm').first();
    await terminal.waitFor({ timeout: 30000 });
    // the shell's prompt: the exec is open
    const rows = page.locator('.terminal-wrapper.active .xterm-rows > div');
    await rows
      .filter({ hasText: /^\s*#\s*$/ })
      .first()
      .waitFor({ timeout: 60000 });
    await terminal.click();
    await page.keyboard.type('python3 -c "print(6*7)"\n');
    // the output row is "42" alone (the typed command's row holds 6*7)
    await rows
      .filter({ hasText: /^\s*42\s*$/ })
      .first()
      .waitFor({ timeout: 60000 });
    await page.keyboard.type('exit\n');
    // the container is stopped, out/ comes back, then it is removed (the terminal closes meanwhile)
    await until('the shell container removed after exit', 60000, () => !containersOf('shell-ui').split('\n').includes(shell!));
  });
});
