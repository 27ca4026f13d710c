import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { ConfigurationNode } from '../../src/configurations/configurationsTree';
import { LABELS } from '../../src/core';
import type { ContainerExecApi } from '../../src/extension';
import { fromConfig, toConfig, type Form } from '../../webview/form';
import { need, testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';

type ConfigNode = Extract<ConfigurationNode, { kind: 'configuration' }>;

const tcpCli = (...args: string[]) => execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), ...args], { encoding: 'utf8' }).trim();

/**
 * The tcp daemon's load as the row must read it, from the docker CLI alone: `docker info`'s CPUs and memory,
 * less what its running containers reserve (`docker inspect`: CPU limit, memory limit or reservation), and
 * its Container Exec runs (label container-exec.run), this user's apart.
 */
function tcpLoadText(): string {
  const [ncpu, memTotal] = tcpCli('info', '--format', '{{.NCPU}} {{.MemTotal}}').split(' ').map(Number) as [number, number];
  const ids = tcpCli('ps', '-q').split('\n').filter(Boolean);
  const fields = `{{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{index .Config.Labels "${LABELS.run}"}}|{{index .Config.Labels "${LABELS.user}"}}`;
  let cpus = 0;
  let memory = 0;
  let runs = 0;
  let yours = 0;
  const rows = ids.length ? tcpCli('inspect', '--format', fields, ...ids).split('\n') : [];
  for (const row of rows) {
    const [nano, quota, period, mem, memRes, labels] = row.split(' ');
    cpus += Number(nano) ? Number(nano) / 1e9 : Number(quota) > 0 ? Number(quota) / (Number(period) || 100000) : 0;
    memory += Number(mem) || Number(memRes) || 0;
    const [run, user] = labels!.split('|');
    if (run && run !== '<no value>') {
      runs++;
      if (user === os.userInfo().username) yours++;
    }
  }
  const gb = (b: number) => (Math.max(0, b) / 1024 ** 3).toFixed(1);
  return `${Math.round(Math.max(0, ncpu - cpus) * 100) / 100} of ${ncpu} CPUs, ${gb(memTotal - memory)} of ${gb(memTotal)} GB free · ${runs} run${runs === 1 ? '' : 's'} (${yours} yours)`;
}

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

  it("shows each pool daemon with its load, an unreachable one within its deadline; the load follows a container's CPU limit (issue 29 finding 4: figures from the docker CLI)", async () => {
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
    // the tree never waits for a daemon: the blackholed one (deadline 1.5 s) answers "reading" before its deadline
    const VOID_DEADLINE_MS = 1500;
    const t0 = Date.now();
    const first = await Promise.all(children.map((c) => api.configurations.item(c)));
    assert.ok(Date.now() - t0 < VOID_DEADLINE_MS, `the items took ${Date.now() - t0} ms: they waited for the blackholed daemon`);
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
    // its answer came within a bound relative to its deadline (3×: a loaded machine), not by luck
    assert.ok(Date.now() - t0 < 3 * VOID_DEADLINE_MS, `void answered after ${Date.now() - t0} ms`);
    assert.match(await describe(1), /^unreachable \(.* within 1500 ms/);

    // a container with a CPU limit on tcp: the Daemons view live, its container event re-reads the load
    await vscode.commands.executeCommand('containerExec.daemons.focus');
    await until('the hub live', 5000, () => api.daemons.isLive() || undefined);
    const before = await describe(0);
    const name = `ce-pool-view-${Date.now()}`;
    const id = tcpCli(
      'run',
      '-d',
      '--name',
      name,
      '--cpus',
      '0.25',
      '--label',
      `${LABELS.run}=pool-view-${Date.now()}`,
      '--label',
      `${LABELS.user}=${os.userInfo().username}`,
      need('BUSYBOX_IMAGE'),
      'sleep',
      '60',
    );
    try {
      // the row against the daemon's own figures now (other engineers' containers come and go on tcp too)
      let expected = '';
      let said = '';
      const shown = await until('the tree shows the load with the container', 20000, async () => {
        expected = tcpLoadText();
        said = await describe(0);
        return said === expected ? expected : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}: the tree says "${said}", the docker CLI "${expected}"`));
      const m = loadText.exec(shown)!;
      assert.notEqual(shown, before, 'the load changed');
      assert.ok(Number(m[4]) >= 1, 'the container counts as one of yours');
    } finally {
      tcpCli('rm', '-f', id);
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
