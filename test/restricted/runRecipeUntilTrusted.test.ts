import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { askBrowserToClick } from '../support/browserClick';
import { need } from '../support/testbed';
import { until } from '../support/until';
import { containersCreated, unixNow } from './daemonEvents';
import { UNTRUSTED_RECIPE, untrustedRun } from './untrustedRun';

/**
 * Issue 29: Restricted Mode and the extension's own runs. Run Recipe starts a container-exec-run task with
 * vscode.tasks.executeTask; VS Code's task service asks for workspace trust before it runs any task
 * (AbstractTaskService.run awaits _trust(), a requestWorkspaceTrust), so in an untrusted folder the run waits
 * on that request. In a window the request is a modal dialog; a workbench with extension tests refuses it, so
 * here the request stays open as for a user who has not answered. The extension says why, with a way to trust.
 * The folder stays untrusted: trustedRunRecipe.test.ts, after tasksUntilTrusted.test.ts has trusted it, checks
 * that this run never started, not even late, and that Run Recipe then runs.
 */
describe('Restricted Mode for real: Run Recipe on a user-settings configuration waits for workspace trust (issue 29)', function () {
  this.timeout(120000);
  const starts: string[] = [];
  const subs: vscode.Disposable[] = [];

  before(async () => {
    await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    const config = vscode.workspace.getConfiguration('containerExec');
    await config.update('daemons', [{ id: 'user-tcp', host: need('DOCKER_TCP_HOST') }], vscode.ConfigurationTarget.Global);
    await config.update(
      'configurations',
      [{ name: 'user-cfg', daemon: 'user-tcp', baseImage: need('BUSYBOX_IMAGE') }],
      vscode.ConfigurationTarget.Global,
    );
    subs.push(vscode.tasks.onDidStartTask((e) => starts.push(String(e.execution.task.definition['recipe']))));
    // subscribed now and kept past this file: the grant comes later, in tasksUntilTrusted.test.ts
    untrustedRun.trustedAt = new Promise<number>((resolve) => {
      const sub = vscode.workspace.onDidGrantWorkspaceTrust(() => (sub.dispose(), resolve(Date.now())));
    });
  });
  after(() => subs.forEach((d) => d.dispose()));

  it('untrusted, Run Recipe shows "Container Exec runs need a trusted workspace" with Manage Workspace Trust, and no task starts and the daemon creates no container', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the folder is already trusted: this file must run before tasksUntilTrusted.test.ts');
    const recipe = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, UNTRUSTED_RECIPE);
    fs.writeFileSync(recipe, 'echo "the recipe ran"\n');
    untrustedRun.since = unixNow();
    // the run's command waits on the trust request, for good here: not awaited
    void vscode.commands.executeCommand('containerExec.runRecipeOnConfiguration', vscode.Uri.file(recipe), 'user-cfg');

    // the notice names the way out: its button opens the Workspace Trust editor (the browser clicks it in the
    // notifications center: this workbench shows no toasts while it runs extension tests)
    await vscode.commands.executeCommand('notifications.showList');
    askBrowserToClick('Manage Workspace Trust', 'the notifications center');
    await until('the Workspace Trust editor, opened from the notice', 60000, () =>
      vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /Workspace Trust/.test(t.label))),
    );
    assert.equal(vscode.workspace.isTrusted, false, 'the notice must not trust the folder by itself');
    assert.deepEqual(starts, [], 'a task started while the folder was untrusted');
    assert.deepEqual(
      containersCreated(UNTRUSTED_RECIPE, untrustedRun.since, unixNow()),
      [],
      'the daemon created a container while untrusted',
    );
  });
});
