// Headless Debian chromium driven by playwright-core (no browser download), with flags that keep it off
// the network, and the workbench URL that loads the extension under development. Used by the UI suite
// and by scripts/test.mjs / bench.mjs to run suites inside the extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { BROWSER_CLICK, CLICK_PLACES, type ClickPlace } from './browserClick';

/** A fresh browser profile, removed on close; or `keepProfile`, a folder kept (its IndexedDB holds the workbench's state). */
export async function launchBrowser(runDir: string, chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium', keepProfile?: string) {
  fs.mkdirSync(keepProfile ?? runDir, { recursive: true });
  const profile = keepProfile ?? fs.mkdtempSync(path.join(runDir, 'chrome-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 860 },
    env: { ...process.env, XDG_CONFIG_HOME: `${profile}/xdg-config`, XDG_CACHE_HOME: `${profile}/xdg-cache` } as Record<string, string>,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    ctx,
    close: async () => {
      await ctx.close().catch(() => undefined);
      if (!keepProfile) fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The workbench URL on `folder`, loading `extDir` as the extension under development, optionally running `testsModule`. */
export function workbenchUrl(serverUrl: string, folder: string, extDir: string, testsModule?: string): string {
  const authority = new URL(serverUrl).host;
  const remote = (p: string) => `vscode-remote://${authority}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extDir)]];
  if (testsModule) payload.push(['extensionTestsPath', remote(testsModule)]);
  return `${serverUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Waits for a button of the workbench (asked for by an in-host test, askBrowserToClick) and clicks it, as a user would. */
async function clickForHost(page: Page, label: string, place: string): Promise<void> {
  const where = CLICK_PLACES[place as ClickPlace];
  if (!where) throw new Error(`no place "${place}" in CLICK_PLACES`);
  const button = page.locator(where).locator('.monaco-button', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  await button.first().click({ timeout: 60000 });
}

/**
 * Opens the workbench with extensionTestsPath and waits for the host's mocha to finish; the extension
 * host's console reaches `onLog`. Resolves with the exit code the workbench reports (0 pass, 1 fail).
 */
export async function runInHost(
  ctx: BrowserContext,
  url: string,
  opts: { timeoutMs?: number; onLog?: (s: string) => void } = {},
): Promise<number | 'timeout'> {
  const { timeoutMs = 600000, onLog = console.log } = opts; // a deadline for a hung host, not a measure: a loaded machine takes minutes
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const done = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    void page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      const asked = BROWSER_CLICK.exec(text);
      if (asked)
        void clickForHost(page, asked[1]!, asked[2]!).catch(async (e: unknown) => {
          // what the workbench showed instead, for the failing test's reader
          const shot = path.join(process.env.TEST_RESULTS_DIR ?? 'test-results', `click-failed-${Date.now()}.png`);
          await page.screenshot({ path: shot }).catch(() => undefined);
          onLog(`could not click for the host (screenshot ${shot}): ${String(e)}`);
        });
      // the workbench forwards the extension host's console (mocha's reporter); the gallery is offline here
      if (
        !/open-vsx\.org|marketplace|ENOTFOUND/.test(text) &&
        (type === 'error' || /^\s*(✔|✓|\d+\)|\d+ (passing|failing|pending))|^\s{2,}\S/.test(text))
      )
        onLog(text);
    });
  });
  await page.goto(url, { timeout: 120000 }); // a loaded machine serves the workbench slowly
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for the workbench to be restored (smoke-test driver) and the extension's activity-bar item to show:
 * its contributions (views, commands) are registered from then on.
 */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: 120000 }); // a loaded machine serves the workbench slowly
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await page.waitForFunction(() => !!(globalThis as unknown as { driver?: unknown }).driver, undefined, { timeout: 60000 });
  await page.evaluate(() =>
    (globalThis as unknown as { driver: { whenWorkbenchRestored(): Promise<void> } }).driver.whenWorkbenchRestored(),
  );
  await activityItem(page, 'Container Exec');
}

/** An activity-bar item, once it is there (the extension registers its container some time after the workbench). */
export async function activityItem(page: Page, title: string, timeoutMs = 90000) {
  const item = page.locator('.activitybar .action-item', { has: page.locator(`a[aria-label^="${title}"]`) }).first();
  await item.waitFor({ timeout: timeoutMs }).catch(() => {
    throw new Error(
      `The activity bar shows no "${title}" item within ${timeoutMs / 1000} s (is the extension loaded? see the code-server log)`,
    );
  });
  return item;
}

/**
 * Shows a view container of the activity bar ("Container Exec", "Explorer"). Its item toggles the side
 * bar, and the workbench restores whichever container the last session of this workspace left open: it is
 * clicked only when that container is not the one shown.
 */
export async function showViewContainer(page: Page, title: string): Promise<void> {
  const item = await activityItem(page, title);
  const heading = page.locator('.part.sidebar .composite.title', { hasText: new RegExp(title, 'i') }).first();
  const shown = async () =>
    (await page.locator('.part.sidebar').isVisible()) && /\bchecked\b/.test((await item.getAttribute('class')) ?? '');
  // while the workbench restores, the sidebar may open by itself just after a look found it closed, and the
  // click then closes it again: look again until its title shows
  for (const t0 = Date.now(); ;) {
    if (!(await shown())) await item.locator('a').click();
    try {
      return await heading.waitFor({ timeout: 3000 });
    } catch (e) {
      if (Date.now() - t0 > 15000) throw e;
    }
  }
}

