// The Daemons view on the testbed's 3-node swarm: the manager expands to its Swarm Nodes, each node with its
// state, availability, role, CPUs, memory and (worker swarm-w2) the fake GPU generic resource.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, showViewContainer, sidebarScreenshot, uiEnv as env, workbenchUrl } from '../support/browser';
import { need } from '../support/testbed';

const nodes = () => [
  { id: 'swarm-m', label: 'swarm manager', host: need('DOCKER_SWARM_MANAGER_HOST') },
  { id: 'swarm-w1', label: 'swarm worker 1', host: need('DOCKER_SWARM_WORKER1_HOST') },
  { id: 'swarm-w2', label: 'swarm worker 2 (GPU)', host: need('DOCKER_SWARM_WORKER2_HOST') },
];

/** The swarm node id a daemon's /info names (the tree labels a node "hostname (first 12 of its id)"). */
const nodeIdOf = (host: string) =>
  execFileSync('docker', ['-H', host, 'info', '--format', '{{.Swarm.NodeID}}'], { encoding: 'utf8' }).trim();

describe('Daemons view on a Docker Swarm', function () {
  this.timeout(120000);
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  before(async () => {
    const settings = path.join(env('UI_WORKSPACE'), '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ 'containerExec.daemons': nodes() }, null, 2));
    browser = await launchBrowser(env('UI_RUN_DIR'));
    page = browser.ctx.pages()[0] ?? (await browser.ctx.newPage());
    await openWorkbench(page, workbenchUrl(env('CODE_SERVER_URL'), env('UI_WORKSPACE'), env('EXT_DIR')));
  });
  after(async () => browser?.close());
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      await page.screenshot({ path: path.join(env('SCREENSHOT_DIR'), 'failure-swarm-nodes.png') }).catch(() => undefined);
  });

  it("the manager expands to its Swarm Nodes: three nodes with role, state, CPUs, memory and the GPU worker's generic resource", async () => {
    const ids = Object.fromEntries(nodes().map((n) => [n.id, nodeIdOf(n.host).slice(0, 12)]));
    for (const [role, id] of Object.entries(ids)) assert.match(id, /^[a-z0-9]{12}$/, `${role} is in no swarm: is the testbed's swarm up?`);
    await showViewContainer(page, 'Container Exec');
    const sidebar = page.locator('.part.sidebar');
    const row = (text: string | RegExp) =>
      sidebar.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: text }) }).first();
    const description = async (text: string | RegExp) => (await row(text).locator('.label-description').innerText()).trim();

    await row('swarm manager').locator('.codicon-vm-active').waitFor({ timeout: 30000 });
    await row('swarm manager').click();
    await row(/^Swarm Nodes$/).waitFor({ timeout: 30000 });
    await row(/^Swarm Nodes$/).click();
    for (const id of Object.values(ids)) await row(`(${id})`).waitFor({ timeout: 30000 });

    const nodeRows = sidebar.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: /\([a-z0-9]{12}\)$/ }) });
    assert.equal(await nodeRows.count(), 3, `node rows: ${(await nodeRows.allInnerTexts()).join(' | ')}`);
    const size = String.raw`\d+ CPUs · [\d.]+ [KMGT]?B`;
    const tasks = String.raw`\d+ run tasks?`; // another suite's runs may be on the swarm
    assert.match(await description(`(${ids['swarm-m']})`), new RegExp(`^ready · active · manager \\(leader\\) · ${size} · ${tasks}$`));
    assert.match(await description(`(${ids['swarm-w1']})`), new RegExp(`^ready · active · worker · ${size} · ${tasks}$`));
    assert.match(
      await description(`(${ids['swarm-w2']})`),
      new RegExp(`^ready · active · worker · ${size} · ${need('DOCKER_SWARM_GPU_RESOURCE')}×1 · ${tasks}$`),
    );

    // for the README
    await sidebarScreenshot(page, sidebar, ['Execution Configurations', 'Runs'], 'swarm-nodes.png');
  });
});
