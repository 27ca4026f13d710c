import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

describe('resource use of runs (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const recipe = () => vscode.Uri.file(path.join(ws(), 'recipes', 'hold.py'));
  let api: ContainerExecApi;

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    // 150 MB held for 8 s, then a line to say it is done
    fs.writeFileSync(
      recipe().fsPath,
      'import time\nb = bytearray(150 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint("holding", flush=True)\ntime.sleep(8)\n',
    );
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'py-512', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '512m', cpus: 1 } },
        // holds hold.py's peak with room: the right-sizing hint names it
        { name: 'py-256', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '256m' } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
  });

  it('the Runs row shows CPU and memory while running and the peaks after; the chart opens for the running and the finished run', async () => {
    const before = new Set(api.runs.children().map((n) => n.record.id));
    const done = vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'py-512');
    const node = await until('the run in the Runs view', 60000, () => api.runs.children().find((n) => !before.has(n.record.id)));
    // 512 MiB is 537 MB: "CPU 12% · 160 of 537 MB"
    const live = await until('a running row with CPU and memory', 60000, () => {
      const n = api.runs.children().find((c) => c.record.id === node.record.id)!;
      const d = String(api.runs.item(n).description);
      return n.record.state === 'running' && /CPU \d+% · 1\d\d of 537 MB$/.test(d) && d;
    });
    assert.match(live, /^py-512 · local · running · [\d.]+ s · .+ · CPU \d+% · 1\d\d of 537 MB$/);

    const runningKey = await vscode.commands.executeCommand<string>('containerExec.showResourceUsage', node);
    const drawnLive = await until('the live chart drew samples', 30000, () =>
      api.runs.charts().find((c) => c.key === runningKey && (c.drawn?.points ?? 0) > 0),
    );
    assert.match(drawnLive.html, /default-src 'none'/);
    assert.match(drawnLive.html, /script-src 'nonce-[^']+'/);
    assert.deepEqual(drawnLive.localResourceRoots, [
      path.join(vscode.extensions.getExtension('container-exec.container-exec')!.extensionPath, 'dist'),
    ]);

    const r = await done;
    assert.equal(r.exitCode, 0, r.record?.message);
    const after = api.runs.children().find((c) => c.record.id === r.runId)!;
    assert.match(
      String(api.runs.item(after).description),
      /^py-512 · local · succeeded · [\d.]+ s · .+ · peak 1\d\d of 537 MB · CPU \d\.\d of 1 cores$/,
    );
    assert.ok(after.record.usage!.peakMemBytes >= 150 * 1024 * 1024, `${after.record.usage?.peakMemBytes}`);
    const tooltip = (api.runs.item(after).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ');
    assert.match(tooltip, /Resources: peak 1\d\d of 537 MB · CPU \d\.\d of 1 cores · mean CPU \d+% .* block I\/O .* samples/);
    const statsFile = path.join(ws(), '.container-exec', 'runs', r.runId, 'stats.jsonl');
    assert.ok(fs.readFileSync(statsFile, 'utf8').split('\n').filter(Boolean).length >= 2);

    // the configuration's tooltip: what its last run used against what it grants
    const configNode = api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === 'py-512')!;
    const configTip = ((await api.configurations.item(configNode)).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ');
    assert.match(configTip, /Used: last (\d+ runs|run) of recipes\/hold\.py: peak 1\d\d of 537 MB, CPU \d\.\d of 1/);

    // the finished run's chart is drawn from its stats.jsonl (a panel of its own: the live one is closed first)
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await until('the live chart closed', 10000, () => !api.runs.charts().some((c) => c.key === runningKey));
    const finishedKey = await vscode.commands.executeCommand<string>('containerExec.showResourceUsage', after);
    const drawn = await until('the finished run’s chart drew its samples', 30000, () =>
      api.runs.charts().find((c) => c.key === finishedKey && (c.drawn?.points ?? 0) > 0),
    );
    assert.ok(drawn.drawn!.points >= 2);
  });

  it('a finished run’s tooltip says its configuration’s right-sizing hint, the same as the configuration’s, naming the one that fits better (issue 26: right-sizing in the Runs view)', async () => {
    const finished = () =>
      api.runs.children().find((n) => n.record.configuration === 'py-512' && n.record.usage && n.record.state !== 'running');
    if (!finished()) await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'py-512');
    const run = finished()!;
    const configNode = api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === 'py-512')!;
    const configTip = plain((await api.configurations.item(configNode)).tooltip as vscode.MarkdownString);
    const hint = /^Used: (.+)$/m.exec(configTip)?.[1];
    assert.ok(hint, configTip);
    assert.match(
      hint,
      /^last (\d+ runs|run) of recipes\/hold\.py: peak 1\d\d of 537 MB, CPU \d\.\d of 1; configuration py-256 \(memory 256m\) fits them with less held$/,
    );
    const runTip = plain(api.runs.item(run).tooltip as vscode.MarkdownString);
    assert.ok(runTip.includes(`Right-sizing of py-512: ${hint}`), runTip);
  });

  it('the Daemons view’s row of a daemon adds up its running containers’ CPU and memory as docker stats does, our run’s from its samples, only while visible (issue 26: Daemons view)', async () => {
    const host = need('DOCKER_LOCAL_HOST');
    const docker = (...args: string[]) => execFileSync('docker', ['-H', host, ...args], { encoding: 'utf8' }).trim();
    const longRecipe = vscode.Uri.file(path.join(ws(), 'recipes', 'hold_long.py'));
    fs.writeFileSync(
      longRecipe.fsPath,
      'import time\nb = bytearray(150 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint("holding", flush=True)\ntime.sleep(600)\n',
    );
    // a container not of ours, holding 200 MB: counted from a snapshot
    const other = docker(
      'run',
      '-d',
      '--rm',
      need('PYTHON_IMAGE'),
      'python3',
      '-c',
      'import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(600)',
    );
    const before = new Set(api.runs.children().map((n) => n.record.id));
    const done = vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', longRecipe, 'py-512');
    try {
      await vscode.commands.executeCommand('containerExec.daemons.focus');
      await until('our run sampled', 60000, () => {
        const n = api.runs.children().find((c) => !before.has(c.record.id));
        return n?.record.state === 'running' && /CPU \d+%/.test(String(api.runs.item(n).description)) && n;
      });
      const local = await until('the local daemon listed', 10000, async () =>
        (await api.daemons.children()).find((n) => n.kind === 'daemon' && n.id === 'local'),
      );
      // the product's totals and docker stats' agree at some point (other tests' containers come and go meanwhile)
      let last = '';
      const agreed = await until('the row’s totals within docker stats’ tolerance', 90000, () => {
        const item = api.daemons.item(local);
        const row = daemonRow(String(item.description));
        const expected = dockerStatsTotals(docker);
        last = `row "${item.description}" vs docker stats ${JSON.stringify(expected)}`;
        if (!row) return undefined;
        const memOk = Math.abs(row.memBytes - expected.memBytes) <= Math.max(100e6, 0.15 * expected.memBytes);
        const cpuOk = Math.abs(row.cpuPct - expected.cpuPct) <= 30 + 0.25 * expected.cpuPct;
        return row.running === expected.running && memOk && cpuOk && { row, tooltip: plain(item.tooltip as vscode.MarkdownString) };
      }).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
      assert.ok(agreed.row.memBytes >= 350e6, `our run's 150 MB and the other's 200 MB are in ${JSON.stringify(agreed.row)}`);
      const fromRuns = Number(/\((\d+) from their runs' samples, (\d+) from one stats snapshot each/.exec(agreed.tooltip)?.[1]);
      assert.ok(fromRuns >= 1, agreed.tooltip);

      // hidden: no totals (and no snapshot) any more
      await vscode.commands.executeCommand('workbench.view.explorer');
      await until(
        'the row without totals once the view is hidden',
        10000,
        () => !/ running: CPU /.test(String(api.daemons.item(local).description)),
      );
    } finally {
      execFileSync('docker', ['-H', host, 'rm', '-f', other], { stdio: 'ignore' });
      const mine = api.runs.children().find((c) => !before.has(c.record.id));
      if (mine) await vscode.commands.executeCommand('containerExec.stopRun', mine).then(undefined, () => undefined);
      await done;
    }
  });

  it('Show Resource Usage of Running Runs with none going on says so', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal(await vscode.commands.executeCommand('containerExec.showAllResourceUsage'), undefined);
    const shown = await until('the error message', 10000, () => api.shownError());
    assert.match(shown.text, /^No run is going on: pick a finished run in the Runs view/);
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});

/** A tooltip's text, markdown escapes undone. */
const plain = (md: vscode.MarkdownString) => md.value.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!~>])/g, '$1');

