import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

/** README "Builds": the builder daemon builds and pushes with the password from secret storage. */
describe('Push Base Image (README promises, real host, auth registry)', function () {
  this.timeout(120000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const repo = `ce-push-${process.pid}-${Date.now()}`;
  const registry = need('DOCKER_AUTH_REGISTRY');
  const tag = `${registry}/${repo}:t1`;
  let saved: { configurations?: unknown; daemons?: unknown };

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    saved = { configurations: config().inspect('configurations')?.globalValue, daemons: config().inspect('daemons')?.workspaceValue };
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await config().update('configurations', saved.configurations, vscode.ConfigurationTarget.Global);
    await config().update('daemons', saved.daemons, vscode.ConfigurationTarget.Workspace);
    execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'rmi', '-f', tag], { stdio: 'ignore' });
    // the pushed manifest is deleted from the registry (it accepts DELETE by digest)
    const manifest = `https://${registry}/v2/${repo}/manifests`;
    const head = curl(
      '-I',
      '-H',
      'Accept: application/vnd.oci.image.manifest.v1+json',
      '-H',
      'Accept: application/vnd.docker.distribution.manifest.v2+json',
      `${manifest}/t1`,
    );
    const digest = /docker-content-digest:\s*(\S+)/i.exec(head)?.[1];
    if (digest) curl('-X', 'DELETE', `${manifest}/${digest}`);
  });
  const curl = (...args: string[]) =>
    execFileSync(
      'curl',
      [
        '-s',
        '--cacert',
        need('DOCKER_AUTH_REGISTRY_CA'),
        '-u',
        `${need('DOCKER_AUTH_REGISTRY_USER')}:${need('DOCKER_AUTH_REGISTRY_PASSWORD')}`,
        ...args,
      ],
      {
        encoding: 'utf8',
      },
    );

  /** The registry's tags of `repo`, read with its HTTP API and basic auth (404: an unknown repository). */
  const tagsList = (): { status: number; tags?: string[] } => {
    const out = execFileSync(
      'curl',
      [
        '-s',
        '-w',
        '\n%{http_code}',
        '--cacert',
        need('DOCKER_AUTH_REGISTRY_CA'),
        '-u',
        `${need('DOCKER_AUTH_REGISTRY_USER')}:${need('DOCKER_AUTH_REGISTRY_PASSWORD')}`,
        `https://${registry}/v2/${repo}/tags/list`,
      ],
      { encoding: 'utf8' },
    );
    const [body, status] = [out.slice(0, out.lastIndexOf('\n')), Number(out.slice(out.lastIndexOf('\n') + 1))];
    return { status, tags: status === 200 ? (JSON.parse(body) as { tags: string[] }).tags : undefined };
  };

  it('the builder daemon builds the base image and Push Base Image pushes it with the password from secret storage', async () => {
    assert.equal(tagsList().status, 404, 'the repository is new');
    const editor = await (async () => {
      await vscode.commands.executeCommand('containerExec.newConfiguration');
      return until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    })();
    const replies = await api.configurations.deliver(editor, {
      type: 'save',
      config: {
        name: repo,
        daemon: 'tcp',
        registry: { url: registry, username: need('DOCKER_AUTH_REGISTRY_USER') },
      },
      scope: 'user',
      registryPassword: need('DOCKER_AUTH_REGISTRY_PASSWORD'),
    });
    assert.ok(!replies.some((m) => m.type === 'failed'), JSON.stringify(replies));
    await api.configurations.deliver(editor, { type: 'cancel' }).catch(() => undefined);
    // the build section is written in settings.json (the editor keeps it, it does not show it)
    const user = (config().inspect<Record<string, unknown>[]>('configurations')?.globalValue ?? []).map((c) =>
      c.name === repo ? { ...c, build: { from: need('BUSYBOX_IMAGE'), python: false, tag: `${repo}:t1` } } : c,
    );
    await config().update('configurations', user, vscode.ConfigurationTarget.Global);
    await until(`${repo} in the tree with its build (saved: ${JSON.stringify(replies)})`, 5000, () =>
      api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === repo && n.item.config.build),
    );
    // with a registry the builder daemon (builderDaemon, default local) builds, not the configuration's daemon
    assert.equal(await vscode.commands.executeCommand<number | undefined>('containerExec.buildBaseImage', repo), 0);
    execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'image', 'inspect', tag], { stdio: 'ignore' });
    assert.equal(await vscode.commands.executeCommand<string | undefined>('containerExec.pushBaseImage', repo), tag);
    assert.deepEqual(tagsList(), { status: 200, tags: ['t1'] });
  });
});
