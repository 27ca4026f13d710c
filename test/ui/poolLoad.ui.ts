// The Execution Configurations view on a pool of testbed daemons: the pool configuration expands to its
// daemons, each with its load (free CPUs and memory, runs and yours), the blackholed one as unreachable.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import {
  launchBrowser,
  openWorkbench,
  runCommand,
  showViewContainer,
  sidebarScreenshot,
  uiEnv as env,
  workbenchUrl,
} from '../support/browser';
import { need } from '../support/testbed';

const daemons = () => [
  { id: 'tcp', label: 'tcp (plain)', host: need('DOCKER_TCP_HOST') },
  { id: 'tls', label: 'tls (cert folder)', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } },
  { id: 'void', label: 'blackholed', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 },
];

describe('Execution Configurations view on a pool', function () {
  this.timeout(120000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let container: string | undefined;

  const settingsFile = () => path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');

  before(async () => {
    const settings = settingsFile();
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(
      settings,
      JSON.stringify(
        {
          'containerExec.daemons': daemons(),
          'containerExec.configurations': [{ name: 'team-pool', pool: ['tcp', 'tls', 'void'], resources: { memory: '256m', cpus: 0.5 } }],
        },
        null,
        2,
      ),
    );
    // one of "your" runs on tcp, holding half a CPU (labelled as a run container is)
    container = execFileSync(
      'docker',
      [
        ...['-H', need('DOCKER_TCP_HOST'), 'run', '-d', '--rm', '--cpus', '0.5', '--memory', '256m'],
        ...['--label', `container-exec.run=ui-pool-${Date.now()}`, '--label', `container-exec.user=${os.userInfo().username}`],
        ...['--label', 'container-exec.pool=team-pool', need('BUSYBOX_IMAGE'), 'sleep', '120'],
      ],
      { encoding: 'utf8' },
    ).trim();
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => {
    await browser?.close();
    if (container) execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'rm', '-f', container], { stdio: 'ignore' });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-pool-load.png') }).catch(() => undefined);
  });

  it("the pool configuration expands to its daemons with each one's load; the blackholed one shows unreachable", async () => {
    await showViewContainer(page, 'Container Exec');
    const sidebar = page.locator('.part.sidebar');
    const row = (text: string | RegExp) =>
      sidebar.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: text }) }).first();
    const description = async (text: string | RegExp) => (await row(text).locator('.label-description').innerText()).trim();

    await row('team-pool').waitFor({ timeout: 30000 });
    assert.match(await description('team-pool'), /^pool tcp, tls, void · /);
    // the twistie expands it (a click on the row opens the editor)
    await row('team-pool').locator('.monaco-tl-twistie').click();
    const load = /^[\d.]+ of \d+ CPUs, [\d.]+ of [\d.]+ GB free · \d+ runs? \(\d+ yours\)$/;
    for (const id of ['tcp', 'tls', 'void']) await row(new RegExp(`^${id}$`)).waitFor({ timeout: 30000 });
    // each row answers at once ("reading the load…"); the loads come within the daemons' deadlines
    const settled = async () =>
      / yours\)$/.test(await description(/^tcp$/)) &&
      / yours\)$/.test(await description(/^tls$/)) &&
      /^unreachable/.test(await description(/^void$/));
    for (const t0 = Date.now(); !(await settled()); await page.waitForTimeout(250))
      if (Date.now() - t0 > 30000)
        assert.fail(`loads not shown: ${(await sidebar.locator('.monaco-list-row').allInnerTexts()).join(' | ')}`);
    assert.match(await description(/^tcp$/), load);
    assert.match(await description(/^tls$/), load);
    assert.match(await description(/^tcp$/), /[1-9]\d* yours\)$/, 'our container on tcp is one of yours');
    assert.match(await description(/^void$/), /^unreachable \(.*within 1500 ms/);

    // for the README
    await sidebarScreenshot(page, sidebar, ['Daemons', 'Runs'], 'pool-load.png');
  });

  it('the editor targets a pool with a multi-select of the daemons; a pool of none is refused in the form', async () => {
    const form = (): FrameLocator =>
      page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
    const field = (key: string) => form().locator(`#f-${key}`);
    const pick = async (key: string, label: string | RegExp) => {
      await field(key).click();
      await field(key).locator('[role="option"]', { hasText: label }).first().click();
    };
    await runCommand(page, 'Container Exec: New Configuration…');
    await form().locator('h1', { hasText: 'New execution configuration' }).waitFor({ timeout: 30000 });
    await field('name').locator('input').first().fill('picked-pool');
    await pick('daemonMode', 'A pool of daemons');
    await field('pool').waitFor({ state: 'visible' });
    assert.equal(await field('daemon').isVisible(), false, 'one daemon or a pool, not both');
    await form().locator('#save-button').click();
    await form().locator('#err-pool', { hasText: 'pool: pick at least one daemon for the pool' }).waitFor({ timeout: 10000 });
    /** The saved entry; VS Code may be writing the file this instant: a partial read counts as not yet. */
    const saved = () => {
      try {
        const all = JSON.parse(fs.readFileSync(settingsFile(), 'utf8'))['containerExec.configurations'] as { name: string }[];
        return all.find((c) => c.name === 'picked-pool');
      } catch {
        return undefined;
      }
    };
    assert.equal(saved(), undefined, 'nothing saved');
    // each click toggles an option (and sends a change); a click outside closes the dropdown
    await field('pool').click();
    for (const label of ['tcp (plain) — ', 'tls (cert folder) — '])
      await field('pool').locator('[role="option"]', { hasText: label }).first().click();
    await form().locator('h1').click();
    assert.equal(await form().locator('#err-pool').innerText(), '');
    await form().locator('#save-button').click();
    for (const t0 = Date.now(); !saved(); await page.waitForTimeout(250))
      if (Date.now() - t0 > 15000) assert.fail('the pool was not saved');
    assert.deepEqual(saved(), { name: 'picked-pool', pool: ['tcp', 'tls'] });
  });
});
