import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

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
    const labels = execFileSync(
      'docker',
      ['-H', need('DOCKER_LOCAL_HOST'), 'image', 'inspect', tag, '--format', '{{json .Config.Labels}}'],
      { encoding: 'utf8' },
    );
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

describe('Build All Base Images (real host, real daemons)', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const stamp = Date.now();
  const built = [
    { name: 'all-local', daemon: 'local', host: () => need('DOCKER_LOCAL_HOST'), tag: `local/ce-build-all-a:${stamp}` },
    { name: 'all-tcp', daemon: 'tcp', host: () => need('DOCKER_TCP_HOST'), tag: `local/ce-build-all-b:${stamp}` },
  ];
  const labelsOf = (host: string, tag: string) =>
    JSON.parse(
      execFileSync('docker', ['-H', host, 'image', 'inspect', tag, '--format', '{{json .Config.Labels}}'], { encoding: 'utf8' }),
    ) as Record<string, string>;

  before(async () => {
    await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      built.map((b) => ({ name: b.name, daemon: b.daemon, build: { from: need('BUSYBOX_IMAGE'), python: false, tag: b.tag } })),
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(async () => {
    for (const b of built) execFileSync('docker', ['-H', b.host(), 'rmi', '-f', b.tag], { stdio: 'ignore' });
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it("builds every configuration's base image, each on its own daemon: both images are there afterwards (docker image inspect)", async () => {
    const codes = await vscode.commands.executeCommand<Record<string, number | undefined>>('containerExec.buildAllBaseImages');
    assert.deepEqual(codes, { 'all-local': 0, 'all-tcp': 0 });
    for (const b of built) {
      const labels = labelsOf(b.host(), b.tag);
      assert.equal(labels['container-exec.kind'], 'base', `${b.tag} on ${b.daemon}`);
      assert.equal(labels['container-exec.configuration'], b.name, `${b.tag} on ${b.daemon}`);
    }
  });
});

describe('code env images as tasks (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const baseTag = `local/ce-host-shim:${Date.now()}`;
  const envTags = () =>
    execFileSync(
      'docker',
      ['-H', need('DOCKER_LOCAL_HOST'), 'images', '--format', '{{.Repository}}:{{.Tag}}', `${baseTag.split(':')[0]}-codeenv-analytics`],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .filter(Boolean);

  before(async () => {
    // a base whose "python3 -m pip" only records its arguments: no package index is reachable here
    fs.writeFileSync(
      path.join(ws(), 'shim.Dockerfile'),
      `FROM ${need('BUSYBOX_IMAGE')}\nRUN printf '#!/bin/sh\\necho "pip $*" >> /installed.log\\n' > /bin/python3 && chmod +x /bin/python3\n`,
    );
    fs.writeFileSync(path.join(ws(), 'requirements.txt'), 'pandas==2.2.2\n');
    await config().update(
      'configurations',
      [{ name: 'shim', daemon: 'local', build: { dockerfile: 'shim.Dockerfile', tag: baseTag } }],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('codeEnvs', [{ name: 'analytics', requirements: 'requirements.txt' }], vscode.ConfigurationTarget.Workspace);
  });
  after(() => {
    for (const t of [...envTags(), baseTag]) execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'rmi', '-f', t], { stdio: 'ignore' });
  });

  it('Build Code Env Image builds base + layer once, skips it when unchanged, rebuilds when the requirements change', async () => {
    assert.equal(await vscode.commands.executeCommand('containerExec.buildBaseImage', 'shim'), 0);
    assert.deepEqual(await vscode.commands.executeCommand('containerExec.buildCodeEnvImage', 'analytics'), { shim: 0 });
    const first = envTags();
    assert.equal(first.length, 1);
    assert.deepEqual(await vscode.commands.executeCommand('containerExec.buildCodeEnvImage', 'analytics'), { shim: 0 });
    assert.deepEqual(envTags(), first, 'unchanged: no new image');
    fs.writeFileSync(path.join(ws(), 'requirements.txt'), 'pandas==2.2.3\n');
    assert.deepEqual(await vscode.commands.executeCommand('containerExec.buildCodeEnvImage', 'analytics'), { shim: 0 });
    assert.equal(envTags().length, 2, 'changed requirements: a new image');
  });
});

describe('stale base images', function () {
  this.timeout(60000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const tag = `local/ce-stale:${Date.now()}`;
  after(() => execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'rmi', '-f', tag], { stdio: 'ignore' }));

  it('an image labelled with an older extension version is marked stale in the configurations tree, missing ones as not built', async () => {
    const api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    execFileSync(
      'docker',
      [
        '-H',
        need('DOCKER_LOCAL_HOST'),
        'build',
        '-q',
        '-t',
        tag,
        '--label',
        'container-exec.version=0.0.1',
        '--label',
        'container-exec.kind=base',
        '-',
      ],
      { input: `FROM ${need('BUSYBOX_IMAGE')}\n` },
    );
    await config().update(
      'configurations',
      [
        { name: 'old', daemon: 'local', build: { from: need('BUSYBOX_IMAGE'), python: false, tag } },
        { name: 'never-built', daemon: 'local', build: { tag: 'local/ce-never-built:1' } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await vscode.commands.executeCommand('containerExec.daemons.focus'); // the daemon connects while its view is visible
    const description = async (name: string) => {
      const node = api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === name);
      return node ? String((await api.configurations.item(node)).description) : '';
    };
    await until('stale mark', 10000, async () => (await description('old')).includes('⚠ stale image'));
    await until('not-built mark', 10000, async () => (await description('never-built')).includes('○ image not built'));
  });
});
