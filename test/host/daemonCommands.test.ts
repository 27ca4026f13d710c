import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { need } from '../support/testbed';
import { until } from '../support/until';

/** README "Commands": Import Docker Contexts and Podman Connections, Remove Daemon, through the real quick picks of the real host. */
describe('Daemon commands (README promises, real host, real daemons)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const userDaemons = () => (config().inspect<unknown[]>('daemons')?.globalValue ?? []) as Record<string, unknown>[];
  let saved: { user?: unknown[]; workspace?: unknown[] } = {};

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    const inspected = config().inspect<unknown[]>('daemons');
    saved = { user: inspected?.globalValue, workspace: inspected?.workspaceValue };
    // no configured daemon shares a host with the ones these tests import or remove (discovery hides those)
    await config().update('daemons', undefined, vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await config().update('daemons', saved.user, vscode.ConfigurationTarget.Global);
    await config().update('daemons', saved.workspace, vscode.ConfigurationTarget.Workspace);
  });

  it('Import Docker Contexts copies a DOCKER_CONFIG context, with its TLS files, into user settings, keeping the entries there', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-contexts-'));
    const name = `ce-import-${process.pid}`;
    const digest = createHash('sha256').update(name).digest('hex');
    const metaDir = path.join(dir, 'contexts', 'meta', digest);
    const tlsDir = path.join(dir, 'contexts', 'tls', digest, 'docker');
    fs.mkdirSync(metaDir, { recursive: true });
    fs.mkdirSync(tlsDir, { recursive: true });
    const meta = { Name: name, Metadata: { Description: 'testbed TLS daemon' }, Endpoints: { docker: { Host: need('DOCKER_TLS_HOST') } } };
    fs.writeFileSync(path.join(metaDir, 'meta.json'), JSON.stringify(meta));
    for (const k of ['ca', 'cert', 'key']) fs.copyFileSync(need(`DOCKER_TLS_${k.toUpperCase()}`), path.join(tlsDir, `${k}.pem`));
    const kept = { id: 'kept-before', host: need('DOCKER_TCP_HOST'), timeoutMs: 4321 };
    await config().update('daemons', [kept], vscode.ConfigurationTarget.Global);
    const before = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
    try {
      const imported = vscode.commands.executeCommand<number>('containerExec.importDockerContexts');
      let done = false;
      void imported.then(
        () => (done = true),
        () => (done = true),
      );
      // every context is picked at first: accept the quick pick once the workbench shows it
      await until('the import pick answered', 20000, async () => {
        if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return done;
      });
      assert.equal(await imported, 1);
      const entries = userDaemons();
      assert.deepEqual(entries[0], kept, 'the entry already in user settings is kept, first');
      assert.deepEqual(entries[1], {
        id: name,
        label: name,
        host: need('DOCKER_TLS_HOST'),
        tls: {
          enabled: true,
          verify: true,
          ca: path.join(tlsDir, 'ca.pem'),
          cert: path.join(tlsDir, 'cert.pem'),
          key: path.join(tlsDir, 'key.pem'),
        },
      });
      assert.equal(entries.length, 2);
      // the imported daemon is a configured one that connects through those TLS files
      const node = await until('the imported daemon configured', 10000, async () =>
        (await api.daemons.children()).find((n) => n.kind === 'daemon' && n.id === name),
      );
      const expected = execFileSync(
        'docker',
        ['-H', need('DOCKER_TLS_HOST'), '--tlsverify', '--tlscacert', need('DOCKER_TLS_CA'), '--tlscert', need('DOCKER_TLS_CERT')].concat([
          '--tlskey',
          need('DOCKER_TLS_KEY'),
          'version',
          '--format',
          '{{.Server.Version}}',
        ]),
        { encoding: 'utf8' },
      ).trim();
      const r = await vscode.commands.executeCommand<{ version: string } | undefined>('containerExec.testConnection', node);
      assert.equal(r?.version, expected);
    } finally {
      if (before === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = before;
      await config().update('daemons', saved.user, vscode.ConfigurationTarget.Global);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Remove Daemon removes only its entry once confirmed, keeping the others and their order; Cancel keeps it', async () => {
    const entries = [
      { id: 'rm-first', host: need('DOCKER_TCP_HOST'), label: 'first' },
      { id: 'rm-target', host: 'tcp://127.0.0.1:23751', timeoutMs: 1000 },
      { id: 'rm-last', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } },
    ];
    await config().update('daemons', entries, vscode.ConfigurationTarget.Global);
    try {
      const node = await until('rm-target listed', 10000, async () =>
        (await api.daemons.children()).find((n) => n.kind === 'daemon' && n.id === 'rm-target'),
      );
      const answer = async (label: string) => {
        await until('the confirmation on screen', 20000, () => api.promptActive());
        assert.match(api.pendingPrompt()!, /Remove daemon "rm-target" \(tcp:\/\/127\.0\.0\.1:23751\) from user settings\?/);
        await until(`"${label}" active`, 20000, async () => {
          if (api.promptActive() === label) return true;
          await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
          return false;
        });
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      };
      const cancelled = vscode.commands.executeCommand('containerExec.removeDaemon', node);
      await answer('Cancel');
      await cancelled;
      assert.deepEqual(userDaemons(), entries, 'Cancel changed the settings');
      const removed = vscode.commands.executeCommand('containerExec.removeDaemon', node);
      await answer('Remove');
      await removed;
      assert.deepEqual(userDaemons(), [entries[0], entries[2]]);
    } finally {
      await config().update('daemons', saved.user, vscode.ConfigurationTarget.Global);
    }
  });
});
