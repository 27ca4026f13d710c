import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import { until } from '../support/until';

/** README "Security": the configuration editor's webview, as the real host opens it. */
describe('Configuration editor webview (README promises, real host)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  let savedUser: unknown;

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    savedUser = config().inspect('configurations')?.globalValue;
  });
  after(() => config().update('configurations', savedUser, vscode.ConfigurationTarget.Global));

  const openNew = async () => {
    const known = new Set(api.configurations.openEditors());
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    return until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/') && !known.has(k)));
  };
  const close = async (editor: string) => {
    await api.configurations.deliver(editor, { type: 'cancel' });
    await until(`${editor} closed`, 5000, () => !api.configurations.openEditors().includes(editor));
  };

  it("has a CSP with default-src 'none' and scripts only with a nonce new at each load, and loads only from dist/ and media/", async () => {
    const nonces: string[] = [];
    for (let load = 0; load < 2; load++) {
      const editor = await openNew();
      const { html, localResourceRoots } = api.configurations.webview(editor);
      const extension = vscode.extensions.getExtension('container-exec.container-exec')!.extensionPath;
      assert.deepEqual(localResourceRoots, [path.join(extension, 'dist'), path.join(extension, 'media')]);
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
      assert.ok(csp, 'the page sets a CSP');
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
          .map(([k, ...v]) => [k, v]),
      );
      assert.deepEqual(directives.get('default-src'), ["'none'"]);
      const scriptSrc = directives.get('script-src');
      assert.equal(scriptSrc?.length, 1, `script-src allows only the nonce: ${csp}`);
      const nonce = /^'nonce-([A-Za-z0-9+/=]{16,})'$/.exec(scriptSrc[0]!)?.[1];
      assert.ok(nonce, `script-src is a nonce: ${scriptSrc[0]}`);
      const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      assert.ok(scripts.length > 0);
      for (const tag of scripts) assert.ok(tag.includes(`nonce="${nonce}"`), `a script without the nonce: ${tag}`);
      nonces.push(nonce);
      await close(editor);
    }
    assert.notEqual(nonces[0], nonces[1], 'the nonce is new at each load');
  });

  it('never posts a stored registry password back to the webview', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const name = `ce-nopw-${process.pid}`;
    const registry = { url: 'registry.invalid:5000', username: `ce-nopw-${process.pid}` };
    const created = await openNew();
    const saved = await api.configurations.deliver(created, {
      type: 'save',
      config: { name, daemon: 'local', registry },
      scope: 'user',
      registryPassword: password,
    });
    assert.ok(!saved.some((m) => m.type === 'failed'), JSON.stringify(saved));
    const node = await until(`${name} in the tree`, 5000, () =>
      api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === name),
    );
    try {
      await vscode.commands.executeCommand('containerExec.editConfiguration', node);
      const editor = `user/${name}`;
      await until('its editor open', 5000, () => api.configurations.openEditors().includes(editor));
      const replies = await api.configurations.deliver(editor, { type: 'ready' });
      const init = replies.find((m) => m.type === 'init');
      assert.ok(init?.type === 'init' && init.hasPassword, 'the form is told a password is stored');
      const posted = JSON.stringify(replies);
      assert.ok(!posted.includes(password), `the stored password was posted to the webview: ${posted}`);
      await close(editor);
    } finally {
      for (const k of api.configurations.openEditors().filter((k) => k.startsWith('new/') || k === `user/${name}`)) await close(k);
      await config().update('configurations', savedUser, vscode.ConfigurationTarget.Global);
    }
  });
});
