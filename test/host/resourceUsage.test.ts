import * as assert from 'node:assert/strict';
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
      [{ name: 'py-512', daemon: 'local', baseImage: need('PYTHON_IMAGE'), resources: { memory: '512m', cpus: 1 } }],
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

  it('Show Resource Usage of Running Runs with none going on says so', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal(await vscode.commands.executeCommand('containerExec.showAllResourceUsage'), undefined);
    const shown = await until('the error message', 10000, () => api.shownError());
    assert.match(shown.text, /^No run is going on: pick a finished run in the Runs view/);
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});
