import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { workspaceLabel } from '../../src/core/run/recipe';
import type { SweepDone } from '../../src/sweeps/sweepRunner';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

/** Writes out/metrics.json: a loss from the --lr argument and the SWEEP_BATCH environment variable. */
const TRAIN = `import json, os, sys
lr = float(sys.argv[sys.argv.index("--lr") + 1])
batch = int(os.environ["SWEEP_BATCH"])
os.makedirs("out", exist_ok=True)
json.dump({"loss": round(lr * batch, 4), "trial": int(os.environ["SWEEP_TRIAL"])}, open("out/metrics.json", "w"))
print("trained", lr, batch)
`;

describe('sweeps in the extension host (real host, real daemons)', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  let api: ContainerExecApi;

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'sweeps'), { recursive: true });
    fs.writeFileSync(path.join(ws(), 'sweeps', 'train.py'), TRAIN);
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('stopGraceSeconds', 2, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [{ name: 'sweep-local', daemon: 'local', baseImage: need('PYTHON_IMAGE') }],
      vscode.ConfigurationTarget.Workspace,
    );
  });

  after(() => config().update('stopGraceSeconds', undefined, vscode.ConfigurationTarget.Workspace));

  /** The Runs view's row of sweep `id`, and its trials' rows. */
  const sweepRow = (id: string) => api.runs.children().find((n) => n.kind === 'sweep' && n.record.sweep?.id === id);

  it('a container-exec-sweep task from tasks.json runs the grid: trials grouped under the sweep in the Runs view, results.csv with their metrics', async () => {
    fs.writeFileSync(
      path.join(ws(), 'sweeps', 'grid.sweep.json'),
      JSON.stringify({
        recipe: 'sweeps/train.py',
        configuration: 'sweep-local',
        matrix: { lr: [0.1, 0.5], batch: [2, 4], exclude: [{ lr: 0.5, batch: 4 }] },
        args: ['--lr', '${lr}'],
        maxParallel: 2,
      }),
    );
    fs.mkdirSync(path.join(ws(), '.vscode'), { recursive: true });
    fs.writeFileSync(
      path.join(ws(), '.vscode', 'tasks.json'),
      JSON.stringify(
        { version: '2.0.0', tasks: [{ type: 'container-exec-sweep', file: 'sweeps/grid.sweep.json', label: 'grid sweep' }] },
        null,
        2,
      ),
    );
    const task = await until('the tasks.json sweep task', 20000, async () =>
      (await vscode.tasks.fetchTasks({ type: 'container-exec-sweep' })).find((t) => t.name === 'grid sweep'),
    );
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === 'grid sweep') {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    assert.equal(await ended, 0);

    const row = api.runs.children().find((n) => n.kind === 'sweep' && n.record.sweep?.file === 'sweeps/grid.sweep.json')!;
    assert.ok(row, 'a sweep row in the Runs view');
    const item = api.runs.item(row);
    assert.equal(item.label, 'sweep grid.sweep.json');
    assert.match(String(item.description), /^3 trials · 3 succeeded · sweep-local/);
    const trials = row.trials!;
    assert.deepEqual(
      trials.map((t) => [t.kind, t.state, t.args.join(' ')]),
      [
        ['sweep-trial', 'succeeded', '--lr 0.1'],
        ['sweep-trial', 'succeeded', '--lr 0.1'],
        ['sweep-trial', 'succeeded', '--lr 0.5'],
      ],
    );
    assert.equal(api.runs.item({ kind: 'run', record: trials[1]! }).label, 'trial 1 (lr=0.1, batch=4)');
    // no plain-run row for a trial: they are all under the sweep
    assert.ok(!api.runs.children().some((n) => n.kind === 'run' && n.record.sweep));
    const folder = path.join(ws(), '.container-exec', 'sweeps', row.record.sweep!.id);
    const csv = fs.readFileSync(path.join(folder, 'results.csv'), 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'trial,lr,batch,state,daemon,seconds,exit_code,attempts,loss,metric_trial,message');
    assert.deepEqual(
      csv.slice(1).map((l) => l.split(',').filter((_, i) => [0, 1, 2, 3, 4, 6, 7, 8].includes(i))),
      [
        ['0', '0.1', '2', 'succeeded', 'local', '0', '1', '0.2'],
        ['1', '0.1', '4', 'succeeded', 'local', '0', '1', '0.4'],
        ['2', '0.5', '2', 'succeeded', 'local', '0', '1', '1'],
      ],
    );
    assert.match(fs.readFileSync(path.join(folder, 'results.md'), 'utf8'), /\| 0\.2 ▼ \|/);
    assert.match(fs.readFileSync(trials[2]!.logFile, 'utf8'), /trained 0\.5 2/);
    assert.equal(fs.readFileSync(path.join(folder, 't2', 'out', 'metrics.json'), 'utf8'), '{"loss": 1.0, "trial": 2}');

    // the results table opened with the sweep: the rows its page was sent, the lowest loss marked best
    const id = row.record.sweep!.id;
    const shown = await until('the results table with the three ended trials', 20000, () => {
      const t = api.runs.sweepTables().find((p) => p.sweepId === id)?.table;
      return t && !t.running && t.rows.every((r) => r.state === 'succeeded') && t;
    });
    assert.deepEqual(shown.columns, csv[0]!.split(','));
    assert.deepEqual(shown.better, { loss: 'lower', metric_trial: 'higher' });
    assert.deepEqual(
      shown.rows.map((r) => [r.trial, r.cells[shown.columns.indexOf('loss')], r.best, r.openable]),
      [
        [0, 0.2, ['loss'], true],
        [1, 0.4, [], true],
        [2, 1, ['metric_trial'], true],
      ],
    );
    const page = api.runs.sweepTables().find((p) => p.sweepId === id)!;
    assert.deepEqual(page.localResourceRoots, [
      path.join(vscode.extensions.getExtension('container-exec.container-exec')!.extensionPath, 'dist'),
    ]);
    assert.match(page.html, /script-src 'nonce-[^']+'/);

    // Export CSV: the rows, to the file the save dialog answered
    const exported = path.join(ws(), 'exported-results.csv');
    api.runs.answerSaveDialog(exported);
    assert.equal(await api.runs.deliverToSweepTable(id, { type: 'exportCsv' }), exported);
    assert.equal(fs.readFileSync(exported, 'utf8'), fs.readFileSync(path.join(folder, 'results.csv'), 'utf8'));
    fs.rmSync(exported);

    // a row's links open the trial's run.log in an editor and reveal its out/
    assert.equal(await api.runs.deliverToSweepTable(id, { type: 'openLog', trial: 2 }), trials[2]!.logFile);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, trials[2]!.logFile);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    assert.equal(await api.runs.deliverToSweepTable(id, { type: 'openOutputs', trial: 2 }), path.join(folder, 't2', 'out'));
  });

  it('Run Sweep… on a sweep file runs it and shows the results; a bad placeholder is refused naming the file and field, nothing run', async () => {
    const file = vscode.Uri.file(path.join(ws(), 'sweeps', 'one.sweep.json'));
    fs.writeFileSync(
      file.fsPath,
      JSON.stringify({ recipe: 'sweeps/train.py', configuration: 'sweep-local', matrix: { batch: [3] }, args: ['--lr', '2'] }),
    );
    const done = (await vscode.commands.executeCommand('containerExec.runSweep', file)) as SweepDone;
    assert.equal(done.result.state, 'succeeded', done.result.message);
    assert.equal(done.result.trials[0]!.metrics?.values.loss, 6);
    assert.equal(sweepRow(done.sweepId)?.trials?.length, 1);
    await until('the results table shown', 20000, () =>
      api.runs.sweepTables().some((p) => p.sweepId === done.sweepId && p.table?.rows[0]?.state === 'succeeded'),
    );

    const runsBefore = api.runs.children().length;
    fs.writeFileSync(file.fsPath, JSON.stringify({ recipe: 'sweeps/train.py', matrix: { lr: [1] }, args: ['--lr', '${lrr}'] }));
    assert.equal(await vscode.commands.executeCommand('containerExec.runSweep', file), undefined);
    const shown = await until('the error message', 10000, () => api.shownError());
    assert.match(
      shown.text,
      /^Sweep file sweeps\/one\.sweep\.json: args\[1\]: \$\{lrr\} names no parameter of the matrix \(lr\): use one of them\.$/,
    );
    assert.equal(api.runs.children().length, runsBefore);
  });

  it('Re-run Failed Trials runs only the failed trial again, as its next attempt of the same sweep; the table shows all trials', async () => {
    fs.writeFileSync(
      path.join(ws(), 'sweeps', 'flaky.py'),
      'import os, sys\nif os.path.exists(f"sweeps/fail-{os.environ[\'SWEEP_I\']}"): sys.exit(3)\nprint("ok", flush=True)\n',
    );
    fs.writeFileSync(path.join(ws(), 'sweeps', 'fail-2'), '');
    const file = vscode.Uri.file(path.join(ws(), 'sweeps', 'flaky.sweep.json'));
    fs.writeFileSync(file.fsPath, JSON.stringify({ recipe: 'sweeps/flaky.py', configuration: 'sweep-local', matrix: { i: [1, 2, 3] } }));
    const first = (await vscode.commands.executeCommand('containerExec.runSweep', file)) as SweepDone;
    assert.deepEqual(
      first.result.trials.map((t) => t.state),
      ['succeeded', 'failed', 'succeeded'],
    );
    const ranFirst = first.result.trials.map((t) => t.runId);
    fs.rmSync(path.join(ws(), 'sweeps', 'fail-2'));

    const again = (await vscode.commands.executeCommand('containerExec.rerunFailedTrials', first.sweepId)) as SweepDone;
    assert.equal(again.sweepId, first.sweepId);
    assert.deepEqual(
      again.result.trials.map((t) => [t.trial.index, t.state, t.attempt]),
      [[1, 'succeeded', 1]],
    );
    const folder = path.join(ws(), '.container-exec', 'sweeps', first.sweepId);
    assert.ok(fs.existsSync(path.join(folder, 't1-r1', 'run.log')), 'the new attempt has a folder of its own');
    const table = await until('the table of the whole sweep', 20000, () => {
      const t = api.runs.sweepTables().find((p) => p.sweepId === first.sweepId)?.table;
      return t && !t.running && t.rows.every((r) => r.state === 'succeeded') && t;
    });
    const col = (name: string) => table.columns.indexOf(name);
    assert.deepEqual(
      table.rows.map((r) => [r.trial, r.cells[col('attempts')], r.cells[col('exit_code')]]),
      [
        [0, 1, 0],
        [1, 2, 0],
        [2, 1, 0],
      ],
    );
    // the trials that had succeeded did not run again: the sweep has their one run each, and two of trial 1
    const runs = sweepRow(first.sweepId)!.trials!;
    assert.deepEqual(runs.map((r) => r.sweep!.trial).sort(), [0, 1, 1, 2]);
    assert.ok(runs.some((r) => r.id === ranFirst[0]) && runs.some((r) => r.id === ranFirst[2]));
    assert.match(fs.readFileSync(path.join(folder, 'results.csv'), 'utf8'), /\r\n1,2,succeeded,local,[\d.]+,0,2,/);

    // nothing failed any more: a second Re-run is refused, naming the sweep
    assert.equal(await vscode.commands.executeCommand('containerExec.rerunFailedTrials', first.sweepId), undefined);
    const refusal = await until('the refusal', 10000, () => api.shownError()?.text.includes(first.sweepId) && api.shownError());
    assert.equal(refusal.text, `Sweep ${first.sweepId} has no failed or cancelled trial to run again.`);
  });

  it('Cancel Sweep on the sweep row: running trials stop, queued ones never start, no container of the sweep is left', async () => {
    fs.writeFileSync(path.join(ws(), 'sweeps', 'sleepy.py'), 'import time\nprint("started", flush=True)\ntime.sleep(60)\n');
    const file = vscode.Uri.file(path.join(ws(), 'sweeps', 'long.sweep.json'));
    fs.writeFileSync(
      file.fsPath,
      JSON.stringify({ recipe: 'sweeps/sleepy.py', configuration: 'sweep-local', matrix: { i: [1, 2, 3] }, maxParallel: 2 }),
    );
    const running = vscode.commands.executeCommand('containerExec.runSweep', file) as Thenable<SweepDone>;
    // running for real: each of two recipes printed "started" into its trial's run.log
    const row = await until('two trials running under the sweep', 60000, () => {
      const r = api.runs.children().find((n) => n.kind === 'sweep' && n.record.sweep?.file === 'sweeps/long.sweep.json');
      const started = r?.trials?.filter(
        (t) => t.state === 'running' && fs.existsSync(t.logFile) && /^started$/m.test(fs.readFileSync(t.logFile, 'utf8')),
      );
      return started?.length === 2 && r;
    });
    assert.equal(api.runs.item(row).contextValue, 'sweep.running');
    // the results table's state column: where each running trial runs, why the third waits
    const table = () => api.runs.sweepTables().find((p) => p.sweepId === row.record.sweep!.id)?.table;
    const states = await until('the table with two trials running', 20000, () => {
      const cells = table()?.rows.map((r) => r.cells[table()!.columns.indexOf('state')]);
      return cells?.filter((c) => c === 'running on local').length === 2 && cells;
    });
    assert.deepEqual(states, ['running on local', 'running on local', 'queued: waiting for a free slot (maxParallel 2)']);
    await vscode.commands.executeCommand('containerExec.cancelSweep', row);
    const done = await running;
    assert.equal(done.result.state, 'cancelled', done.result.message);
    assert.deepEqual(
      done.result.trials.map((t) => t.state),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    assert.equal(done.result.trials[2]!.containerId, undefined, 'the queued trial never started');
    // every container of a sweep trial of this workspace (kind and workspace labels): none left
    const left = execFileSync(
      'docker',
      [
        '-H',
        need('DOCKER_LOCAL_HOST'),
        'ps',
        '-aq',
        '--filter',
        'label=container-exec.kind=sweep-trial',
        '--filter',
        `label=container-exec.workspace=${workspaceLabel(ws())}`,
      ],
      { encoding: 'utf8' },
    ).trim();
    assert.equal(left, '');
    assert.equal(api.runs.item(sweepRow(done.sweepId)!).contextValue, 'sweep');
  });
});
