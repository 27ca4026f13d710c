// Headless Debian chromium driven by playwright-core (no browser download), with flags that keep it off
// the network, and the workbench URL that loads the extension under development. Used by the UI suite
// and by scripts/test.mjs / bench.mjs to run suites inside the extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export async function launchBrowser(runDir: string, chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium') {
  fs.mkdirSync(runDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(runDir, 'chrome-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 860 },
    env: { ...process.env, XDG_CONFIG_HOME: `${profile}/xdg-config`, XDG_CACHE_HOME: `${profile}/xdg-cache` } as Record<string, string>,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    ctx,
    close: async () => {
      await ctx.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
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

/**
 * Opens the workbench with extensionTestsPath and waits for the host's mocha to finish; the extension
 * host's console reaches `onLog`. Resolves with the exit code the workbench reports (0 pass, 1 fail).
 */
export async function runInHost(ctx: BrowserContext, url: string, opts: { timeoutMs?: number; onLog?: (s: string) => void } = {}): Promise<number | 'timeout'> {
  const { timeoutMs = 180000, onLog = console.log } = opts;
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const done = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    void page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      // the workbench forwards the extension host's console (mocha's reporter); the gallery is offline here
      if (!/open-vsx\.org|marketplace|ENOTFOUND/.test(text) && (type === 'error' || /^\s*(✔|✓|\d+\)|\d+ (passing|failing|pending))|^\s{2,}\S/.test(text))) onLog(text);
    });
  });
  await page.goto(url);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the workbench to be restored (smoke-test driver) and the extension's activity-bar item to show. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
  await page.waitForFunction(() => !!(globalThis as unknown as { driver?: unknown }).driver, undefined, { timeout: 60000 });
  await page.evaluate(() => (globalThis as unknown as { driver: { whenWorkbenchRestored(): Promise<void> } }).driver.whenWorkbenchRestored());
}

/** Runs a command from the palette (F1), by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  // click the command itself: Enter would run whichever row the fuzzy match put first
  await page.locator('.quick-input-list .monaco-list-row').filter({ has: page.getByText(title, { exact: true }) }).first().click();
}

/** A variable the UI suite needs from scripts/test.mjs. */
export function uiEnv(k: string): string {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run the UI suite through "npm test"`);
  return v;
}
