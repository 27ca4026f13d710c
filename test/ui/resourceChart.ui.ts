// Show Resource Usage on a running run: the uPlot chart webview, in the light, dark and high-contrast themes (README pictures).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import {
  clickUntil,
  launchBrowser,
  openWorkbench,
  runCommand,
  showViewContainer,
  uiEnv as env,
  workbenchUrl,
  RUN_RECIPE_BUTTON,
} from '../support/browser';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('resource usage chart (webview)', function () {
  this.timeout(150000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const settingsFile = () => path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
  const chart = (): FrameLocator =>
    page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
  const shot = (name: string) => page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), name) });
  const writeSettings = (theme: string) =>
    fs.writeFileSync(
      settingsFile(),
      JSON.stringify(
        {
          'containerExec.daemons': testbedDaemonSettings().filter((d) => (d as { id: string }).id !== 'broken'),
          'containerExec.configurations': [
            { name: 'train-512m', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '512m', cpus: 1 } },
          ],
          'containerExec.defaultConfiguration': 'train-512m',
          'workbench.colorTheme': theme,
        },
        null,
        2,
      ),
    );

  before(async () => {
    fs.mkdirSync(path.dirname(settingsFile()), { recursive: true });
    writeSettings('Default Light Modern');
    // memory that grows by 12 MB a second, CPU busy about half the time, a little disk: 40 s
    fs.writeFileSync(
      path.join(env('UI_WORKSPACE'), 'train.py'),
      [
        'import os, time',
        'chunks = []',
        'for step in range(40):',
        '    t = time.time()',
        '    while time.time() - t < 0.5: pass',
        '    chunks.append(bytearray(os.urandom(12 * 1024 * 1024)))',
        '    with open(f"/tmp/ckpt-{step % 3}", "wb") as f: f.write(chunks[-1][:4 * 1024 * 1024]); f.flush(); os.fsync(f.fileno())',
        '    print(f"step {step}: {len(chunks) * 12} MB held", flush=True)',
        '    time.sleep(0.5)',
        '',
      ].join('\n'),
    );
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(path.join(env('UI_WORKSPACE'), 'train.py'), { force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await shot('failure-resource-chart.png').catch(() => undefined);
  });

  it('Show Resource Usage of Running Runs draws CPU, memory with its limit, network and block I/O live, in light, dark and high contrast (readable: --vscode-* colours)', async () => {
    await showViewContainer(page, 'Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'train.py' }).first().click();
    await page.locator('.tabs-container .tab', { hasText: 'train.py' }).first().waitFor({ timeout: 20000 });
    await clickUntil(page.locator(RUN_RECIPE_BUTTON).first(), page.locator('.xterm-rows').first(), 'the Run Recipe button');
    await page
      .locator('.xterm-rows', { hasText: /step 3:/ })
      .first()
      .waitFor({ timeout: 60000 });
    await runCommand(page, 'Container Exec: Show Resource Usage of Running Runs');
    await chart().locator('#runs', { hasText: 'train.py · train-512m' }).waitFor({ timeout: 30000 });
    assert.equal(await chart().locator('.uplot').count(), 4);
    // twelve seconds of samples or more: the lines have a shape
    await chart()
      .locator('body')
      .evaluate(
        (b) =>
          new Promise<void>((resolve) => {
            const check = () => (Number(b.dataset.points) >= 12 ? resolve() : setTimeout(check, 250));
            check();
          }),
      );
    assert.deepEqual(await chart().locator('.u-title').allInnerTexts(), [
      'CPU (% of one CPU)',
      'Memory',
      'Network (per second)',
      'Block I/O (per second)',
    ]);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    await shot('resource-usage-light.png');
    writeSettings('Default Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 10000 });
    await page.waitForTimeout(1000); // the page rebuilds its charts in the theme's colours
    // the page itself switched: VS Code marks the webview's body and hands it the dark theme's --vscode-* colours
    await chart().locator('body.vscode-dark').waitFor({ timeout: 10000 });
    await shot('resource-usage-dark.png');
    writeSettings('Default High Contrast');
    await page.locator('.monaco-workbench.hc-black').waitFor({ timeout: 10000 });
    await chart().locator('body.vscode-high-contrast').waitFor({ timeout: 10000 });
    await page.waitForTimeout(1000);
    // readable in high contrast: the lines and the text take the theme's --vscode-* colours, which stand out from its background
    const hc = await chart().locator('body').evaluate(highContrastCheck);
    assert.equal(hc.line, hc.chartsBlue, 'the first line is drawn in --vscode-charts-blue');
    assert.equal(hc.marker, hc.chartsBlue, 'its legend marker too');
    assert.equal(hc.axisText, hc.foreground, 'the axes’ text is drawn in --vscode-foreground');
    assert.ok(hc.lineContrast >= 3, `lines against the background: contrast ${hc.lineContrast.toFixed(1)}`);
    assert.ok(hc.textContrast >= 4.5, `axes’ text against the background: contrast ${hc.textContrast.toFixed(1)}`);
    assert.ok(hc.titleContrast >= 4.5, `titles against the background: contrast ${hc.titleContrast.toFixed(1)}`);
    await shot('resource-usage-hc.png');
    writeSettings('Default Light Modern');
    await showViewContainer(page, 'Container Exec');
  });
});

/** The little of a page's element the check below uses. */
interface PageElement {
  style: { color: string };
  dataset: Record<string, string | undefined>;
  append(e: PageElement): void;
  remove(): void;
  querySelector(selector: string): PageElement | null;
}

/** In the chart page: the colours it drew (its dataset) and the theme's, in rgb(), and the contrast (WCAG) of lines and text against the background. */
function highContrastCheck(element: unknown) {
  // runs in the page, passed whole to evaluate (the tests' types have no DOM library)
  const body = element as PageElement;
  const { document, getComputedStyle } = globalThis as unknown as {
    document: { createElement(tag: string): PageElement };
    getComputedStyle(e: PageElement): { color: string; borderColor: string; getPropertyValue(name: string): string };
  };
  const probe = document.createElement('span');
  body.append(probe);
  const rgb = (colour: string) => {
    probe.style.color = '';
    probe.style.color = colour;
    return getComputedStyle(probe).color;
  };
  const luminance = (c: string) => {
    const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };
  const v = (name: string) => getComputedStyle(body).getPropertyValue(name).trim();
  const background = rgb(v('--vscode-editor-background'));
  const chartsBlue = rgb(v('--vscode-charts-blue'));
  const marker = getComputedStyle(body.querySelector('.u-legend .u-series:nth-child(2) .u-marker')!).borderColor;
  const drawn = JSON.parse(body.dataset.colours ?? '{}') as { text: string; lines: string[] };
  const [line, axisText] = [rgb(drawn.lines[0]!), rgb(drawn.text)];
  const result = {
    chartsBlue,
    foreground: rgb(v('--vscode-foreground')),
    line,
    axisText,
    marker,
    lineContrast: contrast(line, background),
    textContrast: contrast(axisText, background),
    titleContrast: contrast(getComputedStyle(body.querySelector('.u-title')!).color, background),
  };
  probe.remove();
  return result;
}
