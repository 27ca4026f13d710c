import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { jupyterImage, need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

/** A 1×1 PNG, for display(Image(...)). */
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const notebookJson = (cells: string[]) =>
  JSON.stringify({
    cells: cells.map((source) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })),
    metadata: { language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });

const decode = (item: vscode.NotebookCellOutputItem) => new TextDecoder().decode(item.data);
const items = (cell: vscode.NotebookCell) => cell.outputs.flatMap((o) => o.items);
const itemOf = (cell: vscode.NotebookCell, mime: string) => items(cell).find((i) => i.mime === mime);
const textOf = (cell: vscode.NotebookCell, mime: string) =>
  items(cell)
    .filter((i) => i.mime === mime)
    .map(decode)
    .join('');

describe('Notebooks: Container Exec kernels through the notebook controller (real host, real kernel in the testbed Jupyter image)', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const local = () => need('DOCKER_LOCAL_HOST');
  const containersOf = (runId: string, host = local()) =>
    execFileSync('docker', ['-H', host, 'ps', '-aq', '--filter', `label=container-exec.run=${runId}`], { encoding: 'utf8' }).trim();
  const recordOf = (runId: string) => api.runs.children().find((n) => n.record.id === runId)?.record;
  let api: ContainerExecApi;

  const openNotebook = async (name: string, cells: string[]) => {
    const file = path.join(ws(), 'notebooks', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, notebookJson(cells));
    const nb = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    await vscode.window.showNotebookDocument(nb);
    return nb;
  };
  const select = (configuration: string) =>
    vscode.commands.executeCommand('notebook.selectKernel', {
      id: `container-exec-kernel:${configuration}`,
      extension: 'container-exec.container-exec',
    });
  /** Runs one cell through the workbench's command and waits for it to end (its execution summary's end time). */
  const run = async (nb: vscode.NotebookDocument, index: number, ms = 120000) => {
    const before = nb.cellAt(index).executionSummary?.timing?.endTime;
    await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: index, end: index + 1 }], document: nb.uri });
    await until(`cell ${index} ended`, ms, () => {
      const end = nb.cellAt(index).executionSummary?.timing?.endTime;
      return end !== undefined && end !== before;
    });
    return nb.cellAt(index);
  };

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    await config().update(
      'daemons',
      (testbedDaemonSettings() as { id: string }[]).filter((d) => d.id !== 'ssh'),
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('stopGraceSeconds', 2, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'nb-local', daemon: 'local', baseImage: jupyterImage() },
        { name: 'nb-other', daemon: 'tcp', baseImage: jupyterImage() },
        { name: 'nb-plain', daemon: 'local', baseImage: need('PYTHON_IMAGE') },
        { name: 'nb-locked', daemon: 'local', baseImage: jupyterImage(), allowedGroups: ['no-such-group-nb'] },
        { name: 'nb-pool', pool: ['tcp', 'tls'], baseImage: jupyterImage() },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('defaultConfiguration', 'nb-local', vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const key of ['stopGraceSeconds', 'defaultConfiguration', 'recipeConfigurations', 'notebookIdleMinutes'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('a controller per usable configuration ("Container Exec: <name>", its target and state), in step with the settings', async () => {
    const listed = await until('the controllers of nb-local and nb-other', 10000, async () => {
      await api.notebooks.settled();
      const c = api.notebooks.controllers();
      return c.some((x) => x.label === 'Container Exec: nb-other') ? c : undefined;
    });
    const local = listed.find((c) => c.id === 'container-exec-kernel:nb-local');
    assert.equal(local?.label, 'Container Exec: nb-local');
    assert.match(local?.description ?? '', /^daemon local · \w+/);
    assert.ok(!listed.some((c) => c.label.endsWith('nb-locked')), 'a configuration this user may not use has no controller');
    // a configuration removed from the settings takes its controller with it
    const all = config().inspect<{ name: string }[]>('configurations')!.workspaceValue!;
    await config().update(
      'configurations',
      all.filter((c) => c.name !== 'nb-other'),
      vscode.ConfigurationTarget.Workspace,
    );
    await until('nb-other gone', 10000, async () => {
      await api.notebooks.settled();
      return !api.notebooks.controllers().some((c) => c.label.endsWith('nb-other'));
    });
    await config().update('configurations', all, vscode.ConfigurationTarget.Workspace);
    await until('nb-other back', 10000, () => api.notebooks.controllers().some((c) => c.label.endsWith('nb-other')));
  });

  it('the preselected controller follows the recipe-style choice: the project default, then containerExec.recipeConfigurations globs', async () => {
    const nb = await openNotebook('choice.ipynb', ['1+1']);
    await until('nb-local preferred (the project default)', 10000, () => api.notebooks.preferredFor(nb.uri) === 'nb-local');
    await config().update('recipeConfigurations', { 'notebooks/choice.ipynb': 'nb-other' }, vscode.ConfigurationTarget.Workspace);
    await until('nb-other preferred (recipeConfigurations)', 10000, () => api.notebooks.preferredFor(nb.uri) === 'nb-other');
    await config().update('recipeConfigurations', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('Restricted Mode: a cell does not run, its output says why', async () => {
    const nb = await openNotebook('restricted.ipynb', ['print("never")']);
    api.trust.simulate(false);
    try {
      // the workspace's configurations are ignored: the local default's controller takes over
      await until('the local default controller', 10000, async () => {
        await api.notebooks.settled();
        return api.notebooks.controllers().some((c) => c.id === 'container-exec-kernel:local-default');
      });
      await select('local-default');
      const cell = await run(nb, 0, 20000);
      assert.equal(cell.executionSummary?.success, false);
      assert.match(
        JSON.parse(textOf(cell, 'application/vnd.code.notebook.error')).message,
        /^Restricted Mode: notebooks do not run in an untrusted workspace/,
      );
      assert.equal(api.notebooks.kernel(nb.uri), undefined, 'no kernel was started');
    } finally {
      api.trust.simulate(undefined);
    }
  });

  it('cells run on the kernel: text/plain 2 for 1+1, stdout and stderr, a PNG, an error with its traceback, a display updated from a later cell; the Runs view row; Shut Down leaves no container', async () => {
    const nb = await openNotebook('analysis.ipynb', [
      '1+1',
      'import sys\nprint("to out", flush=True)\nprint("to err", file=sys.stderr, flush=True)',
      `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode("${PNG_B64}")))`,
      '1/0',
      'h = display("first", display_id=True)',
      'h.update("second")',
    ]);
    await select('nb-local');
    const one = await run(nb, 0);
    assert.equal(one.executionSummary?.success, true);
    assert.equal(textOf(one, 'text/plain'), '2');
    assert.equal(one.executionSummary?.executionOrder, 1);

    const kernel = api.notebooks.kernel(nb.uri)!;
    assert.equal(kernel.configuration, 'nb-local');
    const row = api.runs.children().find((n) => n.record.id === kernel.runId)!;
    assert.equal(row.record.kind, 'kernel');
    assert.equal(row.record.state, 'running');
    assert.equal(row.record.recipe, 'notebooks/analysis.ipynb');
    assert.match(String(api.runs.item(row).description), /^kernel · nb-local · local · running/);
    assert.match(String(api.runs.item(row).contextValue), /^run\.running/, 'Stop and Open Shell in Run are offered');
    assert.ok(containersOf(kernel.runId), 'the kernel container runs');

    const streams = await run(nb, 1);
    assert.equal(textOf(streams, 'application/vnd.code.notebook.stdout'), 'to out\n');
    assert.equal(textOf(streams, 'application/vnd.code.notebook.stderr'), 'to err\n');

    const png = itemOf(await run(nb, 2), 'image/png');
    assert.ok(png, 'a PNG output');
    assert.deepEqual(Buffer.from(png.data), Buffer.from(PNG_B64, 'base64'));

    const failed = await run(nb, 3);
    assert.equal(failed.executionSummary?.success, false);
    const error = JSON.parse(textOf(failed, 'application/vnd.code.notebook.error')) as { name: string; message: string; stack: string };
    assert.equal(error.name, 'ZeroDivisionError');
    assert.match(error.message, /division by zero/);
    // the traceback as IPython wrote it, its ANSI colours kept for the renderer
    assert.match(error.stack, /Traceback \(most recent call last\)[^]*----> 1[^]*ZeroDivisionError/);
    assert.ok(error.stack.includes('\x1b[0;31m'), 'the ANSI colours are kept');

    await run(nb, 4);
    assert.match(textOf(nb.cellAt(4), 'text/plain'), /first/);
    await run(nb, 5);
    await until('the earlier cell display updated', 10000, () => /second/.test(textOf(nb.cellAt(4), 'text/plain')));

    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    assert.equal(containersOf(kernel.runId), '', 'no container left');
    const ended = api.runs.children().find((n) => n.record.id === kernel.runId)!.record;
    assert.notEqual(ended.state, 'running');
    assert.ok(ended.endedAt);
    assert.ok(fs.existsSync(ended.logFile), 'the kernel has a run.log');
  });

  it('cancelling a running cell interrupts the kernel: the cell ends with KeyboardInterrupt, the queued cell does not run, the kernel goes on', async () => {
    const nb = await openNotebook('cancel.ipynb', [
      'import time\nprint("looping", flush=True)\nwhile True: time.sleep(0.01)',
      'queued = 1',
      'x = 40\nx + 2',
    ]);
    await select('nb-local');
    void vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 0, end: 2 }], document: nb.uri });
    await until('the loop running', 120000, () => /looping/.test(textOf(nb.cellAt(0), 'application/vnd.code.notebook.stdout')));
    await vscode.commands.executeCommand('notebook.cell.cancelExecution', { ranges: [{ start: 0, end: 1 }], document: nb.uri });
    await until('the cell ended', 20000, () => nb.cellAt(0).executionSummary?.timing?.endTime);
    assert.notEqual(nb.cellAt(0).executionSummary?.success, true);
    assert.match(textOf(nb.cellAt(0), 'application/vnd.code.notebook.error'), /KeyboardInterrupt/);
    await until('the queued cell ended unrun', 20000, () => nb.cellAt(1).executionSummary?.timing?.endTime);
    assert.equal(nb.cellAt(1).executionSummary?.executionOrder, undefined, 'the queued cell did not run');
    const after = await run(nb, 2);
    assert.equal(textOf(after, 'text/plain'), '42');
    const kernel = api.notebooks.kernel(nb.uri)!;
    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    assert.equal(containersOf(kernel.runId), '');
  });

  it('an image without ipykernel: the first cell ends with "has no ipykernel", the error offers Add Jupyter Kernel Support and Rebuild, no container is left', async () => {
    const nb = await openNotebook('plain.ipynb', ['1+1']);
    await select('nb-plain');
    const cell = await run(nb, 0);
    assert.equal(cell.executionSummary?.success, false);
    assert.match(
      JSON.parse(textOf(cell, 'application/vnd.code.notebook.error')).message,
      /^Image .* of configuration nb-plain has no ipykernel/,
    );
    const shown = await until('the error notification', 10000, () => api.shownError());
    assert.deepEqual(shown.actions, ['Add Jupyter Kernel Support and Rebuild']);
    const record = api.runs.children().find((n) => n.record.kind === 'kernel' && n.record.configuration === 'nb-plain')!.record;
    assert.equal(record.state, 'failed');
    assert.equal(containersOf(record.id), '', 'the failed start left no container');
  });

  it('a cell printing 20 MB: the cell shows at most 1 MB of it and says the rest is in run.log, which has all of it', async () => {
    const nb = await openNotebook('flood.ipynb', [
      'import sys\nfor i in range(200000): sys.stdout.write("x" * 99 + "\\n")\nprint("done", flush=True)',
    ]);
    await select('nb-local');
    const cell = await run(nb, 0);
    assert.equal(cell.executionSummary?.success, true);
    const shown = textOf(cell, 'application/vnd.code.notebook.stdout');
    assert.ok(shown.length <= 1e6, `the cell shows ${shown.length} characters`);
    assert.match(textOf(cell, 'application/vnd.code.notebook.stderr'), /(more output not shown|skipped)[^]*run\.log of kernel run/);
    const kernel = api.notebooks.kernel(nb.uri)!;
    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    const record = api.runs.children().find((n) => n.record.id === kernel.runId)!.record;
    await until('run.log with every byte', 10000, () => fs.statSync(record.logFile).size >= 20e6);
  });

  it('Stop in the Runs view shuts the kernel down: the running cell ends with why, the record ends, no container is left', async () => {
    const nb = await openNotebook('stop.ipynb', ['import time\nprint("sleeping", flush=True)\ntime.sleep(120)']);
    await select('nb-local');
    void vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 0, end: 1 }], document: nb.uri });
    await until('the cell running', 120000, () => /sleeping/.test(textOf(nb.cellAt(0), 'application/vnd.code.notebook.stdout')));
    const kernel = api.notebooks.kernel(nb.uri)!;
    await vscode.commands.executeCommand('containerExec.stopRun', kernel.runId);
    await until('the cell ended', 60000, () => nb.cellAt(0).executionSummary?.timing?.endTime);
    assert.notEqual(nb.cellAt(0).executionSummary?.success, true);
    await until('the record ended', 60000, () => api.runs.children().find((n) => n.record.id === kernel.runId)?.record.state !== 'running');
    assert.equal(containersOf(kernel.runId), '');
  });

  it('closing the notebook shuts its kernel down after containerExec.notebookShutdownGraceSeconds', async () => {
    await config().update('notebookShutdownGraceSeconds', 1, vscode.ConfigurationTarget.Workspace);
    try {
      const nb = await openNotebook('close.ipynb', ['40 + 2']);
      await select('nb-local');
      await run(nb, 0);
      const kernel = api.notebooks.kernel(nb.uri)!;
      assert.ok(containersOf(kernel.runId));
      await nb.save();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await until('the kernel container removed', 60000, () => containersOf(kernel.runId) === '');
      const record = api.runs.children().find((n) => n.record.id === kernel.runId)!.record;
      assert.match(record.message ?? '', /The notebook was closed 1 s ago/);
    } finally {
      await config().update('notebookShutdownGraceSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the kernel process SIGKILLed: the running and the queued cell end with that reason, the run failed, Restart Kernel is offered and the next cell runs on a fresh kernel', async () => {
    const nb = await openNotebook('killed.ipynb', [
      'x = 1',
      'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)',
      'queued = 1',
      '40 + 2',
    ]);
    await select('nb-local');
    await run(nb, 0);
    const first = api.notebooks.kernel(nb.uri)!;
    await vscode.commands.executeCommand('notifications.clearAll');
    await until('no message', 5000, () => api.shownError() === undefined);
    void vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 1, end: 3 }], document: nb.uri });
    const shown = await until('the kernel-died notification', 60000, () => api.shownError());
    assert.match(
      shown.text,
      /^The kernel died: the kernel process was killed by SIGKILL \(out of memory\?.*\(notebook killed\.ipynb, configuration nb-local\)\.$/,
    );
    assert.deepEqual(shown.actions, ['Restart Kernel']);
    for (const index of [1, 2]) {
      await until(`cell ${index} ended`, 20000, () => nb.cellAt(index).executionSummary?.timing?.endTime);
      const cell = nb.cellAt(index);
      assert.notEqual(cell.executionSummary?.success, true, `cell ${index}`);
      assert.match(
        textOf(cell, 'application/vnd.code.notebook.stderr'),
        /The kernel died: the kernel process was killed by SIGKILL/,
        `cell ${index}`,
      );
    }
    assert.equal(nb.cellAt(2).executionSummary?.executionOrder, undefined, 'the queued cell did not run');
    // the notification's action, pressed through the workbench
    await vscode.commands.executeCommand('notification.acceptPrimaryAction');
    await until('the message closed', 10000, () => api.shownError() === undefined);
    await until(
      'the dead kernel ended',
      60000,
      () => recordOf(first.runId)?.state !== 'running' && api.notebooks.kernel(nb.uri) === undefined,
    );
    assert.equal(containersOf(first.runId), '', 'the dead kernel left no container');
    const record = recordOf(first.runId)!;
    assert.equal(record.state, 'failed');
    assert.match(record.message ?? '', /killed by SIGKILL/);
    const next = await run(nb, 3);
    assert.equal(textOf(next, 'text/plain'), '42');
    const fresh = api.notebooks.kernel(nb.uri)!;
    assert.notEqual(fresh.runId, first.runId, 'a fresh kernel');
    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    assert.equal(containersOf(fresh.runId), '');
  });

  it('input() and getpass() in a cell ask through an input box (masked for the password): the answers reach the cell', async () => {
    const nb = await openNotebook('input.ipynb', [
      'name = input("Your name? ")\nprint("hello", name)',
      'import getpass\nsecret = getpass.getpass("Token: ")\nprint(len(secret), secret == "s3cret")',
    ]);
    await select('nb-local');
    /** Waits for the input box, checks what it asks, types the answer and accepts it through the workbench. */
    const answer = async (asked: { prompt: string; password: boolean }, text: string) => {
      const box = await until(`the input box for "${asked.prompt}"`, 120000, () => api.pendingInput());
      assert.deepEqual(box, asked);
      api.typeInput(text);
      await until('the input box accepted', 10000, async () => {
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return api.pendingInput() === undefined;
      });
    };
    const before = nb.cellAt(0).executionSummary?.timing?.endTime;
    void vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 0, end: 1 }], document: nb.uri });
    await answer({ prompt: 'Your name? ', password: false }, 'Ada');
    await until('cell 0 ended', 20000, () => nb.cellAt(0).executionSummary?.timing?.endTime !== before);
    assert.equal(nb.cellAt(0).executionSummary?.success, true);
    assert.equal(textOf(nb.cellAt(0), 'application/vnd.code.notebook.stdout'), 'hello Ada\n');

    void vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 1, end: 2 }], document: nb.uri });
    await answer({ prompt: 'Token: ', password: true }, 's3cret');
    await until('cell 1 ended', 20000, () => nb.cellAt(1).executionSummary?.timing?.endTime);
    assert.equal(textOf(nb.cellAt(1), 'application/vnd.code.notebook.stdout'), '6 True\n');
    assert.ok(!items(nb.cellAt(1)).some((i) => decode(i).includes('s3cret')), 'the password is in no output');
    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
  });

  it('containerExec.notebookIdleMinutes: an idle kernel is shut down (out/ fetched, no container, no "died" message), one still starting is not; the next cell starts a fresh one', async () => {
    // 0.02 min = 1.2 s: shorter than a kernel's start, which must not count as idle time
    await config().update('notebookIdleMinutes', 0.02, vscode.ConfigurationTarget.Workspace);
    try {
      const nb = await openNotebook('idle.ipynb', [
        'import os\nos.makedirs("/workspace/out", exist_ok=True)\nopen("/workspace/out/idle.txt", "w").write("kept")',
        '40 + 2',
      ]);
      await select('nb-local');
      await vscode.commands.executeCommand('notifications.clearAll');
      const wrote = await run(nb, 0);
      assert.equal(wrote.executionSummary?.success, true, textOf(wrote, 'application/vnd.code.notebook.error'));
      const first = api.notebooks.kernel(nb.uri)!;
      await until('the idle kernel ended', 60000, () => recordOf(first.runId)?.endedAt);
      const record = recordOf(first.runId)!;
      assert.match(record.message ?? '', /^No cell ran for 0\.02 min \(containerExec\.notebookIdleMinutes\)/);
      assert.equal(record.state, 'succeeded');
      assert.equal(containersOf(first.runId), '', 'no container left');
      assert.equal(fs.readFileSync(path.join(ws(), '.container-exec', 'runs', first.runId, 'out', 'idle.txt'), 'utf8'), 'kept');
      assert.equal(api.shownError(), undefined, 'a shutdown is no death');
      assert.equal(api.notebooks.kernel(nb.uri), undefined);

      const next = await run(nb, 1);
      assert.equal(textOf(next, 'text/plain'), '42', textOf(next, 'application/vnd.code.notebook.error'));
      const fresh = api.runs.children().filter((n) => n.record.kind === 'kernel' && n.record.startedAt > record.endedAt!);
      assert.equal(fresh.length, 1, 'a fresh kernel ran the next cell');
      assert.equal(fresh[0]!.record.recipe, 'notebooks/idle.ipynb');
    } finally {
      await config().update('notebookIdleMinutes', undefined, vscode.ConfigurationTarget.Workspace);
      const nb = vscode.workspace.notebookDocuments.find((d) => d.uri.path.endsWith('/idle.ipynb'));
      if (nb && api.notebooks.kernel(nb.uri)) await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    }
  });

  it('a notebook on a pool configuration: the kernel lands on a pool daemon, 1+1 gives 2, the Runs view row says where, shutdown leaves nothing on either daemon', async () => {
    const hosts: Record<string, string> = { tcp: need('DOCKER_TCP_SOCK'), tls: need('DOCKER_TLS_SOCK') };
    const nb = await openNotebook('pool.ipynb', ['1+1']);
    await select('nb-pool');
    const cell = await run(nb, 0);
    assert.equal(textOf(cell, 'text/plain'), '2', textOf(cell, 'application/vnd.code.notebook.error'));
    const kernel = api.notebooks.kernel(nb.uri)!;
    const record = recordOf(kernel.runId)!;
    const daemon = record.placement?.daemon ?? '';
    assert.ok(daemon in hosts, `placed on ${daemon}`);
    assert.ok(containersOf(kernel.runId, hosts[daemon]), `the kernel's container runs on ${daemon}`);
    const row = api.runs.children().find((n) => n.record.id === kernel.runId)!;
    assert.match(String(api.runs.item(row).description), new RegExp(`^kernel · nb-pool · nb-pool · running on ${daemon} · `));
    await vscode.commands.executeCommand('containerExec.shutDownKernel', nb.uri);
    for (const [id, host] of Object.entries(hosts)) assert.equal(containersOf(kernel.runId, host), '', `nothing left on ${id}`);
    assert.equal(recordOf(kernel.runId)?.state, 'succeeded', recordOf(kernel.runId)?.message);
  });
});
