import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { workspaceLabel } from '../../src/core/run/recipe';
import type { RunResult } from '../../src/runs/runCommands';
import { need, testbedDaemonSettings } from '../support/testbed';
import { runningRow } from '../support/runningRow';
import { until } from '../support/until';

describe('recipe runs in the extension host (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const recipe = () => vscode.Uri.file(path.join(ws(), 'recipes', 'compute.py'));
  let api: ContainerExecApi;
  const runContainers = (host: string) =>
    execFileSync('docker', ['-H', host, 'ps', '-aq', '--filter', 'label=container-exec.run'], { encoding: 'utf8' }).trim();

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(
      recipe().fsPath,
      'import os, sys\nprint("args", sys.argv[1:])\nprint("config", os.environ["CONTAINER_EXEC_CONFIGURATION"], os.environ.get("GREETING"))\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write("done")\nsys.exit(int(os.environ.get("EXIT", "0")))\n',
    );
    fs.writeFileSync(path.join(ws(), 'recipes', 'slow.py'), 'import time\nprint("started", flush=True)\ntime.sleep(60)\n');
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('localDefaultImage', need('PYTHON_IMAGE'), vscode.ConfigurationTarget.Workspace);
    await config().update('stopGraceSeconds', 2, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'py-local', daemon: 'local', baseImage: need('PYTHON_IMAGE'), env: { GREETING: 'hi' } },
        { name: 'py-tls', daemon: 'tls', baseImage: need('PYTHON_IMAGE') },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(async () => {
    for (const key of ['recipeConfigurations', 'defaultConfiguration', 'localDefaultImage', 'stopGraceSeconds', 'terminalMaxMBps'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('a container-exec-run task from tasks.json runs through vscode.tasks.executeTask (args, env, outputs back)', async () => {
    const before = new Set(api.runs.children().map((n) => n.record.id));
    // a task as a user writes it in tasks.json; VS Code resolves it through the extension's provider
    fs.mkdirSync(path.join(ws(), '.vscode'), { recursive: true });
    const definition = {
      type: 'container-exec-run',
      recipe: 'recipes/compute.py',
      configuration: 'py-tls',
      args: ['--n', '3'],
      env: { GREETING: 'from the task' },
    };
    fs.writeFileSync(
      path.join(ws(), '.vscode', 'tasks.json'),
      JSON.stringify({ version: '2.0.0', tasks: [{ ...definition, label: 'compute on tls' }] }, null, 2),
    );
    const task = await until('the tasks.json task', 20000, async () =>
      (await vscode.tasks.fetchTasks({ type: 'container-exec-run' })).find((t) => t.name === 'compute on tls'),
    );
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === 'compute on tls') {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    assert.equal(await ended, 0);
    const run = api.runs.children().find((n) => !before.has(n.record.id))!.record;
    assert.equal(run.state, 'succeeded');
    assert.equal(run.configuration, 'py-tls');
    assert.deepEqual(run.target, { kind: 'docker-daemon', id: 'tls' });
    assert.equal(fs.readFileSync(path.join(ws(), '.container-exec', 'runs', run.id, 'out', 'result.txt'), 'utf8'), 'done');
    assert.match(fs.readFileSync(run.logFile, 'utf8'), /args \['--n', '3'\]\nconfig py-tls from the task\n/);
  });

  it('Run Recipe: with nothing configured the local default serves; then recipeConfigurations, then the project default choose', async () => {
    for (const target of [vscode.ConfigurationTarget.Global, vscode.ConfigurationTarget.Workspace])
      await config().update('defaultConfiguration', undefined, target);
    let r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipe', recipe());
    assert.equal(r.exitCode, 0, r.record?.message);
    assert.equal(r.record?.configuration, 'local-default');
    assert.equal(r.record?.chosenBy, 'local default');

    await config().update('defaultConfiguration', 'py-local', vscode.ConfigurationTarget.Workspace);
    r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipe', recipe());
    assert.deepEqual([r.record?.configuration, r.record?.chosenBy], ['py-local', 'project default']);
    assert.match(fs.readFileSync(r.record!.logFile, 'utf8'), /config py-local hi/);

    await config().update('recipeConfigurations', { 'recipes/*.py': 'py-tls' }, vscode.ConfigurationTarget.Workspace);
    r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipe', recipe());
    assert.deepEqual([r.record?.configuration, r.record?.chosenBy, r.record?.target.id], ['py-tls', 'recipe', 'tls']);

    r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'py-local');
    assert.deepEqual([r.record?.configuration, r.record?.chosenBy], ['py-local', 'explicit']);
    await config().update('recipeConfigurations', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('a failing recipe ends the task with its exit code; the Runs view row says so; Re-run runs it again', async () => {
    const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'py-local');
    assert.equal(r.exitCode, 0);
    await config().update(
      'configurations',
      [
        ...(config().get<object[]>('configurations') ?? []),
        { name: 'fails', daemon: 'local', baseImage: need('PYTHON_IMAGE'), env: { EXIT: '3' } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    const failed = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'fails');
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.record?.state, 'failed');
    const node = api.runs.children().find((n) => n.record.id === failed.runId)!;
    const item = api.runs.item(node);
    assert.match(String(item.description), /^fails · local · failed, exit 3 · \d+\.\d s · /);
    assert.equal(item.contextValue, 'run.finished.outputs');
    // outputs written before the failure came back
    assert.equal(
      await vscode.commands.executeCommand('containerExec.openRunOutputs', node),
      path.join(ws(), '.container-exec', 'runs', failed.runId, 'out'),
    );
    const again = await vscode.commands.executeCommand<RunResult>('containerExec.rerun', node);
    assert.notEqual(again.runId, failed.runId);
    assert.deepEqual([again.exitCode, again.record?.configuration, again.record?.chosenBy], [3, 'fails', 'explicit']);
    const logs = await vscode.commands.executeCommand<string>('containerExec.showRunLogs', node);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, logs);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a configuration that does not exist fails the task with its name, and records no run', async () => {
    const count = api.runs.children().length;
    const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'no-such-config');
    assert.equal(r.exitCode, 1);
    assert.equal(r.record, undefined);
    assert.equal(api.runs.children().length, count);
  });

  it('no permission, or an image the daemon lacks: the run fails before any container, and the row says why', async () => {
    await config().update(
      'configurations',
      [
        ...(config().get<object[]>('configurations') ?? []),
        { name: 'locked', daemon: 'local', baseImage: need('PYTHON_IMAGE'), allowedGroups: ['no-such-group'] },
        { name: 'never-built', daemon: 'local' },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    const locked = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'locked');
    assert.equal(locked.exitCode, 1);
    assert.match(locked.record?.message ?? '', /No usage permission on configuration locked \(allowed groups: no-such-group/);
    const missing = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'never-built');
    assert.equal(missing.exitCode, 1);
    assert.match(
      missing.record?.message ?? '',
      /Image container-exec\/base-never-built:[^ ]+ of configuration never-built is not on daemon "local" .*build it first \(Build Base Image\)/,
    );
    for (const r of [locked, missing]) assert.equal(r.record?.containerId, undefined);
  });

  it('Stop Run stops the container (the task ends non-zero), the row says cancelled, no container is left', async () => {
    const running = vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'slow.py')),
      'py-local',
    );
    const node = await runningRow(api, (r) => r.recipe === 'recipes/slow.py', 'started', 20000);
    assert.equal(api.runs.item(node).contextValue, 'run.running');
    await vscode.commands.executeCommand('containerExec.stopRun', node);
    const r = await running;
    assert.equal(r.exitCode, 130);
    assert.equal(r.record?.state, 'cancelled');
    assert.equal(
      runContainers(need('DOCKER_LOCAL_HOST'))
        .split('\n')
        .filter((id) => id && node.record.containerId!.startsWith(id)).length,
      0,
    );
  });

  it('Stop Run from the palette or its key (no run given) stops the run started last in this window; with none going on it says so', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal(await vscode.commands.executeCommand('containerExec.stopRun'), undefined);
    const shown = await until('the error message', 10000, () => api.shownError());
    assert.match(shown.text, /No run is going on in this window/);
    await vscode.commands.executeCommand('notifications.clearAll');
    const running = vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'slow.py')),
      'py-local',
    );
    const node = await runningRow(api, (r) => r.recipe === 'recipes/slow.py', 'started', 20000);
    await vscode.commands.executeCommand('containerExec.stopRun');
    const r = await running;
    assert.equal(r.runId, node.record.id);
    assert.equal(r.record?.state, 'cancelled');
  });

  it('a pool run over its budget shows queued with its reason and position in the Runs view; Stop cancels it while queued', async () => {
    await config().update(
      'configurations',
      [
        ...(config().get<unknown[]>('configurations') ?? []),
        { name: 'py-pool', pool: ['local', 'tcp'], baseImage: need('PYTHON_IMAGE'), resources: { memory: '64m', cpus: 0.2 } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('budgets', { 'py-pool': { maxRuns: 1 } }, vscode.ConfigurationTarget.Workspace);
    try {
      const slow = vscode.commands.executeCommand<RunResult>(
        'containerExec.runRecipeOnConfiguration',
        vscode.Uri.file(path.join(ws(), 'recipes', 'slow.py')),
        'py-pool',
      );
      const first = await until('the pool run placed', 30000, () =>
        api.runs
          .children()
          .find(
            (n) =>
              n.record.recipe === 'recipes/slow.py' &&
              n.record.configuration === 'py-pool' &&
              n.record.state === 'running' &&
              n.record.containerId,
          ),
      );
      assert.ok(first.record.placement && ['local', 'tcp'].includes(first.record.placement.daemon), JSON.stringify(first.record.placement));
      assert.match(first.record.placement!.reason, /CPUs free/);
      const second = vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe(), 'py-pool');
      const queued = await until('the queued row', 30000, () =>
        api.runs.children().find((n) => n.record.recipe === 'recipes/compute.py' && n.record.state === 'queued'),
      );
      const item = api.runs.item(queued);
      assert.match(String(item.description), /queued 1st: your budget of 1 concurrent runs has 1 running/);
      assert.equal(item.contextValue, 'run.running');
      await vscode.commands.executeCommand('containerExec.stopRun', queued);
      const r2 = await second;
      assert.equal(r2.record?.state, 'cancelled');
      assert.equal(r2.record?.containerId, undefined);
      await vscode.commands.executeCommand('containerExec.stopRun', first);
      assert.equal((await slow).record?.state, 'cancelled');
    } finally {
      await config().update('budgets', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a recipe printing far more than the terminal budget: run.log has every byte, the terminal a skip note and the last line', async () => {
    const lines = 200_000; // 100-byte lines: 20 MB, in well under the 20 s the budget would need
    fs.writeFileSync(
      path.join(ws(), 'recipes', 'chatty.py'),
      `import sys\nfor i in range(${lines}):\n    sys.stdout.write("line %07d %s\\n" % (i, "x" * 86))\nprint("the last line")\n`,
    );
    await config().update('terminalMaxMBps', 1, vscode.ConfigurationTarget.Workspace);
    const shown = new Map<string, string>();
    const sub = api.runs.onTerminalWrite(({ runId, text }) => shown.set(runId, (shown.get(runId) ?? '') + text));
    const r = await vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'chatty.py')),
      'py-local',
    );
    sub.dispose();
    assert.equal(r.exitCode, 0, r.record?.message);
    assert.equal(r.record?.outputBytes, lines * 100 + 'the last line\n'.length);
    // run.log: every line, in order
    const log = fs.readFileSync(r.record!.logFile, 'utf8');
    const logged = log.split('\n').filter((l) => l.startsWith('line '));
    assert.equal(logged.length, lines);
    assert.equal(logged[lines - 1], `line ${String(lines - 1).padStart(7, '0')} ${'x'.repeat(86)}`);
    assert.match(log, /the last line\n/);
    // the terminal: whole lines, skip notes whose counts add up to what it did not show, the last line before the summary
    const text = shown.get(r.runId) ?? '';
    const notes = [...text.matchAll(/… ([\d.]+) (MB|KB) more in run\.log — Show Run Logs/g)].map(
      (m) => Number(m[1]) * (m[2] === 'MB' ? 1e6 : 1e3),
    );
    assert.ok(notes.length >= 1, `no skip note in ${text.length} chars of terminal text`);
    const shownLines = text.split('\r\n').filter((l) => /^line \d{7} x{86}$/.test(l)).length;
    const skipped = notes.reduce((a, b) => a + b, 0);
    assert.ok(shownLines < lines / 2, `${shownLines} of ${lines} lines shown at 1 MB/s`);
    assert.ok(
      Math.abs(skipped + shownLines * 100 - lines * 100) <= notes.length * 50e3 + 100,
      `skipped ${skipped} + shown ${shownLines * 100} != ${lines * 100}`,
    );
    const end = text.slice(-2000);
    assert.match(
      end,
      new RegExp(`\nline ${String(lines - 1).padStart(7, '0')} x{86}\r\nthe last line\r\n[^]*Run succeeded`),
      JSON.stringify(end),
    );
  });

  it('containers of lost runs are found by label and removed', async () => {
    const docker = (...args: string[]) => execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), ...args], { encoding: 'utf8' }).trim();
    const run = (id: string, ...labels: string[]) =>
      docker('create', '--label', `container-exec.run=${id}`, ...labels.flatMap((l) => ['--label', l]), need('BUSYBOX_IMAGE'), 'true');
    const mine = `container-exec.workspace=${workspaceLabel(ws())}`;
    const id = run('20260101-000000-dead', mine);
    // kept on purpose, or another workspace's: not offered
    const kept = run('20260101-000000-kept', mine, 'container-exec.kept=true');
    const other = run('20260101-000000-othr', 'container-exec.workspace=0123456789abcdef');
    const removed = await vscode.commands.executeCommand<string[]>('containerExec.removeLostRunContainers', 'tcp');
    assert.deepEqual(removed, [id]);
    docker('rm', kept, other);
    assert.equal(runContainers(need('DOCKER_TCP_HOST')), '');
  });

  it('outputs past containerExec.outputMaxEntries stay in the kept container (not offered as lost); Fetch Run Outputs brings them once the cap is raised, then removes it', async () => {
    const many = vscode.Uri.file(path.join(ws(), 'recipes', 'many.py'));
    fs.writeFileSync(
      many.fsPath,
      'import os\nos.makedirs("out", exist_ok=True)\nfor i in range(20):\n    open(f"out/f{i}.txt", "w").write(str(i))\n',
    );
    const inLocal = (containerId: string) =>
      runContainers(need('DOCKER_LOCAL_HOST'))
        .split('\n')
        .filter((id) => id && containerId.startsWith(id)).length;
    await config().update('outputMaxEntries', 5, vscode.ConfigurationTarget.Workspace);
    try {
      const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', many, 'py-local');
      assert.equal(r.exitCode, 0, r.record?.message);
      const kept = r.record?.outputsKept;
      assert.ok(kept, JSON.stringify(r.record));
      assert.deepEqual(kept.target, { kind: 'docker-daemon', id: 'local' });
      assert.match(kept.reason, /more than 5 entries \(containerExec\.outputMaxEntries\)/);
      assert.match(
        fs.readFileSync(r.record!.logFile, 'utf8'),
        /warning: Not all outputs of \/workspace\/out came back: .*"Fetch Run Outputs"/,
      );
      const node = api.runs.children().find((n) => n.record.id === r.runId)!;
      assert.equal(api.runs.item(node).contextValue, 'run.finished.kept.outputs');
      assert.equal(inLocal(r.record!.containerId!), 1);
      const removed = await vscode.commands.executeCommand<string[]>('containerExec.removeLostRunContainers', 'local');
      assert.ok(!removed.includes(r.record!.containerId!));
      assert.equal(inLocal(r.record!.containerId!), 1);

      await config().update('outputMaxEntries', 1000, vscode.ConfigurationTarget.Workspace);
      const folder = await vscode.commands.executeCommand<string>('containerExec.fetchRunOutputs', node);
      assert.equal(folder, path.join(ws(), '.container-exec', 'runs', r.runId, 'out'));
      assert.equal(fs.readdirSync(folder).length, 20);
      const after = api.runs.children().find((n) => n.record.id === r.runId)!;
      assert.equal(after.record.outputsKept, undefined);
      assert.equal(api.runs.item(after).contextValue, 'run.finished.outputs');
      assert.equal(inLocal(r.record!.containerId!), 0);
    } finally {
      await config().update('outputMaxEntries', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
