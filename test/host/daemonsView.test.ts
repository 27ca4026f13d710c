import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { DaemonTreeNode } from '../../src/daemons/daemonsTree';
import type { ContainerExecApi } from '../../src/extension';
import { need, podmanHost, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

describe('Daemons view (real daemons, real host)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const label = (n: DaemonTreeNode) => String(api.daemons.item(n).label);
  const daemon = async (id: string) => (await api.daemons.children()).find((n) => n.kind === 'daemon' && n.id === id);

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    // the ssh daemon names an ssh_config file: honoured from user settings only
    const all = testbedDaemonSettings() as { id: string }[];
    await vscode.workspace.getConfiguration('containerExec').update(
      'daemons',
      all.filter((d) => d.id === 'ssh'),
      vscode.ConfigurationTarget.Global,
    );
    await vscode.workspace.getConfiguration('containerExec').update(
      'daemons',
      all.filter((d) => d.id !== 'ssh'),
      vscode.ConfigurationTarget.Workspace,
    );
    await vscode.commands.executeCommand('containerExec.daemons.focus');
  });
  after(() => vscode.workspace.getConfiguration('containerExec').update('daemons', undefined, vscode.ConfigurationTarget.Global));

  it('shows every configured daemon at once, the discovered local one, and the invalid entry with its reason', async () => {
    await until('daemons listed', 5000, async () => ((await api.daemons.children()).length >= 7 ? true : undefined));
    const roots = await api.daemons.children();
    const ids = roots.filter((n) => n.kind === 'daemon').map((n) => (n as { id: string }).id);
    for (const id of ['tcp', 'tls', 'tls-files', 'ssh', 'void', 'local']) assert.ok(ids.includes(id), `${id} missing from ${ids}`);
    const invalid = roots.find((n) => n.kind === 'invalid');
    assert.ok(invalid, 'the invalid entry is shown');
    assert.match(String(api.daemons.item(invalid).tooltip), /tcp:\/\/no-port-here.*tcp:\/\/ needs a port/);
    await until('the visible view is live', 5000, () => api.daemons.isLive() || undefined);
  });

  it('each reachable daemon (socket, TCP, TLS by folder and by files, ssh) connects and lists Info, Images, Containers, Volumes', async () => {
    for (const id of ['local', 'tcp', 'tls', 'tls-files', 'ssh']) {
      const node = (await daemon(id))!;
      let last: DaemonTreeNode[] = [];
      const groups = await until(`${id} connected`, 10000, async () => {
        last = await api.daemons.children(node);
        return last.length === 4 ? last : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}: ${last.map(label)}`));
      assert.deepEqual(groups.map(label), ['Info', 'Images', 'Containers', 'Volumes']);
      const images = await api.daemons.children(groups[1]);
      const tooltips = images.map((n) => String(api.daemons.item(n).tooltip));
      assert.ok(
        tooltips.some((t) => t.split('\n').includes(need('BUSYBOX_IMAGE'))),
        `${id}: ${tooltips}`,
      );
      const info = await api.daemons.children(groups[0]);
      assert.ok(info.map(label).includes('Runtimes'));
      assert.match(String(api.daemons.item(info.find((n) => label(n) === 'Engine')!).description), /^Docker \d+\.\d+.*, API 1\.\d+/);
      assert.match(String(api.daemons.item(node).description), id === 'local' ? /unix:\/\/.*discovered/ : /tcp:\/\/|ssh:\/\//);
    }
  });

  it('a Podman daemon (its Docker-compatible socket) connects like any other, and its Info says which engine answers: "Podman 4.3.1, API 1.41"', async () => {
    const config = vscode.workspace.getConfiguration('containerExec');
    const workspaceDaemons = config.inspect<unknown[]>('daemons')!.workspaceValue!;
    await config.update('daemons', [...workspaceDaemons, { id: 'podman', host: podmanHost() }], vscode.ConfigurationTarget.Workspace);
    try {
      const node = await until('the podman daemon listed', 5000, () => daemon('podman'));
      const groups = await until('podman connected', 15000, async () => {
        const c = await api.daemons.children(node);
        return c.length === 4 ? c : undefined;
      });
      const info = await api.daemons.children(groups[0]);
      assert.match(String(api.daemons.item(info.find((n) => label(n) === 'Engine')!).description), /^Podman 4\.\d+\.\d+, API 1\.\d+/);
    } finally {
      await config.update('daemons', workspaceDaemons, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the blackholed daemon turns unreachable within its deadline and offers Retry, without delaying the others (issue 29 finding 7: timed from a first connect)', async () => {
    const VOID_MS = 1500;
    // two daemons the hub has never met, so both connect now: a blackholed one, and the plain TCP one again
    const config = vscode.workspace.getConfiguration('containerExec');
    const workspaceDaemons = config.inspect<unknown[]>('daemons')!.workspaceValue!;
    const fresh = [
      { id: 'void-fresh', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: VOID_MS },
      { id: 'tcp-fresh', host: need('DOCKER_TCP_HOST') },
    ];
    await config.update('daemons', [...workspaceDaemons, ...fresh], vscode.ConfigurationTarget.Workspace);
    try {
      const [voidNode, tcpNode] = await until('the two new daemons listed', 5000, async () => {
        const [v, t] = [await daemon('void-fresh'), await daemon('tcp-fresh')];
        return v && t && [v, t];
      });
      const t0 = Date.now();
      const at: Record<string, number> = {};
      const [voidChildren, tcpChildren] = await Promise.all(
        [voidNode, tcpNode].map(async (n) => {
          const c = await until(`${label(n)} answered`, 5 * VOID_MS, async () => {
            const c = await api.daemons.children(n);
            return c.length ? c : undefined;
          });
          at[label(n)] = Date.now() - t0;
          return c;
        }),
      );
      assert.equal(voidChildren![0]?.kind, 'error');
      assert.match(label(voidChildren![0]!), /did not answer .* within 1500 ms/);
      assert.equal(api.daemons.item(voidChildren![0]!).contextValue, 'daemonError');
      const [voidMs, tcpMs] = [at[label(voidNode)]!, at[label(tcpNode)]!];
      // the hub may have started connecting when the settings changed: an upper bound only, relative to the deadline
      assert.ok(voidMs < 3 * VOID_MS, `void-fresh unreachable after ${voidMs} ms (deadline ${VOID_MS} ms)`);
      assert.ok(
        tcpChildren!.every((c) => c.kind === 'group'),
        JSON.stringify(tcpChildren),
      );
      assert.ok(tcpMs < voidMs, `tcp-fresh listed after ${tcpMs} ms, the blackholed one unreachable after ${voidMs} ms: it waited`);
    } finally {
      await config.update('daemons', workspaceDaemons, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a container started with the docker CLI appears without a manual refresh', async () => {
    const groups = await api.daemons.children((await daemon('tcp'))!);
    const containers = groups[2]!;
    await api.daemons.children(containers); // load (and cache) the list first
    const name = `ce-view-${Date.now()}`;
    const id = execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'run', '-d', '--name', name, need('BUSYBOX_IMAGE'), 'sleep', '30'], {
      encoding: 'utf8',
    }).trim();
    try {
      const row = await until('container in the view', 5000, async () =>
        (await api.daemons.children(containers)).find((n) => label(n) === name),
      );
      assert.equal(api.daemons.item(row).contextValue, 'container.running');
      assert.ok(id.length > 10);
    } finally {
      execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'rm', '-f', id]);
    }
  });

  it('Set as Default Daemon writes containerExec.defaultDaemon; Test Connection then tests that daemon', async () => {
    const config = () => vscode.workspace.getConfiguration('containerExec');
    await vscode.commands.executeCommand('containerExec.setDefaultDaemon', await daemon('tcp'));
    try {
      assert.equal(config().get('defaultDaemon'), 'tcp');
      const expected = execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'version', '--format', '{{.Server.Version}}'], {
        encoding: 'utf8',
      }).trim();
      const r = await vscode.commands.executeCommand<{ version: string } | undefined>('containerExec.testConnection');
      assert.equal(r?.version, expected);
      await until(
        'tcp marked default',
        3000,
        async () => /default/.test(String(api.daemons.item((await daemon('tcp'))!).description)) || undefined,
      );
    } finally {
      await config().update('defaultDaemon', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('the hub is not live while the view is hidden, and is live again when it shows (issue 29 finding 7: the title says what is checked)', async () => {
    await vscode.commands.executeCommand('workbench.view.explorer');
    await until('not live while hidden', 5000, async () => !api.daemons.isLive() || undefined);
    await vscode.commands.executeCommand('containerExec.daemons.focus');
    await until('live again', 5000, async () => api.daemons.isLive() || undefined);
  });
});
