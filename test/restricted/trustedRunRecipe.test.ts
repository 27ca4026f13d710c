import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunResult } from '../../src/runs/runCommands';
import { containersCreated, unixNow } from './daemonEvents';
import { UNTRUSTED_RECIPE, untrustedRun } from './untrustedRun';

/**
 * The second half of runRecipeUntilTrusted.test.ts, once tasksUntilTrusted.test.ts has trusted the folder in
 * the Workspace Trust editor: VS Code resolves a pending trust request only from its own dialog, so the run
 * asked while untrusted never starts; the user runs again, and that run goes through.
 */
describe('Restricted Mode for real, once trusted: the Run Recipe asked while untrusted never starts; run again, it runs (issue 29)', function () {
  this.timeout(120000);

  it('trusted in the Workspace Trust editor, Run Recipe runs on the user configuration: one container over both requests, created after the trust', async () => {
    assert.ok(untrustedRun.since && untrustedRun.trustedAt, 'runs after runRecipeUntilTrusted.test.ts (files run in name order)');
    assert.equal(vscode.workspace.isTrusted, true, 'tasksUntilTrusted.test.ts did not trust the folder');
    const trustedAt = await untrustedRun.trustedAt;
    const recipe = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, UNTRUSTED_RECIPE);
    const r = await vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(recipe),
      'user-cfg',
    );
    assert.equal(r.exitCode, 0, `the run did not succeed once trusted: ${r.record?.message ?? ''}`);
    // this run's end is the wait: a late start of the untrusted request would have made a container by now
    const created = containersCreated(UNTRUSTED_RECIPE, untrustedRun.since, unixNow());
    assert.equal(created.length, 1, `the daemon created ${created.length} containers for the recipe over both requests, not 1`);
    assert.ok(created[0]!.time >= trustedAt, 'the daemon created the run container before the folder was trusted');
  });
});
