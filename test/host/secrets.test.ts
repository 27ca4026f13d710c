import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need } from '../support/testbed';
import { until } from '../support/until';

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Issue 23, through the real host and the testbed's real daemons: a stored registry password goes only
 * where the user agreed, decided for the daemon the pull really goes through (a pool's placed daemon);
 * a workspace daemon that shadows one of the user's says so; containerExec.budgets is restricted and an
 * invalid entry is that pool's error alone.
 */
describe('Registry passwords, shadowing daemons and budgets (issue 23, real host, real daemons)', function () {
  this.timeout(180000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const stamp = Date.now();
  // an image of our own in the password-protected registry: no other test pulls or removes it
  const image = `${need('DOCKER_AUTH_REGISTRY')}/private/ce-secrets-${stamp}:latest`;
  const docker = (host: string, ...args: string[]) =>
    execFileSync('docker', ['--config', need('DOCKERENV_DOCKER_CONFIG'), '-H', host, ...args], { stdio: 'pipe' }).toString();
  const hasImage = (host: string, ref: string) => {
    try {
      docker(host, 'image', 'inspect', ref);
      return true;
    } catch {
      return false;
    }
  };
  const keys = ['daemons', 'configurations', 'budgets'] as const;
  const saved: { key: string; target: vscode.ConfigurationTarget; value: unknown }[] = [];
  let api: ContainerExecApi;
  const run = (configuration: string) =>
    vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipeOnConfiguration',
      vscode.Uri.file(path.join(ws(), 'recipes', 'secrets-hello.sh')),
      configuration,
    );
  const configurationItems = async () => Promise.all(api.configurations.children().map((n) => api.configurations.item(n)));
  const daemonItem = async (id: string) => {
    for (const n of await api.daemons.children()) if (n.kind === 'daemon' && n.id === id) return api.daemons.item(n);
    return undefined;
  };
  // through the real quick pick, once the workbench shows it: move to `label`, accept, as a user's keys would
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
  /** The question asked while this run goes on, or undefined when it ended without asking. */
  const askedDuring = async (pending: Thenable<RunResult>) => {
    let ended = false;
    void pending.then(
      () => (ended = true),
      () => (ended = true),
    );
    while (!ended) {
      const question = api.pendingPrompt();
      if (question) return question;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  };

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    for (const key of keys) {
      const i = config().inspect(key);
      saved.push({ key, target: vscode.ConfigurationTarget.Global, value: i?.globalValue });
      saved.push({ key, target: vscode.ConfigurationTarget.Workspace, value: i?.workspaceValue });
    }
    docker(need('DOCKER_LOCAL_HOST'), 'tag', need('BUSYBOX_IMAGE'), image);
    docker(need('DOCKER_LOCAL_HOST'), 'push', image);
    docker(need('DOCKER_LOCAL_HOST'), 'rmi', image);
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(path.join(ws(), 'recipes', 'secrets-hello.sh'), 'echo hello-from-$CONTAINER_EXEC_CONFIGURATION\n');
    await vscode.commands.executeCommand('containerExec.resetRegistryPasswordAnswers');
    await config().update(
      'daemons',
      [
        { id: 'sx-member', host: need('DOCKER_LOCAL_HOST') },
        { id: 'sx-local', host: need('DOCKER_LOCAL_HOST') },
      ],
      vscode.ConfigurationTarget.Global,
    );
    // a cloned repository's entry under the id of one of the user's daemons: the workspace entry wins on the id
    await config().update('daemons', [{ id: 'sx-member', host: need('DOCKER_TCP_HOST') }], vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'sx-ok', pool: ['sx-local'], baseImage: need('BUSYBOX_IMAGE') },
        { name: 'sx-bad', pool: ['sx-local'], baseImage: need('BUSYBOX_IMAGE') },
      ],
      vscode.ConfigurationTarget.Global,
    );
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('budgets', { 'sx-bad': { maxRuns: 0 } }, vscode.ConfigurationTarget.Global);
    await config().update('budgets', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('containerExec.daemons.focus');
  });

  after(async () => {
    api.trust.simulate(undefined);
    await vscode.commands.executeCommand('containerExec.resetRegistryPasswordAnswers');
    for (const s of saved) await config().update(s.key, s.value, s.target);
    for (const host of [need('DOCKER_LOCAL_HOST'), need('DOCKER_TCP_HOST')]) if (hasImage(host, image)) docker(host, 'rmi', image);
    fs.rmSync(path.join(ws(), 'recipes', 'secrets-hello.sh'), { force: true });
  });

  it('a workspace daemon that shadows a user daemon says so in the Daemons view (issue 23, secrets follow the daemon)', async () => {
    const item = await until('sx-member from the workspace', 20000, async () => {
      const i = await daemonItem('sx-member');
      return String(i?.description).startsWith(need('DOCKER_TCP_HOST')) ? i : undefined;
    });
    assert.match(String(item.description), /shadows a user daemon/);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip);
    assert.match(tooltip, /This workspace entry shadows the daemon of the same id in your user settings/);
    assert.doesNotMatch(String((await daemonItem('sx-local'))?.description), /shadows/);
  });

  it('Secrets follow the daemon that receives them (issue 23): a user pool whose member a workspace daemon shadows asks, naming that daemon and host; declining sends nothing', async () => {
    // the user's own pool configuration, its password stored through the editor
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    await api.configurations.deliver(editor, {
      type: 'save',
      config: {
        name: 'sx-pool',
        pool: ['sx-member'],
        baseImage: image,
        registry: { url: need('DOCKER_AUTH_REGISTRY'), username: need('DOCKER_AUTH_REGISTRY_USER') },
      },
      scope: 'user',
      registryPassword: need('DOCKER_AUTH_REGISTRY_PASSWORD'),
    });
    await until('sx-pool in the tree', 5000, () =>
      api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === 'sx-pool'),
    );

    const pending = run('sx-pool');
    const question = await askedDuring(pending);
    if (!question) assert.fail(`the run ended without asking: ${JSON.stringify((await pending).record?.message ?? 'it ran')}`);
    assert.match(
      question,
      new RegExp(
        `^Send your stored password for ${escaped(need('DOCKER_AUTH_REGISTRY_USER'))}@${escaped(need('DOCKER_AUTH_REGISTRY'))} to daemon sx-member \\(${escaped(need('DOCKER_TCP_HOST'))}\\)\\?$`,
      ),
    );
    await answer('Do not send it');
    const r = await pending;
    assert.equal(r.exitCode, 1);
    assert.match(
      r.record!.message!,
      new RegExp(
        `was not sent to daemon sx-member \\(${escaped(need('DOCKER_TCP_HOST'))}\\): daemon sx-member comes from workspace settings \\(it shadows the daemon of the same id in your user settings\\).*Nothing was sent`,
      ),
    );
    assert.equal(r.record?.containerId, undefined, 'no container was created');
    assert.equal(hasImage(need('DOCKER_TCP_HOST'), image), false, 'nothing was pulled on the workspace daemon');

    // without the workspace entry the member is the user's own daemon again: no question, the pull goes there
    await config().update('daemons', undefined, vscode.ConfigurationTarget.Workspace);
    await until('sx-member from user settings', 20000, async () =>
      String((await daemonItem('sx-member'))?.description).startsWith(need('DOCKER_LOCAL_HOST')),
    );
    const own = run('sx-pool');
    const asked = await askedDuring(own);
    if (asked) await answer('Do not send it');
    assert.equal(asked, undefined, "asked for the user's own daemon");
    const ok = await own;
    assert.equal(ok.exitCode, 0, ok.record?.message);
    assert.match(fs.readFileSync(ok.record!.logFile, 'utf8'), /hello-from-sx-pool/);
    assert.equal(hasImage(need('DOCKER_LOCAL_HOST'), image), true, 'pulled on the user daemon with the stored password');
    assert.equal(hasImage(need('DOCKER_TCP_HOST'), image), false);
  });

  it('containerExec.budgets is restricted and an invalid value fails every pool run (issue 23): it is an error node naming the key, and only its pool is refused', async () => {
    const bad = await until('the invalid budget shown', 10000, async () =>
      (await configurationItems()).find((i) => String(i.tooltip).startsWith('containerExec.budgets["sx-bad"]')),
    );
    assert.equal(bad.description, 'invalid user setting');
    assert.equal(
      bad.tooltip,
      'containerExec.budgets["sx-bad"] (user settings): maxRuns must be a whole number of at least 1. Runs of pool sx-bad are refused until it is fixed.',
    );
    const ok = await run('sx-ok');
    assert.equal(ok.exitCode, 0, ok.record?.message);
    const refused = await run('sx-bad');
    assert.equal(refused.exitCode, 1);
    assert.match(
      refused.record!.message!,
      /containerExec\.budgets\["sx-bad"\] \(user settings\) is invalid: maxRuns must be a whole number of at least 1\. Runs of pool "sx-bad" are refused/,
    );
    assert.equal(refused.record?.containerId, undefined, 'nothing was created');

    // an untrusted workspace's budget does not count (here one that would refuse sx-ok); trusted, it does
    await config().update('budgets', { 'sx-ok': { maxRuns: 0 } }, vscode.ConfigurationTarget.Workspace);
    api.trust.simulate(false);
    try {
      assert.equal((await configurationItems()).filter((i) => String(i.tooltip).startsWith('containerExec.budgets["sx-ok"]')).length, 0);
      const restricted = await run('sx-ok');
      assert.equal(restricted.exitCode, 0, restricted.record?.message);
    } finally {
      api.trust.simulate(undefined);
    }
    const trusted = await until('the workspace budget once trusted', 10000, async () =>
      (await configurationItems()).find((i) => String(i.tooltip).startsWith('containerExec.budgets["sx-ok"] (workspace settings)')),
    );
    assert.equal(trusted.description, 'invalid workspace setting');
  });
});
