import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { need, testbedDaemonSettings } from '../support/testbed';

describe('base image builds as VS Code tasks (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const tag = `local/ce-host-build:${Date.now()}`;

  before(async () => {
    await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'py-local', daemon: 'local', build: { from: need('PYTHON_IMAGE'), tag } },
        { name: 'broken-build', daemon: 'local', build: { from: need('BUSYBOX_IMAGE'), python: false, systemPackages: ['curl'] } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(() => execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'rmi', '-f', tag], { stdio: 'ignore' }));

  /** Runs a task through vscode.tasks.executeTask and returns its exit code. */
  async function run(task: vscode.Task): Promise<number | undefined> {
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === task.name) {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(task);
    return ended;
  }

  it('the task provider offers a build task per configuration; executeTask builds the image (exit 0, labelled)', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'container-exec-build' });
    assert.deepEqual(tasks.map((t) => t.name).sort(), ['Build base image: broken-build', 'Build base image: py-local']);
    const code = await run(tasks.find((t) => t.name === 'Build base image: py-local')!);
    assert.equal(code, 0);
    const labels = execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'image', 'inspect', tag, '--format', '{{json .Config.Labels}}'], { encoding: 'utf8' });
    assert.match(labels, /"container-exec.kind":"base"/);
    assert.match(labels, /"container-exec.configuration":"py-local"/);
  });

  it('a failing RUN ends the task with a non-zero exit code (the Build Base Image command reports it)', async () => {
    const code = await vscode.commands.executeCommand<number | undefined>('containerExec.buildBaseImage', 'broken-build');
    assert.equal(code, 1);
  });

  it('Show Generated Dockerfile opens the Dockerfile before any build', async () => {
    const text = await vscode.commands.executeCommand<string>('containerExec.showGeneratedDockerfile', 'py-local');
    assert.match(text, new RegExp(`FROM ${need('PYTHON_IMAGE').replace(/[./]/g, '\\$&')}`));
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'dockerfile');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
