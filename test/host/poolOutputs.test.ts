// Issue 23: Fetch Run Outputs of a pool run (finding 2), and the back-ends a refused run folder leaves open (lesser finding).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

describe('issue 23: kept outputs of a pool run in the extension host (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const many = () => vscode.Uri.file(path.join(ws(), 'recipes', 'many-pool.py'));
  const POOL = 'kept-pool';
  let api: ContainerExecApi;
  /** Containers of run `id` on the daemon at `host`. */
  const containersOf = (host: string, id: string) =>
    execFileSync('docker', ['-H', host, 'ps', '-aq', '--filter', `label=container-exec.run=${id}`], { encoding: 'utf8' }).trim();
  /** The configuration `kept-pool` on these daemons, once the extension sees it so. */
  const poolOn = async (daemons: string[]) => {
    await config().update(
      'configurations',
      [{ name: POOL, pool: daemons, baseImage: need('PYTHON_IMAGE'), resources: { memory: '64m', cpus: 0.2 } }],
      vscode.ConfigurationTarget.Workspace,
    );
    await until(`${POOL} on ${daemons.join(', ')}`, 10000, () =>
      api.configurations
        .children()
        .some((n) => n.kind === 'configuration' && n.item.config.name === POOL && n.item.config.pool?.join() === daemons.join()),
    );
  };
  const runIds: string[] = [];

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(
      many().fsPath,
      'import os\nos.makedirs("out", exist_ok=True)\nfor i in range(20):\n    open(f"out/f{i}.txt", "w").write(str(i))\n',
    );
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    for (const key of ['configurations', 'keepContainers', 'outputMaxEntries'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    for (const host of [need('DOCKER_LOCAL_HOST'), need('DOCKER_TCP_HOST')])
      for (const id of runIds) {
        const left = containersOf(host, id);
        if (left) execFileSync('docker', ['-H', host, 'rm', '-f', ...left.split('\n')]);
      }
  });

  it('finding 2: Fetch Run Outputs brings them from the daemon the run landed on, with another container of the pool on the other daemon', async () => {
    // another run of the pool, kept on purpose on "local": a container labelled with the pool there
    await poolOn(['local']);
    await config().update('keepContainers', true, vscode.ConfigurationTarget.Workspace);
    const other = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', many(), POOL);
    runIds.push(other.runId);
    assert.equal(other.exitCode, 0, other.record?.message);
    assert.equal(containersOf(need('DOCKER_LOCAL_HOST'), other.runId).split('\n').length, 1);
    await config().update('keepContainers', undefined, vscode.ConfigurationTarget.Workspace);

    // the run whose outputs stay in its container, on "tcp"
    await poolOn(['tcp']);
    await config().update('outputMaxEntries', 5, vscode.ConfigurationTarget.Workspace);
    const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', many(), POOL);
    runIds.push(r.runId);
    assert.equal(r.exitCode, 0, r.record?.message);
    assert.ok(r.record?.outputsKept, JSON.stringify(r.record));
    assert.deepEqual(r.record.outputsKept.target, { kind: 'docker-pool', id: POOL });
    assert.equal(r.record.placement?.daemon, 'tcp');
    assert.equal(containersOf(need('DOCKER_TCP_HOST'), r.runId).split('\n').length, 1);
    // holding kept outputs, it is no lost run
    const removed = await vscode.commands.executeCommand<string[]>('containerExec.removeLostRunContainers', 'tcp');
    assert.ok(!removed.some((id) => r.record!.containerId!.startsWith(id) || id.startsWith(r.record!.containerId!)), removed.join());

    // the pool now has both daemons; the caps raised
    await poolOn(['local', 'tcp']);
    await config().update('outputMaxEntries', 1000, vscode.ConfigurationTarget.Workspace);
    const node = () => api.runs.children().find((n) => n.record.id === r.runId)!;

    const out = path.join(ws(), '.container-exec', 'runs', r.runId, 'out');
    const folder = await vscode.commands.executeCommand<string>('containerExec.fetchRunOutputs', node());
    assert.equal(folder, out, api.shownError()?.text);
    assert.equal(fs.readdirSync(folder).length, 20);
    assert.equal(node().record.outputsKept, undefined);
    assert.equal(containersOf(need('DOCKER_TCP_HOST'), r.runId), '');
    // the kept one on "local" is untouched
    assert.equal(containersOf(need('DOCKER_LOCAL_HOST'), other.runId).split('\n').length, 1);
  });

  it("lesser finding: a run whose run folder is refused leaves no back-end open (a pool holds its daemons' event streams)", async () => {
    await poolOn(['local', 'tcp']);
    const runId = '20260101-000000-beef';
    const folder = path.join(ws(), '.container-exec', 'runs', runId);
    fs.mkdirSync(folder, { recursive: true });
    fs.symlinkSync(os.tmpdir(), path.join(folder, 'run.log'));
    const opened = api.runs.openBackends();
    // a task as a user writes it in tasks.json, with the run id of that folder
    const tasksJson = path.join(ws(), '.vscode', 'tasks.json');
    const before = fs.existsSync(tasksJson) ? fs.readFileSync(tasksJson, 'utf8') : undefined;
    fs.mkdirSync(path.dirname(tasksJson), { recursive: true });
    const definition = { type: 'container-exec-run', recipe: 'recipes/many-pool.py', configuration: POOL, runId };
    fs.writeFileSync(tasksJson, JSON.stringify({ version: '2.0.0', tasks: [{ ...definition, label: 'refused run folder' }] }));
    try {
      const resolved = await until('the tasks.json task', 20000, async () =>
        (await vscode.tasks.fetchTasks({ type: 'container-exec-run' })).find((t) => t.name === 'refused run folder'),
      );
      const ended = new Promise<number | undefined>((resolve) => {
        const sub = vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.name === 'refused run folder') {
            sub.dispose();
            resolve(e.exitCode);
          }
        });
      });
      await vscode.tasks.executeTask(resolved);
      assert.notEqual(await ended, 0);
      await until('every back-end disposed', 5000, () => api.runs.openBackends() === opened);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      if (before === undefined) fs.rmSync(tasksJson);
      else fs.writeFileSync(tasksJson, before);
    }
  });

  it('lesser finding: Fetch Run Outputs with a refused run folder leaves no back-end open', async () => {
    await poolOn(['tcp']);
    await config().update('outputMaxEntries', 5, vscode.ConfigurationTarget.Workspace);
    const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', many(), POOL);
    runIds.push(r.runId);
    assert.ok(r.record?.outputsKept, JSON.stringify(r.record));
    const node = () => api.runs.children().find((n) => n.record.id === r.runId)!;
    const opened = api.runs.openBackends();
    // its out/ a link: the fetch fails before any back-end is opened
    const out = path.join(ws(), '.container-exec', 'runs', r.runId, 'out');
    fs.renameSync(out, `${out}.first`);
    fs.symlinkSync(os.tmpdir(), out);
    try {
      // the command's failure is shown, not thrown
      assert.equal(await vscode.commands.executeCommand('containerExec.fetchRunOutputs', node()), undefined);
      assert.match(api.shownError()?.text ?? '', /out is a symbolic link/);
      assert.ok(node().record.outputsKept, 'a refused fetch cleared the record');
      await until('every back-end disposed', 5000, () => api.runs.openBackends() === opened);
    } finally {
      fs.unlinkSync(out);
      fs.renameSync(`${out}.first`, out);
    }
  });
});
