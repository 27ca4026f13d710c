import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { askBrowserToClick } from '../support/browserClick';
import { need } from '../support/testbed';
import { containersCreated, unixNow } from './daemonEvents';

/** Written by scripts/test.mjs into the untrusted folder's .vscode/tasks.json, on `user-cfg` (a user-settings configuration). */
const TASK_LABEL = 'trust-gated run';
const RECIPE = 'restricted-trust-gate.sh';

/** Runs the tasks.json task as Terminal > Run Task does (VS Code asks for trust first when the folder is untrusted). */
const runTheTask = () => vscode.commands.executeCommand('workbench.action.tasks.runTask', TASK_LABEL);

/**
 * The README's "tasks from tasks.json do not run until the workspace is trusted", with VS Code's own trust
 * gate: this host runs with Workspace Trust on and its folder untrusted. Running the task makes VS Code
 * request trust; a window would show its modal "Do you trust the authors…?" dialog, but a workbench with
 * extension tests refuses every modal dialog (DialogService.skipDialogs: "refused to show dialog in tests"),
 * so the request stays open and the task waits on it, as it waits on a user who has not answered. The folder
 * is then trusted as a user does in the Workspace Trust editor (the browser clicks its Trust button); the task,
 * run again, runs. Runs after restrictedMode.test.ts and runRecipeUntilTrusted.test.ts, before trustedRunRecipe.test.ts
 * (files run in name order): trust cannot be undone here.
 */
describe('Restricted Mode for real: a tasks.json container-exec-run task does not run until the folder is trusted (issue 29)', function () {
  this.timeout(180000);
  const starts: { time: number; recipe: string }[] = [];
  const subs: vscode.Disposable[] = [];
  /** When VS Code granted trust, whichever answer did it. */
  let granted: Promise<number>;

  before(async () => {
    await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    const config = vscode.workspace.getConfiguration('containerExec');
    await config.update('daemons', [{ id: 'user-tcp', host: need('DOCKER_TCP_HOST') }], vscode.ConfigurationTarget.Global);
    await config.update(
      'configurations',
      [{ name: 'user-cfg', daemon: 'user-tcp', baseImage: need('BUSYBOX_IMAGE') }],
      vscode.ConfigurationTarget.Global,
    );
    subs.push(vscode.tasks.onDidStartTask((e) => starts.push({ time: Date.now(), recipe: String(e.execution.task.definition['recipe']) })));
    granted = new Promise<number>((resolve) => subs.push(vscode.workspace.onDidGrantWorkspaceTrust(() => resolve(Date.now()))));
  });
  after(() => subs.forEach((d) => d.dispose()));

  it('untrusted, Run Task waits on the trust request: no task starts and the daemon creates no container; once the folder is trusted in the Workspace Trust editor the same task runs', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the folder is already trusted: this host did not start in Restricted Mode');
    const t0 = unixNow();
    // asked while untrusted: VS Code requests trust; the command waits on the answer (none comes, see above)
    void runTheTask();

    // the user trusts the folder in the Workspace Trust editor
    await vscode.commands.executeCommand('workbench.trust.manage');
    askBrowserToClick('Trust', 'the Workspace Trust editor');
    const trustedAt = await granted;
    assert.equal(vscode.workspace.isTrusted, true);
    assert.equal(starts.length, 0, 'the task started while the folder was untrusted');
    assert.deepEqual(
      containersCreated(RECIPE, t0, unixNow()),
      [],
      'the daemon created a container for the task while the folder was untrusted',
    );

    // trusted, the same task runs, to its end
    const ended = new Promise<number | undefined>((resolve) =>
      subs.push(vscode.tasks.onDidEndTaskProcess((e) => e.execution.task.definition['recipe'] === RECIPE && resolve(e.exitCode))),
    );
    await runTheTask();
    assert.equal(await ended, 0, 'the task did not run to success once the folder was trusted');

    // over the whole test, one start and one container, both after the trust: the request made while untrusted
    // started nothing, not even late (the trusted run's end, which takes the path a wrong start would take, is the wait)
    assert.deepEqual(
      starts.map((x) => x.recipe),
      [RECIPE],
    );
    assert.ok(starts[0]!.time >= trustedAt, 'the task started before the folder was trusted');
    const created = containersCreated(RECIPE, t0, unixNow());
    assert.equal(created.length, 1, `the daemon created ${created.length} containers for the task, not 1`);
    assert.ok(created[0]!.time >= trustedAt, 'the daemon created the run container before the folder was trusted');
  });
});
