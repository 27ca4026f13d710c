import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ConfigurationNode } from '../../src/configurations/configurationsTree';
import type { ContainerExecApi } from '../../src/extension';
import { testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

describe('Execution configurations through the commands (real host, real settings)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const workspaceConfigs = () => config().inspect<unknown[]>('configurations')?.workspaceValue;
  const node = (name: string) => until(`${name} in the tree`, 5000, () => api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === name));
  const newEditor = () => until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Global);
  });

  it('New Configuration: the editor saves what the form sends, in one update of the chosen scope', async () => {
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await newEditor();
    await api.configurations.deliver(editor, { type: 'save', config: { name: 'cpu-small', daemon: 'tcp', resources: { memory: '512m', cpus: 1 } }, scope: 'workspace' });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-small', daemon: 'tcp', resources: { memory: '512m', cpus: 1 } }]);
    assert.ok(!api.configurations.openEditors().includes(editor), 'a saved editor closes');
    const item = await api.configurations.item(await node('cpu-small'));
    // "○ image not built" joins once the tcp daemon is connected (the image is never built here)
    assert.match(String(item.description), /^tcp · default base image · mem 512m · 1 CPU( · ○ image not built)?$/);
  });

  it('the host rejects a save the form would refuse (bad memory, unknown daemon, duplicate name) and writes nothing', async () => {
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await newEditor();
    const before = JSON.stringify(workspaceConfigs());
    for (const cfg of [{ name: 'x', resources: { memory: 'lots' } }, { name: 'x', daemon: 'nowhere' }, { name: 'cpu-small', daemon: 'tcp' }])
      await api.configurations.deliver(editor, { type: 'save', config: cfg, scope: 'workspace' });
    await api.configurations.deliver(editor, { type: 'save', config: { name: 'x' }, scope: 'everywhere' });
    assert.equal(JSON.stringify(workspaceConfigs()), before);
    assert.ok(api.configurations.openEditors().includes(editor), 'a refused save leaves the editor open');
  });

  it('Edit re-focuses an open editor and saves the change (rename included) in place', async () => {
    const n = await node('cpu-small');
    await vscode.commands.executeCommand('containerExec.editConfiguration', n);
    await vscode.commands.executeCommand('containerExec.editConfiguration', n);
    assert.equal(api.configurations.openEditors().filter((k) => k === 'workspace/cpu-small').length, 1);
    await api.configurations.deliver('workspace/cpu-small', { type: 'save', config: { name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } }, scope: 'workspace' });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } }]);
  });

  it('Duplicate copies it under a new name; Delete removes only that one', async () => {
    await vscode.commands.executeCommand('containerExec.duplicateConfiguration', await node('cpu-medium'), 'cpu-medium-2');
    assert.deepEqual(workspaceConfigs(), [
      { name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } },
      { name: 'cpu-medium-2', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } },
    ]);
    await vscode.commands.executeCommand('containerExec.deleteConfiguration', await node('cpu-medium-2'), { confirm: false });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } }]);
  });

  it('Set as Project Default / Global Default write defaultConfiguration to workspace / user settings; the tree marks them', async () => {
    await vscode.commands.executeCommand('containerExec.setProjectDefaultConfiguration', await node('cpu-medium'));
    await vscode.commands.executeCommand('containerExec.setGlobalDefaultConfiguration', await node('cpu-medium'));
    const d = config().inspect<string>('defaultConfiguration');
    assert.equal(d?.workspaceValue, 'cpu-medium');
    assert.equal(d?.globalValue, 'cpu-medium');
    await until('marks', 5000, async () => /★ project default · ☆ global default/.test(String((await api.configurations.item(await node('cpu-medium'))).description)) || undefined);
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows a configuration the user may not use as locked, a missing daemon as "daemon not found", an invalid entry with its error', async () => {
    await config().update(
      'configurations',
      [...(workspaceConfigs() ?? []), { name: 'ml-only', allowedGroups: ['no-such-group-here'] }, { name: 'orphan', daemon: 'deleted-daemon' }, { name: 'bad', resources: { cpus: 'two' } }],
      vscode.ConfigurationTarget.Workspace,
    );
    const locked = await api.configurations.item(await node('ml-only'));
    assert.match(String(locked.contextValue), /^configuration\.valid\.locked(\.rebuild)?$/);
    assert.match((locked.tooltip as vscode.MarkdownString).value, /No usage permission on configuration ml-only \(allowed groups: no-such-group-here/);
    const orphan = await api.configurations.item(await node('orphan'));
    assert.match((orphan.tooltip as vscode.MarkdownString).value, /daemon not found/);
    const invalid = await until('invalid node', 5000, () => api.configurations.children().find((n): n is Extract<ConfigurationNode, { kind: 'invalid' }> => n.kind === 'invalid'));
    assert.match(String((await api.configurations.item(invalid)).tooltip), /resources\.cpus must be a number of CPUs/);
    assert.deepEqual((workspaceConfigs() ?? [])[3], { name: 'bad', resources: { cpus: 'two' } }, 'the invalid entry is kept as written');
  });
});
