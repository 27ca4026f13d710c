import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

describe('one error policy: commands, task terminals, the configuration editor (real host)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const name = `retry-me-${Date.now()}`;

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('a failing command resolves and shows its message with Retry, Edit and Show Log; Retry runs it again with the same arguments', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    // resolves (VS Code gets no rejection) with nothing
    assert.equal(await vscode.commands.executeCommand('containerExec.showGeneratedDockerfile', name), undefined);
    const shown = await until('the error message', 10000, () => api.shownError());
    assert.match(shown.text, new RegExp(`^Configuration ${name} not found`));
    assert.deepEqual(shown.actions, ['Retry', 'Edit', 'Show Log']);

    // the cause fixed, Retry (the notification's primary action, pressed through the workbench) runs the same command again
    await config().update('configurations', [{ name, daemon: 'local' }], vscode.ConfigurationTarget.Workspace);
    await until(`${name} in the catalog`, 5000, () =>
      api.configurations.children().some((n) => n.kind === 'configuration' && n.item.config.name === name),
    );
    const dockerfile = new Promise<vscode.TextEditor>((resolve) => {
      const sub = vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e?.document.languageId === 'dockerfile') {
          sub.dispose();
          resolve(e);
        }
      });
    });
    await vscode.commands.executeCommand('notification.acceptPrimaryAction');
    const editor = await Promise.race([
      dockerfile,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Retry opened no Dockerfile within 10 s')), 10000)),
    ]);
    assert.match(editor.document.getText(), /^FROM /m);
    await until('the message closed', 5000, () => api.shownError() === undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Edit is offered when the message names a setting, configuration or daemon, not otherwise; tree commands resolve too', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.equal(await vscode.commands.executeCommand('containerExec.testConnection', { id: 'no-such-daemon' }), undefined);
    let shown = await until('the error message', 10000, () => api.shownError());
    assert.match(shown.text, /^Daemon "no-such-daemon" is not configured: add it, or set containerExec\.defaultDaemon/);
    assert.deepEqual(shown.actions, ['Retry', 'Edit', 'Show Log']);
    await vscode.commands.executeCommand('notifications.clearAll');
    await until('the message closed', 5000, () => api.shownError() === undefined);

    assert.equal(await vscode.commands.executeCommand('containerExec.showRunLogs', 'no-such-run'), undefined);
    shown = await until('the error message', 10000, () => api.shownError());
    assert.deepEqual(shown, { text: 'Pick a run in the Runs view.', actions: ['Retry', 'Show Log'] });
    await vscode.commands.executeCommand('notifications.clearAll');
    await until('the message closed', 5000, () => api.shownError() === undefined);
  });

  it('a run that cannot start ends its task with a red line and exit code 1, as a build that cannot start does', async () => {
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    const recipe = vscode.Uri.file(path.join(ws(), 'recipes', 'errors-hello.sh'));
    fs.writeFileSync(recipe.fsPath, 'echo hello\n');
    let shown = '';
    const sub = api.runs.onTerminalWrite(({ text }) => (shown += text));
    try {
      // exit codes as the tasks API reports them (onDidEndTaskProcess)
      const run = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe, 'no-such-config');
      const build = await vscode.commands.executeCommand<number | undefined>('containerExec.buildBaseImage', 'no-such-config');
      assert.equal(run.exitCode, 1);
      assert.equal(build, 1);
      // the rule of every task terminal (taskTerminal.ts `failed`): the reason as a red line
      const red = shown.split('\r\n').find((l) => l.includes('Configuration no-such-config not found'));
      assert.ok(red?.startsWith('\u001b[31m') && red.endsWith('pick another one or create it.\u001b[0m'), JSON.stringify(shown));
    } finally {
      sub.dispose();
    }
  });

  it('an editor action other than save reports its failure to the form in the one shape (`failed`)', async () => {
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    const inline = { id: 'nobody', host: 'tcp://127.0.0.1:1' };
    const tested = await api.configurations.deliver(editor, { type: 'testConnection', daemon: { inline } });
    assert.equal(tested.length, 1);
    assert.deepEqual(
      { ...tested[0], text: undefined },
      {
        type: 'failed',
        action: 'testConnection',
        text: undefined,
        key: `inline:${JSON.stringify(inline)}`,
      },
    );
    assert.match((tested[0] as { text: string }).text, /Nothing listens at tcp:\/\/127\.0\.0\.1:1 \(connection refused\)/);
    assert.deepEqual(await api.configurations.deliver(editor, { type: 'daemonInfo', daemon: { id: 'nowhere' } }), [
      {
        type: 'failed',
        action: 'daemonInfo',
        text: 'Daemon not found: "nowhere" is not configured or discovered',
        key: 'id:nowhere',
      },
    ]);
    await api.configurations.deliver(editor, { type: 'cancel' });
  });
});