const UNITS: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** "3 running: CPU 35% · 412 MB of 16.8 GB" (or "1.2 of 16.8 GB") in a daemon row's description. */
function daemonRow(description: string): { running: number; cpuPct: number; memBytes: number } | undefined {
  const m = /(\d+) running: CPU (\d+)% · ([\d.]+)(?: (B|kB|MB|GB))? of [\d.]+ (B|kB|MB|GB)/.exec(description);
  return m ? { running: Number(m[1]), cpuPct: Number(m[2]), memBytes: Number(m[3]) * UNITS[m[4] ?? m[5]!]! } : undefined;
}

/** The same totals from the Docker CLI: `docker ps` counts, `docker stats --no-stream` measures ("150.2MiB / 512MiB", "1.05%"). */
function dockerStatsTotals(docker: (...args: string[]) => string): { running: number; cpuPct: number; memBytes: number } {
  const lines = docker('stats', '--no-stream', '--format', '{{.CPUPerc}} {{.MemUsage}}').split('\n').filter(Boolean);
  let cpuPct = 0;
  let memBytes = 0;
  for (const line of lines) {
    const m = /^([\d.]+)% ([\d.]+)([A-Za-z]+) \//.exec(line);
    if (!m) continue;
    cpuPct += Number(m[1]);
    memBytes += Number(m[2]) * (UNITS[m[3]!] ?? 1);
  }
  return { running: docker('ps', '-q').split('\n').filter(Boolean).length, cpuPct, memBytes };
}
