import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { ShellResult } from '../../src/shell/shellCommands';
import { need, podmanHost, podmanPythonImage, testbedDaemonSettings } from '../support/testbed';
import { runningRow } from '../support/runningRow';
import { until } from '../support/until';

describe('Open Shell in the extension host (real host, real daemon, tty exec)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const local = () => need('DOCKER_LOCAL_HOST');
  const containersOf = (runId: string, host = local()) =>
    execFileSync('docker', ['-H', host, 'ps', '-aq', '--filter', `label=container-exec.run=${runId}`], { encoding: 'utf8' }).trim();
  let api: ContainerExecApi;
  const noShellImage = 'local/noshell:test';

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    // an image with no /bin/sh at all: FROM scratch and one file
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noshell-'));
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hi\n');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    execFileSync('docker', ['-H', local(), 'build', '-q', '-t', noShellImage, dir], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(path.join(ws(), 'recipes', 'sleepy.py'), 'import time\nprint("sleeping", flush=True)\ntime.sleep(40)\n');
    await config().update(
      'daemons',
      [...(testbedDaemonSettings() as { id: string }[]).filter((d) => d.id !== 'ssh'), { id: 'podman', host: podmanHost() }],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('stopGraceSeconds', 2, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'sh-local', daemon: 'local', baseImage: need('PYTHON_IMAGE') },
        { name: 'sh-podman', daemon: 'podman', baseImage: podmanPythonImage() },
        { name: 'sh-none', daemon: 'local', baseImage: noShellImage },
        { name: 'sh-pool', pool: ['local', 'tcp'], baseImage: need('PYTHON_IMAGE') },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(async () => {
    await config().update('stopGraceSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('terminalMaxMBps', undefined, vscode.ConfigurationTarget.Workspace);
  });

  for (const [configuration, host] of [
    ['sh-local', local],
    ['sh-podman', podmanHost],
  ] as const)
    it(`Open Shell on Configuration (${configuration}): python3 prints 42 in the container, Ctrl+C reaches the process, exit removes the container`, async () => {
      const shell = (await vscode.commands.executeCommand<ShellResult>('containerExec.openShell', configuration))!;
      await until('the container', 60000, () => containersOf(shell.runId!, host()));
      shell.terminal.sendText('python3 -c "print(6*7)"');
      await until('42 in the terminal', 30000, () => /\r\n42\r\n/.test(shell.output()));
      // the workspace was uploaded
      shell.terminal.sendText('ls /workspace/recipes');
      await until('the workspace in the container', 20000, () => shell.output().includes('sleepy.py'));
      // Ctrl+C interrupts the sleep in the container: the next command runs at once
      shell.terminal.sendText('sleep 60', true);
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      shell.terminal.sendText('\x03', false);
      shell.terminal.sendText('echo after-$((20+1))');
      await until('the command after Ctrl+C', 20000, () => shell.output().includes('after-21'));
      assert.ok(Date.now() - t0 < 20000);
      shell.terminal.sendText('exit');
      assert.match(await shell.ended, /^Shell exited \(code \d+\); the container was removed\./);
      assert.equal(containersOf(shell.runId!, host()), '');
    });

  it('closing the shell terminal removes its container', async () => {
    const shell = (await vscode.commands.executeCommand<ShellResult>('containerExec.openShell', 'sh-local'))!;
    await until('the container', 60000, () => containersOf(shell.runId!));
    shell.terminal.sendText('echo ready-$((1+1))');
    await until('the shell', 20000, () => shell.output().includes('ready-2'));
    shell.terminal.dispose();
    await shell.ended;
    await until('the container removed', 20000, () => containersOf(shell.runId!) === '');
  });

  it('an image without /bin/sh: the terminal says so, naming the image; no container left', async () => {
    const shell = (await vscode.commands.executeCommand<ShellResult>('containerExec.openShell', 'sh-none'))!;
    assert.match(
      await shell.ended,
      /^Image local\/noshell:test of configuration sh-none has no \/bin\/sh: Open Shell needs a shell in the image/,
    );
    assert.equal(containersOf(shell.runId!), '');
  });

  it("Open Shell in Run: a shell in a running run's container; exiting it leaves the run going", async () => {
    const running = vscode.commands.executeCommand<{ runId: string; record?: { state: string } }>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'sleepy.py')),
      'sh-local',
    );
    const node = await runningRow(api, (r) => r.recipe === 'recipes/sleepy.py', 'sleeping', 60000);
    const shell = await vscode.commands.executeCommand<ShellResult>('containerExec.openShellInRun', node);
    shell.terminal.sendText('echo in-run-$CONTAINER_EXEC_RUN_ID');
    await until("the run's environment in the shell", 20000, () => shell.output().includes(`in-run-${node.record.id}`));
    shell.terminal.sendText('exit');
    assert.match(await shell.ended, /^Shell exited \(code 0\); run .* goes on\./);
    shell.terminal.dispose();
    assert.ok(containersOf(node.record.id));
    await vscode.commands.executeCommand('containerExec.stopRun', node);
    const r = await running;
    assert.equal(r.record?.state, 'cancelled');
    assert.equal(containersOf(node.record.id), '');
  });

  it('Open Shell in Run on a pool run (finding 6): the shell opens on the daemon the run landed on; exiting it leaves the run placed and going', async () => {
    const running = vscode.commands.executeCommand<{ runId: string; record?: { state: string } }>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'sleepy.py')),
      'sh-pool',
    );
    const node = await runningRow(api, (r) => r.configuration === 'sh-pool' && r.placement, 'sleeping', 60000);
    const landed = node.record.placement!.daemon;
    const host = landed === 'local' ? local() : need('DOCKER_TCP_HOST');
    const onLanded = () =>
      execFileSync('docker', ['-H', host, 'ps', '-q', '--filter', `label=container-exec.run=${node.record.id}`], {
        encoding: 'utf8',
      }).trim();
    try {
      const shell = await vscode.commands.executeCommand<ShellResult>('containerExec.openShellInRun', node);
      shell.terminal.sendText('echo in-pool-run-$CONTAINER_EXEC_RUN_ID');
      await until("the run's environment in the shell", 20000, () => shell.output().includes(`in-pool-run-${node.record.id}`));
      shell.terminal.sendText('exit');
      assert.match(await shell.ended, /^Shell exited \(code 0\); run .* goes on\./);
      shell.terminal.dispose();
      assert.ok(onLanded(), `the run's container still runs on ${landed}`);
      assert.equal(api.runs.children().find((n) => n.record.id === node.record.id)?.record.state, 'running');
    } finally {
      await vscode.commands.executeCommand('containerExec.stopRun', node);
    }
    const r = await running;
    assert.equal(r.record?.state, 'cancelled');
    assert.equal(onLanded(), '');
  });

  it('Open Shell output is paced (lesser finding): `yes` reaches the terminal at about containerExec.terminalMaxMBps, and Ctrl+C stops it at once', async () => {
    const budget = 0.2e6;
    await config().update('terminalMaxMBps', budget / 1e6, vscode.ConfigurationTarget.Workspace);
    const shell = (await vscode.commands.executeCommand<ShellResult>('containerExec.openShell', 'sh-local'))!;
    try {
      await until('the container', 60000, () => containersOf(shell.runId!));
      shell.terminal.sendText('echo ready-$((1+1))');
      await until('the shell', 20000, () => shell.output().includes('ready-2'));
      shell.terminal.sendText('yes');
      await until("yes's output", 20000, () => shell.output().includes('y\r\ny\r\ny\r\n'));
      // three seconds of budget shown: how long it took says the rate the terminal was handed
      const c0 = shell.shown();
      const t0 = Date.now();
      await until('three seconds of budget shown', 60000, () => shell.shown() - c0 >= 3 * budget);
      const rate = (shell.shown() - c0) / ((Date.now() - t0) / 1000);
      assert.ok(rate <= 1.5 * budget, `the terminal was handed ${Math.round(rate)} characters a second; its budget is ${budget}`);
      shell.terminal.sendText('\x03', false);
      shell.terminal.sendText('echo after-$((20+1))');
      await until('the command after Ctrl+C', 20000, () => shell.output().includes('after-21'));
      shell.terminal.sendText('exit');
      assert.match(await shell.ended, /^Shell exited \(code \d+\); the container was removed\./);
    } finally {
      shell.terminal.dispose();
      await shell.ended;
      await config().update('terminalMaxMBps', undefined, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(containersOf(shell.runId!), '');
  });
});
