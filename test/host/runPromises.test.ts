import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DebugSessionEnd } from '../../src/debug/debugAdapter';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { workspaceLabel } from '../../src/core/run/recipe';
import { need, startCrashDaemon, stopCrashDaemon, testbedDaemonSettings } from '../support/testbed';
import { runningRow } from '../support/runningRow';
import { until } from '../support/until';

/** README promises about runs (issue 29), each checked in the real extension host against the testbed's daemons. */
describe('README promises about runs (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const recipeAt = (name: string) => vscode.Uri.file(path.join(ws(), 'recipes', name));
  const GRACE = 2;
  let api: ContainerExecApi;
  const localDocker = (...args: string[]) =>
    execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  /** `docker inspect` of a container: undefined once the daemon has no such container. */
  const inspect = (id: string) => {
    try {
      return JSON.parse(localDocker('inspect', id)) as { State: { Status: string } }[];
    } catch (e) {
      if (/No such (object|container)/i.test(String((e as { stderr?: string }).stderr))) return undefined;
      throw e;
    }
  };

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    const stubborn =
      'import signal, time\nsignal.signal(signal.SIGTERM, lambda *a: print("TERM ignored", flush=True))\nprint("started", flush=True)\nwhile True:\n    time.sleep(0.1)\n';
    fs.writeFileSync(recipeAt('stubborn.py').fsPath, stubborn);
    const polite =
      'import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(7))\nprint("started", flush=True)\ntime.sleep(60)\n';
    fs.writeFileSync(recipeAt('polite.py').fsPath, polite);
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('stopGraceSeconds', GRACE, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [{ name: 'py-local', daemon: 'local', baseImage: need('PYTHON_IMAGE') }],
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(async () => {
    for (const key of ['stopGraceSeconds', 'keepContainers', 'runOutputPath', 'runHistorySize'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  /** Starts a run of `recipe` and waits until it printed "started" (its signal handler is in place); returns its terminal too. */
  async function startedRun(recipe: string) {
    const result = vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipeAt(recipe), 'py-local');
    const node = await runningRow(api, (r) => r.recipe === `recipes/${recipe}`, 'started', 30000);
    const id = node.record.id;
    const terminal = await until('the run terminal', 10000, () => vscode.window.terminals.find((t) => t.name.includes(id)));
    return { result, id, containerId: node.record.containerId!, terminal };
  }

  it('closing the terminal of a run that ignores SIGTERM kills its container after containerExec.stopGraceSeconds (137), and removes it', async () => {
    const run = await startedRun('stubborn.py');
    const t0 = Date.now();
    run.terminal.dispose();
    const r = await run.result;
    const record = await until(
      'the record ended',
      10000,
      () => api.runs.children().find((n) => n.record.id === run.id && n.record.endedAt)?.record,
    );
    const took = record.endedAt! - t0;
    assert.equal(record.state, 'cancelled', record.message);
    assert.equal(record.exitCode, 137, record.message);
    assert.ok(took >= GRACE * 1000 * 0.9 && took <= GRACE * 1000 * 3, `ended ${took} ms after the close, grace ${GRACE} s`);
    assert.notEqual(r.exitCode, 0); // undefined: VS Code ends the task of a closed terminal with no code
    assert.match(fs.readFileSync(record.logFile, 'utf8'), /TERM ignored/);
    assert.equal(inspect(run.containerId), undefined);
  });

  it("Ctrl+C in the terminal of a run that exits on SIGTERM ends it before the grace, with the recipe's own exit code, and removes it", async () => {
    const run = await startedRun('polite.py');
    const t0 = Date.now();
    run.terminal.sendText('\x03', false);
    const r = await run.result;
    const record = await until(
      'the record ended',
      10000,
      () => api.runs.children().find((n) => n.record.id === run.id && n.record.endedAt)?.record,
    );
    assert.equal(record.state, 'cancelled', record.message);
    assert.equal(record.exitCode, 7, record.message);
    assert.equal(r.exitCode, 130); // the task of a cancelled run ends with 130 (README)
    assert.ok(record.endedAt! - t0 < GRACE * 1000, `ended ${record.endedAt! - t0} ms after Ctrl+C, grace ${GRACE} s`);
    assert.equal(inspect(run.containerId), undefined);
  });
  it('containerExec.keepContainers keeps the container (labelled kept, the run says so); a custom containerExec.runOutputPath comes back', async () => {
    fs.writeFileSync(
      recipeAt('results.py').fsPath,
      'import os\nout = os.environ["CONTAINER_EXEC_OUTPUT"]\nos.makedirs(out, exist_ok=True)\nopen(os.path.join(out, "r.txt"), "w").write(out)\n',
    );
    await config().update('keepContainers', true, vscode.ConfigurationTarget.Workspace);
    await config().update('runOutputPath', '/workspace/results', vscode.ConfigurationTarget.Workspace);
    let containerId: string | undefined;
    try {
      const r = await vscode.commands.executeCommand<RunResult>(
        'containerExec.runRecipeOnConfiguration',
        recipeAt('results.py'),
        'py-local',
      );
      containerId = r.record?.containerId;
      assert.equal(r.exitCode, 0, r.record?.message);
      assert.ok(r.record?.outputs, JSON.stringify(r.record));
      assert.equal(fs.readFileSync(path.join(r.record.outputs, 'r.txt'), 'utf8'), '/workspace/results');
      assert.match(fs.readFileSync(r.record.logFile, 'utf8'), /Kept container .* \(containerExec\.keepContainers\)/);
      const kept = inspect(containerId!);
      assert.equal(kept?.[0]?.State.Status, 'exited');
      assert.equal(localDocker('inspect', '-f', '{{index .Config.Labels "container-exec.kept"}}', containerId!), 'true');
    } finally {
      await config().update('keepContainers', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('runOutputPath', undefined, vscode.ConfigurationTarget.Workspace);
      if (containerId && inspect(containerId)) localDocker('rm', '-f', containerId);
    }
  });

  it('containerExec.runHistorySize trims the history; Clear Finished Runs empties it but for a run whose outputs are still in a container', async () => {
    fs.writeFileSync(recipeAt('quick.py').fsPath, 'print("quick")\n');
    fs.writeFileSync(
      recipeAt('three.py').fsPath,
      'import os\nos.makedirs("out", exist_ok=True)\nfor i in range(3):\n    open(f"out/f{i}.txt", "w").write(str(i))\n',
    );
    // runs of earlier tests whose outputs still wait in a container stay in the history by design: only this test's count
    const earlier = new Set(api.runs.children().map((n) => n.record.id));
    const ids = () =>
      api.runs
        .children()
        .map((n) => n.record.id)
        .filter((id) => !earlier.has(id));
    const run = async (recipe: string) => {
      const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipeAt(recipe), 'py-local');
      assert.equal(r.exitCode, 0, r.record?.message);
      return r;
    };
    await config().update('outputMaxEntries', 1, vscode.ConfigurationTarget.Workspace);
    await config().update('runHistorySize', 2, vscode.ConfigurationTarget.Workspace);
    let keptRun: RunResult | undefined;
    try {
      keptRun = await run('three.py');
      assert.ok(keptRun.record?.outputsKept, JSON.stringify(keptRun.record));
      const quick = [await run('quick.py'), await run('quick.py'), await run('quick.py')].map((r) => r.runId);
      // the newest two, and the run whose outputs wait in a container; older ones dropped
      assert.deepEqual(ids(), [quick[2], quick[1], keptRun.runId]);
      await vscode.commands.executeCommand('containerExec.clearRunHistory');
      assert.deepEqual(ids(), [keptRun.runId]);
    } finally {
      await config().update('outputMaxEntries', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('runHistorySize', undefined, vscode.ConfigurationTarget.Workspace);
      // fetching the rest of the outputs removes the kept container
      const node = keptRun && api.runs.children().find((n) => n.record.id === keptRun!.runId);
      if (node?.record.outputsKept) await vscode.commands.executeCommand('containerExec.fetchRunOutputs', node);
    }
    assert.equal(inspect(keptRun.record!.containerId!), undefined);
  });
  it('Re-run in Debug on a finished run debugs the same recipe with its configuration, args and env', async () => {
    fs.writeFileSync(
      recipeAt('echo.py').fsPath,
      'import os, sys\nprint("args", sys.argv[1:])\nprint("config", os.environ["CONTAINER_EXEC_CONFIGURATION"], os.environ.get("GREETING"))\n',
    );
    const tasksFile = path.join(ws(), '.vscode', 'tasks.json');
    const previous = fs.existsSync(tasksFile) ? fs.readFileSync(tasksFile, 'utf8') : undefined;
    fs.mkdirSync(path.dirname(tasksFile), { recursive: true });
    const definition = {
      type: 'container-exec-run',
      recipe: 'recipes/echo.py',
      configuration: 'py-local',
      args: ['--n', '3'],
      env: { GREETING: 'from the task' },
    };
    fs.writeFileSync(tasksFile, JSON.stringify({ version: '2.0.0', tasks: [{ ...definition, label: 'echo with args' }] }, null, 2));
    try {
      const task = await until('the tasks.json task', 20000, async () =>
        (await vscode.tasks.fetchTasks({ type: 'container-exec-run' })).find((t) => t.name === 'echo with args'),
      );
      const before = new Set(api.runs.children().map((n) => n.record.id));
      const ended = new Promise<number | undefined>((resolve) => {
        const sub = vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.name !== 'echo with args') return;
          sub.dispose();
          resolve(e.exitCode);
        });
      });
      await vscode.tasks.executeTask(task);
      assert.equal(await ended, 0);
      const node = api.runs.children().find((n) => !before.has(n.record.id))!;
      assert.equal(node.record.state, 'succeeded');

      const started = new Promise<vscode.DebugSession>((resolve) => {
        const sub = vscode.debug.onDidStartDebugSession((session) => {
          if (session.type !== 'container-exec') return;
          sub.dispose();
          resolve(session);
        });
      });
      const debugEnded = new Promise<DebugSessionEnd>((resolve) => {
        const sub = api.debug.onDidEnd((e) => {
          sub.dispose();
          resolve(e);
        });
      });
      assert.equal(await vscode.commands.executeCommand('containerExec.rerunInDebug', node), true);
      const session = await started;
      assert.equal(path.resolve(ws(), session.configuration.recipe as string), recipeAt('echo.py').fsPath);
      assert.equal(session.configuration.configuration, 'py-local');
      assert.deepEqual(session.configuration.args, ['--n', '3']);
      assert.deepEqual(session.configuration.env, { GREETING: 'from the task' });
      const end = await debugEnded;
      const record = end.record!;
      assert.equal(record.state, 'succeeded', record.message);
      assert.notEqual(record.id, node.record.id);
      assert.deepEqual([record.kind, record.recipe, record.configuration], ['debug', 'recipes/echo.py', 'py-local']);
      assert.match(fs.readFileSync(record.logFile, 'utf8'), /args \['--n', '3'\]\nconfig py-local from the task\n/);
    } finally {
      if (previous === undefined) fs.rmSync(tasksFile, { force: true });
      else fs.writeFileSync(tasksFile, previous);
    }
  });
  it('a daemon that connects holding a container of a lost run: its removal is offered, and Remove removes it', async () => {
    // the testbed's throwaway crash daemon (never a shared one): a container labelled as this workspace's run, as a crash leaves it
    const crash = startCrashDaemon();
    const docker = (...args: string[]) =>
      execFileSync('docker', ['-H', crash, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const daemons = config().inspect<object[]>('daemons')?.workspaceValue;
    try {
      try {
        docker('image', 'inspect', need('BUSYBOX_IMAGE'));
      } catch {
        execFileSync(
          'bash',
          ['-c', 'docker -H "$1" save "$3" | docker -H "$2" load -q', 'load', need('DOCKER_LOCAL_HOST'), crash, need('BUSYBOX_IMAGE')],
          {
            stdio: 'ignore',
          },
        );
      }
      const lost = docker(
        'create',
        '--label',
        'container-exec.run=20260101-000000-lost',
        '--label',
        `container-exec.workspace=${workspaceLabel(ws())}`,
        need('BUSYBOX_IMAGE'),
        'true',
      );
      const left = () => docker('ps', '-aq', '--no-trunc', '--filter', 'label=container-exec.run').split('\n').includes(lost);
      assert.ok(left());
      await vscode.commands.executeCommand('notifications.clearAll');
      // the daemon appears in the settings: it connects, and the offer's primary action (Remove) is pressed through the workbench
      await config().update(
        'daemons',
        [...(daemons ?? []), { id: 'crash', host: crash, timeoutMs: 5000 }],
        vscode.ConfigurationTarget.Workspace,
      );
      await vscode.commands.executeCommand('containerExec.refreshDaemons');
      await until('the lost run container removed through the offer', 30000, async () => {
        await vscode.commands.executeCommand('notification.acceptPrimaryAction');
        return !left();
      });
    } finally {
      await config().update('daemons', daemons, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('notifications.clearAll');
      for (const id of docker('ps', '-aq', '--filter', 'label=container-exec.run').split('\n').filter(Boolean)) docker('rm', '-f', id);
      await stopCrashDaemon();
    }
  });
});
