import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { ConfigurationNode } from '../../src/configurations/configurationsTree';
import {
  createContainer,
  createDaemonClient,
  daemonLoad,
  LABELS,
  osUser,
  parseDaemonDescription,
  removeContainer,
  containerHoldings,
  startContainer,
} from '../../src/core';
import type { ContainerExecApi } from '../../src/extension';
import { fromConfig, toConfig, type Form } from '../../webview/form';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

type ConfigNode = Extract<ConfigurationNode, { kind: 'configuration' }>;

describe('A pool in the Configurations tree and the editor (real host, real daemons)', function () {
  this.timeout(90000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const configs = () => config().inspect<unknown>('configurations')?.workspaceValue;
  const setConfigs = (value: unknown) => config().update('configurations', value, vscode.ConfigurationTarget.Workspace);
  const node = (name: string, raw: unknown) =>
    until(`${name} in the tree, as ${JSON.stringify(raw)}`, 5000, () =>
      api.configurations
        .children()
        .find(
          (n): n is ConfigNode => n.kind === 'configuration' && n.item.config.name === name && isDeepStrictEqual(n.item.origin.raw, raw),
        ),
    );

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await setConfigs(undefined);
  });

  it("shows each pool daemon with its load, an unreachable one within its deadline; the load follows a container's CPU limit", async () => {
    const entry = { name: 'load-pool', pool: ['tcp', 'void'] };
    await setConfigs([entry]);
    const pool = await node('load-pool', entry);
    const poolItem = await api.configurations.item(pool);
    assert.equal(poolItem.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(poolItem.description), /^pool tcp, void · /);
    const children = api.configurations.children(pool);
    assert.deepEqual(
      children.map((c) => c.kind === 'poolDaemon' && c.daemon),
      ['tcp', 'void'],
    );
    // the tree never waits for a daemon: the blackholed one answers "reading" at once
    const t0 = Date.now();
    const first = await Promise.all(children.map((c) => api.configurations.item(c)));
    assert.ok(Date.now() - t0 < 1000, `the items took ${Date.now() - t0} ms`);
    assert.ok(
      first.every((i) => i.description),
      'every daemon row says something at once',
    );
    const describe = async (i: number) => String((await api.configurations.item(children[i]!)).description);
    const loadText = /^([\d.]+) of (\d+) CPUs, [\d.]+ of [\d.]+ GB free · (\d+) runs? \((\d+) yours\)$/;
    await until('both loads read', 15000, async () => {
      await api.configurations.loadsSettled();
      return loadText.test(await describe(0)) && /^unreachable \(/.test(await describe(1)) ? true : undefined;
    });
    // void's deadline is 1.5 s: its answer came within it (with margins for a loaded machine)
    assert.ok(Date.now() - t0 < 10000, `void answered after ${Date.now() - t0} ms`);
    assert.match(await describe(1), /^unreachable \(.* within 1500 ms/);

    // a container with a CPU limit on tcp: the Daemons view live, its container event re-reads the load
    await vscode.commands.executeCommand('containerExec.daemons.focus');
    await until('the hub live', 5000, () => api.daemons.isLive() || undefined);
    const client = createDaemonClient(parseDaemonDescription({ id: 'tcp', host: need('DOCKER_TCP_HOST') }));
    const before = loadText.exec(await describe(0))!;
    const id = await createContainer(client, {
      name: `ce-pool-view-${Date.now()}`,
      Image: need('BUSYBOX_IMAGE'),
      Cmd: ['sleep', '60'],
      Labels: { [LABELS.run]: `pool-view-${Date.now()}`, [LABELS.user]: osUser() },
      HostConfig: { NanoCpus: 0.25e9 },
    });
    try {
      await startContainer(client, id);
      // what placement reads now, ours included (other engineers' containers come and go on tcp too)
      const shown = await until('the tree shows the load with the container', 20000, async () => {
        const reservations = await containerHoldings(client);
        if (!reservations.some((r) => r.id === id && Math.abs(r.cpus - 0.25) < 1e-9)) return undefined;
        const info = await client.info();
        const expected = daemonLoad('tcp', info, reservations, osUser());
        const text = await describe(0);
        const m = loadText.exec(text);
        return m && Math.abs(Number(m[1]) - Math.round(expected.freeCpus * 100) / 100) < 0.011 && Number(m[3]) >= 1 ? m : undefined;
      });
      assert.notDeepEqual([shown[1], shown[3], shown[4]], [before[1], before[3], before[4]], 'the load changed');
      assert.ok(Number(shown[4]) >= 1, 'the container counts as one of yours');
    } finally {
      await removeContainer(client, id).catch(() => undefined);
      client.dispose();
    }
  });

  it('the editor targets a daemon or a pool: saving writes pool and removes daemon (and back), other keys kept; an empty pool is refused', async () => {
    const entry = {
      name: 'target',
      daemon: 'tcp',
      resources: { memory: '64m', ulimits: { nofile: { soft: 1024, hard: 2048 } }, advanced: { CpuPeriod: 100000 } },
      build: { python: true, systemPackages: ['git'] },
    };
    await setConfigs([structuredClone(entry)]);
    const open = async (raw: unknown) => {
      await vscode.commands.executeCommand('containerExec.editConfiguration', await node('target', raw));
      const init = (await api.configurations.deliver('workspace/target', { type: 'ready' })).find((m) => m.type === 'init');
      assert.ok(init?.type === 'init');
      return fromConfig(init.config, init.scope, init.daemons);
    };
    const save = async (form: Form) => {
      const replies = await api.configurations.deliver('workspace/target', {
        type: 'save',
        config: toConfig(form).config,
        scope: 'workspace',
      });
      const result = replies.find((m) => m.type === 'saveResult');
      assert.ok(result?.type === 'saveResult');
      return result;
    };
    let form = await open(entry);
    assert.equal(form.daemonMode, 'existing');
    form.daemonMode = 'pool';
    form.pool = [];
    const empty = await save(form);
    assert.equal(empty.ok, false);
    assert.deepEqual(
      empty.errors.map((e) => e.field),
      ['pool'],
    );
    assert.match(empty.errors[0]!.message, /^pool: pick at least one daemon for the pool/);
    form.pool = ['tcp', 'nowhere'];
    const unknown = await save(form);
    assert.deepEqual(
      unknown.errors.map((e) => e.field),
      ['pool'],
    );
    assert.match(unknown.errors[0]!.message, /daemon not found: "nowhere"/);
    assert.deepEqual(configs(), [entry], 'nothing written by a refused save');

    form.pool = ['tcp', 'tls'];
    assert.deepEqual(await save(form), { type: 'saveResult', ok: true, errors: [] });
    const rest = Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'daemon'));
    const asPool = { ...rest, pool: ['tcp', 'tls'] };
    const saved = (configs() as Record<string, unknown>[])[0]!;
    assert.equal(JSON.stringify(saved.build), JSON.stringify(entry.build), 'build kept byte for byte');
    assert.equal(JSON.stringify(saved.resources), JSON.stringify(entry.resources), 'resources kept byte for byte');
    assert.equal('daemon' in saved, false);
    assert.deepEqual(saved, asPool);

    form = await open(asPool);
    assert.equal(form.daemonMode, 'pool');
    assert.deepEqual(form.pool, ['tcp', 'tls']);
    form.daemonMode = 'existing';
    form.daemon = 'tls';
    assert.deepEqual(await save(form), { type: 'saveResult', ok: true, errors: [] });
    assert.deepEqual(configs(), [{ ...rest, daemon: 'tls' }]);
  });
});
