import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { need } from '../support/testbed';
import { until } from '../support/until';

export const EXTENSION_ID = 'container-exec.container-exec';

describe('Container Exec in a real extension host', () => {
  let ext: vscode.Extension<ContainerExecApi>;
  let api: ContainerExecApi;
  const manifest = () =>
    ext.packageJSON as {
      contributes: {
        commands: { command: string }[];
        views: Record<string, { id: string; name: string }[]>;
        viewsContainers: { activitybar: { id: string; title: string }[] };
      };
    };

  before(async () => {
    const found = vscode.extensions.getExtension<ContainerExecApi>(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is not loaded in this host`);
    ext = found;
    api = await ext.activate();
  });

  it('activates and reports its activation time', () => {
    assert.equal(ext.isActive, true);
    assert.ok(api.activationMs > 0, `activationMs = ${api.activationMs}`);
  });

  it('makes no Docker call while no view is visible', () => {
    assert.equal(api.engineCalls(), 0);
    assert.equal(api.daemons.isLive(), false);
  });

  it('registers every command of contributes.commands', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = manifest().contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 10);
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
    );
  });

  it('contributes the Container Exec container with its three views, each of which opens (issue 29 finding 7: the Daemons view goes live)', async () => {
    assert.deepEqual(
      manifest().contributes.viewsContainers.activitybar.map((c) => [c.id, c.title]),
      [['containerExec', 'Container Exec']],
    );
    assert.deepEqual(
      manifest().contributes.views.containerExec!.map((v) => [v.id, v.name]),
      [
        ['containerExec.daemons', 'Daemons'],
        ['containerExec.configurations', 'Execution Configurations'],
        ['containerExec.runs', 'Runs'],
      ],
    );
    // each focus command exists (an unknown one throws); the Daemons view, once open, follows its daemons
    await vscode.commands.executeCommand('workbench.view.explorer');
    await until('the Daemons view closed', 5000, () => !api.daemons.isLive());
    for (const id of ['containerExec.configurations', 'containerExec.runs', 'containerExec.daemons'])
      await vscode.commands.executeCommand(`${id}.focus`);
    await until('the Daemons view open and live', 5000, () => api.daemons.isLive());
  });

  it('Test Connection (palette) reaches the default daemon and reports the version the docker CLI sees', async () => {
    const expected = execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
    }).trim();
    const r = await vscode.commands.executeCommand<{ version: string; roundTripMs: number } | undefined>('containerExec.testConnection');
    assert.ok(r, 'the command reported a failure (see the Container Exec log)');
    assert.equal(r.version, expected);
  });
});
