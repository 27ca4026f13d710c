import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { DaemonTreeNode } from '../../src/daemons/daemonsTree';
import type { RunResult } from '../../src/runs/runCommands';
import { need } from '../support/testbed';
import { until } from '../support/until';

/**
 * What a cloned repository's .vscode/settings.json may do. This host runs with --disable-workspace-trust
 * (trusted); Restricted Mode is entered through the extension's trust module (api.trust.simulate), the
 * one place every settings source asks. VS Code's own Restricted Mode is tested in test/restricted/.
 */
describe('Workspace Trust: what workspace settings can do (real host, real daemons)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const stamp = Date.now();
  const outside = () => path.join(ws(), '..', `ce-outside-${stamp}`);
  const marker = (who: string) => path.join(outside(), `${who}-ssh-ran`);
  const registryImage = () => `${need('DOCKER_AUTH_REGISTRY')}/private/busybox:latest`;
  const hasImage = (ref: string) => {
    try {
      execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'image', 'inspect', ref], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  let api: ContainerExecApi;
  const roots = () => api.daemons.children();
  const rootOf = async (kind: DaemonTreeNode['kind'], id: string) =>
    (await roots()).find((n) => n.kind === kind && (n.kind === 'daemon' ? n.id : n.kind === 'ignored' ? n.entry.id : undefined) === id);

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(outside(), { recursive: true });
    fs.writeFileSync(path.join(outside(), 'Dockerfile'), `FROM ${need('BUSYBOX_IMAGE')}\n`);
    fs.writeFileSync(path.join(outside(), 'id_ed25519'), 'PRIVATE KEY');
    // an ssh "client" that leaves a marker, then does the real thing
    for (const who of ['user', 'workspace']) {
      const script = path.join(outside(), `${who}-ssh.sh`);
      fs.writeFileSync(script, `#!/bin/sh\ntouch '${marker(who)}'\nexec ssh "$@"\n`, { mode: 0o755 });
    }
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(path.join(ws(), 'recipes', 'hello.sh'), 'echo hello-from-$CONTAINER_EXEC_CONFIGURATION\n');
    await config().update(
      'daemons',
      [
        { id: 'user-tcp', host: need('DOCKER_TCP_HOST') },
        // ssh logins take seconds on a loaded machine
        {
          id: 'user-ssh',
          host: need('DOCKER_SSH_HOST'),
          ssh: { command: path.join(outside(), 'user-ssh.sh'), configFile: need('DOCKER_SSH_CONFIG') },
          timeoutMs: 20000,
        },
      ],
      vscode.ConfigurationTarget.Global,
    );
    await config().update(
      'configurations',
      [{ name: 'user-cfg', daemon: 'user-tcp', baseImage: need('BUSYBOX_IMAGE') }],
      vscode.ConfigurationTarget.Global,
    );
    await config().update(
      'daemons',
      [
        { id: 'tcp', host: need('DOCKER_TCP_HOST') },
        {
          id: 'ws-ssh',
          host: need('DOCKER_SSH_HOST'),
          ssh: { command: path.join(outside(), 'workspace-ssh.sh'), configFile: need('DOCKER_SSH_CONFIG') },
        },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update(
      'configurations',
      [
        { name: 'ws-escape', daemon: 'tcp', build: { dockerfile: `../ce-outside-${stamp}/Dockerfile`, tag: `local/ce-escape:${stamp}` } },
        {
          name: 'ws-copy',
          daemon: 'tcp',
          build: {
            from: need('BUSYBOX_IMAGE'),
            python: false,
            copyToBuildContext: [`../ce-outside-${stamp}/id_ed25519`],
            tag: `local/ce-copy:${stamp}`,
          },
        },
        // only what a repository may not ask for: a granting ulimit and the host's network
        { name: 'ws-wide', daemon: 'tcp', network: 'host', resources: { ulimits: { memlock: { soft: -1, hard: -1 } } } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await vscode.commands.executeCommand('containerExec.daemons.focus');
  });

  after(async () => {
    api.trust.simulate(undefined);
    await vscode.commands.executeCommand('containerExec.resetRegistryPasswordAnswers');
    for (const key of ['daemons', 'configurations']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(outside(), { recursive: true, force: true });
  });

  it('trusted: a workspace daemon with ssh.command is never run, and the tree says why; the same from user settings runs', async () => {
    assert.equal(api.trust.isTrusted(), true);
    const ignored = await until('ws-ssh shown as ignored', 10000, () => rootOf('ignored', 'ws-ssh'));
    const item = api.daemons.item(ignored);
    assert.equal(item.description, 'ignored workspace setting');
    assert.match(
      String(item.tooltip),
      /ssh\.command and ssh\.configFile \(".*workspace-ssh\.sh", ".*"\) of daemon "ws-ssh" comes from workspace settings.*Define it in your user settings/,
    );
    assert.equal(await rootOf('daemon', 'ws-ssh'), undefined, 'no daemon node, so nothing connects to it');
    // the user's own ssh daemon runs its command: the marker check below can fail
    const userSsh = (await rootOf('daemon', 'user-ssh'))!;
    await until('user-ssh connected', 45000, async () => (await api.daemons.children(userSsh)).length === 4 || undefined);
    assert.ok(fs.existsSync(marker('user')), 'the user-settings ssh.command ran');
    assert.equal(fs.existsSync(marker('workspace')), false, 'the workspace ssh.command never ran');
  });

  it('Restricted Mode: the Daemons and Configurations views work from user settings and list the workspace entries they ignore; a user configuration runs', async () => {
    api.trust.simulate(false);
    try {
      const ignoredTcp = await until('workspace tcp ignored', 10000, () => rootOf('ignored', 'tcp'));
      assert.match(
        String(api.daemons.item(ignoredTcp).tooltip),
        /containerExec\.daemons\[0\] \(workspace settings\): ignored in Restricted Mode: this workspace is not trusted/,
      );
      assert.ok(await rootOf('ignored', 'ws-ssh'));
      assert.equal(await rootOf('daemon', 'tcp'), undefined, 'the workspace daemon is not used');
      const userTcp = (await rootOf('daemon', 'user-tcp'))!;
      const groups = await until('user-tcp connected', 10000, async () => {
        const c = await api.daemons.children(userTcp);
        return c.length === 4 ? c : undefined;
      });
      assert.equal(String(api.daemons.item(groups[1]!).label), 'Images');

      const configs = await until('configurations re-read', 5000, () => {
        const c = api.configurations.children();
        return c.some((n) => n.kind === 'ignored') ? c : undefined;
      });
      assert.deepEqual(
        configs.filter((n) => n.kind === 'configuration').map((n) => n.kind === 'configuration' && n.item.config.name),
        ['user-cfg'],
      );
      const ignoredNames = configs.filter((n) => n.kind === 'ignored').map((n) => n.kind === 'ignored' && n.entry.name);
      assert.deepEqual(ignoredNames, ['ws-escape', 'ws-copy', 'ws-wide']);
      assert.match(
        String((await api.configurations.item(configs.find((n) => n.kind === 'ignored')!)).tooltip),
        /containerExec\.configurations\[0\] \(workspace settings\): ignored in Restricted Mode/,
      );

      const recipe = vscode.Uri.file(path.join(ws(), 'recipes', 'hello.sh'));
      const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe, 'user-cfg');
      assert.equal(r.exitCode, 0, r.record?.message);
      assert.match(fs.readFileSync(r.record!.logFile, 'utf8'), /hello-from-user-cfg/);
    } finally {
      api.trust.simulate(undefined);
    }
    await until('workspace daemons back once trusted', 10000, () => rootOf('daemon', 'tcp'));
    assert.equal(fs.existsSync(marker('workspace')), false, 'the workspace ssh.command never ran');
  });

  it('trusted: a workspace configuration that widens the container (ulimits.memlock, network host) is not used, and the tree says why', async () => {
    const ignored = await until('ws-wide shown as ignored', 10000, () =>
      api.configurations.children().find((n) => n.kind === 'ignored' && n.entry.name === 'ws-wide'),
    );
    assert.match(
      String((await api.configurations.item(ignored)).tooltip),
      /resources\.ulimits\.memlock \(it grants locked \(unswappable\) memory\) and network "host" .* of configuration "ws-wide" comes from workspace settings.*Define it in your user settings/,
    );
    assert.equal(
      api.configurations.children().some((n) => n.kind === 'configuration' && n.item.config.name === 'ws-wide'),
      false,
      'no configuration node, so nothing runs on it',
    );
  });

  it('a workspace build.dockerfile or copyToBuildContext outside the workspace is refused before any build', async () => {
    // a failing command resolves (the one error policy) and shows why
    const refusal = async (name: string) => {
      await vscode.commands.executeCommand('notifications.clearAll');
      await until('no message', 5000, () => api.shownError() === undefined);
      assert.equal(await vscode.commands.executeCommand('containerExec.showGeneratedDockerfile', name), undefined);
      return (await until(`the message for ${name}`, 10000, () => api.shownError())).text;
    };
    assert.match(
      await refusal('ws-escape'),
      new RegExp(`build\\.dockerfile of configuration ws-escape "\\.\\./ce-outside-${stamp}/Dockerfile" leads outside the workspace`),
    );
    assert.match(
      await refusal('ws-copy'),
      new RegExp(
        `build\\.copyToBuildContext\\[0\\] of configuration ws-copy "\\.\\./ce-outside-${stamp}/id_ed25519" leads outside the workspace`,
      ),
    );
    await vscode.commands.executeCommand('notifications.clearAll');
    for (const [name, tag] of [
      ['ws-escape', `local/ce-escape:${stamp}`],
      ['ws-copy', `local/ce-copy:${stamp}`],
    ]) {
      assert.equal(await vscode.commands.executeCommand<number | undefined>('containerExec.buildBaseImage', name), 1, name);
      assert.equal(hasImage(tag!), false, `${tag} was never built`);
    }
  });

  it('a workspace configuration naming a registry whose password is stored asks first; a refusal sends nothing, and is remembered', async () => {
    // the image is not on the daemon: a run has to pull it from the password-protected registry
    try {
      execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'rmi', registryImage()], { stdio: 'ignore' });
    } catch {
      // not there
    }
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    const cfg = {
      name: 'ws-registry',
      daemon: 'tcp',
      baseImage: registryImage(),
      registry: { url: need('DOCKER_AUTH_REGISTRY'), username: need('DOCKER_AUTH_REGISTRY_USER') },
    };
    await api.configurations.deliver(editor, {
      type: 'save',
      config: cfg,
      scope: 'workspace',
      registryPassword: need('DOCKER_AUTH_REGISTRY_PASSWORD'),
    });
    await until('ws-registry in the tree', 5000, () =>
      api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === 'ws-registry'),
    );
    const recipe = vscode.Uri.file(path.join(ws(), 'recipes', 'hello.sh'));
    const run = () => vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', recipe, 'ws-registry');
    const question = () => until('the password question', 20000, () => api.pendingPrompt());
    // through the real quick pick, once the workbench shows it (it reports the active choice): move down to
    // `label`, then accept, as a user's keys would
    const answer = async (label: string) => {
      await until('the question on screen', 20000, () => api.promptActive());
      await until(`"${label}" active`, 20000, async () => {
        if (api.promptActive() === label) return true;
        await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
        return false;
      });
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await until('the question answered', 20000, () => api.pendingPrompt() === undefined);
    };

    // refuse: "Do not send it" is the second item of the real quick pick
    let pending = run();
    assert.match(
      await question(),
      new RegExp(
        `Send your stored password for ${need('DOCKER_AUTH_REGISTRY_USER')}@${need('DOCKER_AUTH_REGISTRY').replace(/\./g, '\\.')} to daemon tcp \\(${need('DOCKER_TCP_HOST').replace(/\./g, '\\.')}\\)\\?`,
      ),
    );
    await answer('Do not send it');
    let r = await pending;
    assert.equal(r.exitCode, 1);
    assert.match(
      r.record!.message!,
      /was not sent to daemon tcp .*configuration ws-registry comes from workspace settings.*Nothing was sent/,
    );
    assert.equal(hasImage(registryImage()), false, 'nothing was pulled');
    assert.equal(r.record?.containerId, undefined, 'no container was created');

    // remembered: no question, the same refusal
    r = await run();
    assert.equal(api.pendingPrompt(), undefined);
    assert.match(r.record!.message!, /was not sent to daemon tcp/);

    // asked again after a reset; agreeing sends the password: the image is pulled and the recipe runs
    await vscode.commands.executeCommand('containerExec.resetRegistryPasswordAnswers');
    pending = run();
    await question();
    await answer('Send the stored password');
    r = await pending;
    assert.equal(r.exitCode, 0, r.record?.message);
    assert.equal(hasImage(registryImage()), true, 'pulled with the stored password');
    assert.match(fs.readFileSync(r.record!.logFile, 'utf8'), /hello-from-ws-registry/);
  });
});
