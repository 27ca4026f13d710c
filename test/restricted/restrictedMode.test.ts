import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonTreeNode } from '../../src/daemons/daemonsTree';
import type { ContainerExecApi } from '../../src/extension';
import { need } from '../support/testbed';
import { until } from '../support/until';

/**
 * VS Code's own Restricted Mode (issue 29 finding 2): this host runs with Workspace Trust on and its folder
 * untrusted (scripts/test.mjs wrote the folder's .vscode/settings.json as a cloned repository would), so
 * VS Code itself applies the manifest's restrictedConfigurations; nothing here simulates trust.
 */
describe('Restricted Mode for real: Workspace Trust on, the folder untrusted (issue 29 finding 2)', function () {
  this.timeout(60000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  let api: ContainerExecApi;
  const rootOf = async (kind: DaemonTreeNode['kind'], id: string) =>
    (await api.daemons.children()).find(
      (n) => n.kind === kind && (n.kind === 'daemon' ? n.id : n.kind === 'ignored' ? n.entry.id : undefined) === id,
    );

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    await config().update('daemons', [{ id: 'user-tcp', host: need('DOCKER_TCP_HOST') }], vscode.ConfigurationTarget.Global);
    await config().update(
      'configurations',
      [{ name: 'user-cfg', daemon: 'user-tcp', baseImage: need('BUSYBOX_IMAGE') }],
      vscode.ConfigurationTarget.Global,
    );
    await vscode.commands.executeCommand('containerExec.daemons.focus');
  });

  it('VS Code and the extension both see the folder untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'VS Code trusts the folder: the host did not start in Restricted Mode');
    assert.equal(api.trust.isTrusted(), false);
  });

  it("VS Code withholds the workspace's restricted settings; the views work from user settings only", async () => {
    // the folder's settings file has them; VS Code keeps them out of what it gives (inspect included)
    const file = JSON.parse(
      fs.readFileSync(path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.vscode', 'settings.json'), 'utf8'),
    );
    assert.deepEqual(file['containerExec.daemons'], [{ id: 'ws-tcp', host: need('DOCKER_TCP_HOST') }]);
    assert.equal(config().inspect('daemons')?.workspaceValue, undefined);
    assert.deepEqual(config().get('daemons'), [{ id: 'user-tcp', host: need('DOCKER_TCP_HOST') }]);
    assert.notEqual(config().get('defaultConfiguration'), 'ws-cfg');

    const userTcp = await until('user-tcp listed', 10000, () => rootOf('daemon', 'user-tcp'));
    await until('user-tcp connected', 15000, async () => (await api.daemons.children(userTcp)).length === 4 || undefined);
    assert.equal(await rootOf('daemon', 'ws-tcp'), undefined, 'no node for the workspace daemon: nothing connects to it');
    const configs = await until('the user configuration listed', 10000, () => {
      const c = api.configurations.children();
      return c.some((n) => n.kind === 'configuration') ? c : undefined;
    });
    assert.deepEqual(
      configs.filter((n) => n.kind === 'configuration').map((n) => n.kind === 'configuration' && n.item.config.name),
      ['user-cfg'],
    );
    // Not asserted, found by this suite: the views do not list the ignored workspace entries here (the
    // README says they do): they read them through inspect(), which VS Code empties in Restricted Mode.
  });
});