/** Whether the palette showing `value` closed or turned into another quick input within 10 s. */
async function paletteLeft(input: Locator, value: string): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < 10000; await new Promise((r) => setTimeout(r, 100)))
    if (!(await input.isVisible()) || (await input.inputValue().catch(() => '')) !== value) return true;
  return false;
}

/**
 * Runs a command from the palette (F1) by its exact title. The palette lists an extension's commands only
 * once the extension host has registered them, which may be seconds after the workbench is restored: until
 * then it shows other or "similar" commands. So it is reopened until the exact title is listed, and fails
 * after `timeoutMs` saying what it showed instead.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 60000): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  // the row itself: Enter would run whichever row the fuzzy match put first
  const row = rows.filter({ has: page.getByText(title, { exact: true }) }).first();
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await input.isVisible()) await page.keyboard.press('Escape'); // another quick input, or the last attempt's
    await page.keyboard.press('F1');
    await input.waitFor({ timeout: 10000 });
    // a page taking the focus as it loads (the Welcome page) closes the palette under us: open it again
    const filled = await input.fill(`>${title}`, { timeout: 5000 }).then(
      () => true,
      () => false,
    );
    const listed =
      filled &&
      (await row.waitFor({ timeout: Math.min(2000 + attempt * 1000, 5000) }).then(
        () => true,
        () => false, // not listed yet: the extension's commands may register later
      ));
    if (listed) {
      const clicked = await row.elementHandle({ timeout: 5000 }).catch(() => null);
      if (
        clicked &&
        (await clicked.click({ timeout: 5000 }).then(
          () => true,
          () => false,
        ))
      ) {
        // the palette closes (or the command's own quick input replaces it) when it takes the command
        if (await paletteLeft(input, `>${title}`)) return;
        throw new Error(`The command palette kept "${title}" open after its row was clicked: the click was ignored`);
      }
      // the list re-rendered under the click (the row clicked is gone): list it again
    }
    if (Date.now() > deadline) {
      const shown = (await rows.allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim()).join(' | ');
      await page.keyboard.press('Escape');
      throw new Error(`The command palette did not list "${title}" within ${timeoutMs / 1000} s; it showed: ${shown || 'nothing'}`);
    }
  }
}

/**
 * Clicks `target` until `then` shows, but clicks again only when the element clicked is gone from the page:
 * a click that lands while the workbench re-renders the element (an editor toolbar updating as the extension's
 * context keys arrive) is lost. An element still there that ignored its click fails the test (issue 29
 * finding 8: a retry must not hide a button that ignores its first click). Fails after `timeoutMs`.
 */
export async function clickUntil(target: Locator, then: Locator, what: string, timeoutMs = 60000, everyMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await target.waitFor({ timeout: 30000 });
    const clicked = (await target.elementHandle({ timeout: 30000 }))!;
    const stillThere = () => clicked.evaluate((e) => e.isConnected).catch(() => false);
    const landed = await clicked.click({ timeout: 30000 }).then(
      () => true,
      async (e: Error) => {
        if (await stillThere()) throw e; // not a re-render: a real failure to click
        return false; // re-rendered before the click: click the new one
      },
    );
    const shown =
      landed &&
      (await then.waitFor({ timeout: everyMs }).then(
        () => true,
        () => false,
      ));
    if (shown) return;
    if (landed && (await stillThere()))
      throw new Error(
        `${what}: clicked, and nothing happened within ${everyMs / 1000} s (the element is still there: it ignored the click)`,
      );
    if (Date.now() > deadline) throw new Error(`${what}: nothing happened within ${timeoutMs / 1000} s`);
  }
}

/** Opens the Notifications center (the smoke-test driver suppresses toasts: notifications are read there). */
export async function showNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Show Notifications');
  await page.locator('.notifications-center').waitFor({ timeout: 10000 });
}

/** A variable the UI suite needs from scripts/test.mjs. */
export function uiEnv(k: string): string {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run the UI suite through "npm test"`);
  return v;
}

/** A screenshot for the README: the panes named folded, the sidebar widened for long descriptions. */
export async function sidebarScreenshot(page: Page, sidebar: Locator, fold: string[], file: string): Promise<void> {
  for (const pane of fold) await sidebar.locator('.pane-header', { hasText: pane }).first().click();
  const box = await sidebar.boundingBox();
  if (box) {
    await page.mouse.move(box.x + box.width + 1, 430);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width + 420, 430, { steps: 5 });
    await page.mouse.up();
  }
  await page.mouse.move(1200, 700);
  await page.waitForTimeout(500); // the sash's hover highlight fades
  fs.mkdirSync(uiEnv('SCREENSHOT_DIR'), { recursive: true });
  await page.screenshot({ path: path.join(uiEnv('SCREENSHOT_DIR'), file) });
}

/** The editor title's ▶ Run Recipe: the workbench appends its keybinding to the label ("Run Recipe (Ctrl+Alt+R)"). */
export const RUN_RECIPE_BUTTON =
  '.editor-actions .action-item a[aria-label="Run Recipe"], .editor-actions .action-item a[aria-label^="Run Recipe ("]';
