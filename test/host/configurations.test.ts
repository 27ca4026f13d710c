import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { ConfigurationNode } from '../../src/configurations/configurationsTree';
import type { ContainerExecApi } from '../../src/extension';
import { testbedDaemonSettings } from '../support/testbed';
import { until } from '../support/until';
import { fromConfig, toConfig, type Form } from '../../webview/form';

describe('Execution configurations through the commands (real host, real settings)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const workspaceConfigs = () => config().inspect<unknown[]>('configurations')?.workspaceValue;
  const node = (name: string) =>
    until(`${name} in the tree`, 5000, () =>
      api.configurations.children().find((n) => n.kind === 'configuration' && n.item.config.name === name),
    );
  const newEditor = () => until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
    await config().update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Global);
  });

  it('New Configuration: the editor saves what the form sends, in one update of the chosen scope', async () => {
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await newEditor();
    await api.configurations.deliver(editor, {
      type: 'save',
      config: { name: 'cpu-small', daemon: 'tcp', resources: { memory: '512m', cpus: 1 } },
      scope: 'workspace',
    });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-small', daemon: 'tcp', resources: { memory: '512m', cpus: 1 } }]);
    assert.ok(!api.configurations.openEditors().includes(editor), 'a saved editor closes');
    const item = await api.configurations.item(await node('cpu-small'));
    // "○ image not built" joins once the tcp daemon is connected (the image is never built here)
    assert.match(String(item.description), /^tcp · default base image · mem 512m · 1 CPU( · ○ image not built)?$/);
  });

  it('the host rejects a save the form would refuse (bad memory, unknown daemon, duplicate name), each with its reason, and writes nothing (issue 29 finding 7)', async () => {
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await newEditor();
    const before = JSON.stringify(workspaceConfigs());
    const refusals: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 'x', daemon: 'tcp', resources: { memory: 'lots' } }, 'resources.memory', /"lots" is not a size/],
      [{ name: 'x', daemon: 'nowhere' }, 'daemon', /daemon not found: "nowhere"/],
      [{ name: 'cpu-small', daemon: 'tcp' }, 'name', /a configuration "cpu-small" exists already/],
    ];
    for (const [config, field, why] of refusals) {
      const replies = await api.configurations.deliver(editor, { type: 'save', config, scope: 'workspace' });
      const result = replies.find((m) => m.type === 'saveResult');
      assert.ok(result?.type === 'saveResult', `${JSON.stringify(config)}: the host answered ${JSON.stringify(replies)}`);
      assert.equal(result.ok, false, `${JSON.stringify(config)} was accepted`);
      assert.ok(
        result.errors.some((e) => e.field === field && why.test(e.message)),
        `${JSON.stringify(config)}: no ${field} error matching ${why}: ${JSON.stringify(result.errors)}`,
      );
    }
    const scope = await api.configurations.deliver(editor, { type: 'save', config: { name: 'x' }, scope: 'everywhere' });
    assert.ok(
      scope.some((m) => m.type === 'rejected' && /Rejected a malformed message from the configuration editor: scope/.test(m.text)),
      JSON.stringify(scope),
    );
    assert.equal(JSON.stringify(workspaceConfigs()), before);
    assert.ok(api.configurations.openEditors().includes(editor), 'a refused save leaves the editor open');
  });

  it('Edit re-focuses an open editor and saves the change (rename included) in place', async () => {
    const n = await node('cpu-small');
    await vscode.commands.executeCommand('containerExec.editConfiguration', n);
    await vscode.commands.executeCommand('containerExec.editConfiguration', n);
    assert.equal(api.configurations.openEditors().filter((k) => k === 'workspace/cpu-small').length, 1);
    await api.configurations.deliver('workspace/cpu-small', {
      type: 'save',
      config: { name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } },
      scope: 'workspace',
    });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } }]);
  });

  it('Duplicate copies it under a new name; Delete removes only that one', async () => {
    await vscode.commands.executeCommand('containerExec.duplicateConfiguration', await node('cpu-medium'), 'cpu-medium-2');
    assert.deepEqual(workspaceConfigs(), [
      { name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } },
      { name: 'cpu-medium-2', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } },
    ]);
    await vscode.commands.executeCommand('containerExec.deleteConfiguration', await node('cpu-medium-2'), { confirm: false });
    assert.deepEqual(workspaceConfigs(), [{ name: 'cpu-medium', daemon: 'tcp', resources: { memory: '1g', cpus: 1.5 } }]);
  });

  it('Set as Project Default / Global Default write defaultConfiguration to workspace / user settings; the tree marks them', async () => {
    await vscode.commands.executeCommand('containerExec.setProjectDefaultConfiguration', await node('cpu-medium'));
    await vscode.commands.executeCommand('containerExec.setGlobalDefaultConfiguration', await node('cpu-medium'));
    const d = config().inspect<string>('defaultConfiguration');
    assert.equal(d?.workspaceValue, 'cpu-medium');
    assert.equal(d?.globalValue, 'cpu-medium');
    await until(
      'marks',
      5000,
      async () =>
        /★ project default · ☆ global default/.test(String((await api.configurations.item(await node('cpu-medium'))).description)) ||
        undefined,
    );
    await config().update('defaultConfiguration', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows a configuration the user may not use as locked, a missing daemon as "daemon not found", an invalid entry with its error', async () => {
    await config().update(
      'configurations',
      [
        ...(workspaceConfigs() ?? []),
        { name: 'ml-only', allowedGroups: ['no-such-group-here'] },
        { name: 'orphan', daemon: 'deleted-daemon' },
        { name: 'bad', resources: { cpus: 'two' } },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    const locked = await api.configurations.item(await node('ml-only'));
    assert.match(String(locked.contextValue), /^configuration\.valid\.locked(\.rebuild)?$/);
    assert.match(
      (locked.tooltip as vscode.MarkdownString).value,
      /No usage permission on configuration ml-only \(allowed groups: no-such-group-here/,
    );
    const orphan = await api.configurations.item(await node('orphan'));
    assert.match((orphan.tooltip as vscode.MarkdownString).value, /daemon not found/);
    const invalid = await until('invalid node', 5000, () =>
      api.configurations.children().find((n): n is Extract<ConfigurationNode, { kind: 'invalid' }> => n.kind === 'invalid'),
    );
    assert.match(String((await api.configurations.item(invalid)).tooltip), /resources\.cpus must be a number of CPUs/);
    assert.deepEqual((workspaceConfigs() ?? [])[3], { name: 'bad', resources: { cpus: 'two' } }, 'the invalid entry is kept as written');
  });
});

describe('Settings edits keep every entry the user had (real host, real settings files)', function () {
  this.timeout(60000);
  let api: ContainerExecApi;
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const configs = (scope: 'user' | 'workspace') => {
    const i = config().inspect<unknown>('configurations');
    return scope === 'user' ? i?.globalValue : i?.workspaceValue;
  };
  const setConfigs = (scope: 'user' | 'workspace', value: unknown) =>
    config().update('configurations', value, scope === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace);
  /** The tree node of `name` once it shows `raw` (the tree re-reads settings on their change event). */
  const node = (name: string, raw: unknown) =>
    until(`${name} in the tree, as ${JSON.stringify(raw)}`, 5000, () =>
      api.configurations
        .children()
        .find(
          (n): n is Extract<ConfigurationNode, { kind: 'configuration' }> =>
            n.kind === 'configuration' && n.item.config.name === name && isDeepStrictEqual(n.item.origin.raw, raw),
        ),
    );
  /** Opens the editor on `name` and returns the form the webview would show, from the host's init message. */
  const openForm = async (name: string, raw: unknown) => {
    const n = await node(name, raw);
    await vscode.commands.executeCommand('containerExec.editConfiguration', n);
    const editor = `${n.item.scope}/${name}`;
    const init = (await api.configurations.deliver(editor, { type: 'ready' })).find((m) => m.type === 'init');
    assert.ok(init?.type === 'init', 'the host answers ready with init');
    return { editor, form: fromConfig(init.config, init.scope, init.daemons) };
  };
  /**
   * Delivers the save message the webview's Save button sends for `form`; resolves to the host's answer:
   * its saveResult, or (a save that could not be carried out, reported as every editor action's failure is)
   * its `failed` message as the form shows it, a general error.
   */
  const save = async (editor: string, form: Form) => {
    const replies = await api.configurations.deliver(editor, { type: 'save', config: toConfig(form).config, scope: form.scope });
    const failed = replies.find((m) => m.type === 'failed');
    if (failed?.type === 'failed' && failed.action === 'save')
      return { type: 'saveResult' as const, ok: false, errors: [{ field: '(configuration)', message: failed.text }] };
    const result = replies.find((m) => m.type === 'saveResult');
    assert.ok(result?.type === 'saveResult', 'the host answers save with saveResult');
    return result;
  };
  /**
   * Makes VS Code refuse writes to the workspace settings, for real: settings.json gets an unsaved,
   * unparsable change in its editor (as when a user is halfway through editing it by hand).
   */
  const withUnwritableWorkspaceSettings = async <T>(work: () => Promise<T>): Promise<T> => {
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, '.vscode', 'settings.json');
    const doc = await vscode.workspace.openTextDocument(file);
    const before = doc.getText();
    const broken = new vscode.WorkspaceEdit();
    broken.insert(file, doc.positionAt(before.length), '\n}');
    assert.ok(await vscode.workspace.applyEdit(broken));
    try {
      return await work();
    } finally {
      const restore = new vscode.WorkspaceEdit();
      restore.replace(file, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), before);
      await vscode.workspace.applyEdit(restore);
      await doc.save();
    }
  };

  before(async () => {
    api = await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
    await config().update('daemons', testbedDaemonSettings(), vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await setConfigs('user', undefined);
    await setConfigs('workspace', undefined);
  });

  it('a save through the editor keeps build, resources.ulimits and resources.advanced exactly, and changes what the form changed', async () => {
    const full = {
      name: 'full',
      description: 'every section',
      daemon: 'tcp',
      resources: {
        memory: '1g',
        cpus: 1,
        ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 64, hard: 128 } },
        advanced: { CpuPeriod: 100000, MemorySwappiness: 0, BlkioWeight: 300 },
      },
      build: {
        from: 'debian:12-slim',
        python: true,
        r: true,
        systemPackages: ['git', 'curl'],
        pipPackages: ['numpy==2.1.0'],
        cuda: { enabled: true, version: '12.4' },
        dockerfileAppend: 'RUN echo appended',
        tag: 'my/full:1',
      },
    };
    await setConfigs('workspace', [structuredClone(full)]);
    const { editor, form } = await openForm('full', full);
    form.memory = '2g';
    form.description = '';
    assert.deepEqual(await save(editor, form), { type: 'saveResult', ok: true, errors: [] });
    const saved = (configs('workspace') as Record<string, unknown>[])[0]!;
    assert.deepEqual(saved.build, full.build);
    assert.deepEqual((saved.resources as Record<string, unknown>).ulimits, full.resources.ulimits);
    assert.deepEqual((saved.resources as Record<string, unknown>).advanced, full.resources.advanced);
    assert.deepEqual(
      saved,
      { name: 'full', daemon: 'tcp', resources: { ...full.resources, memory: '2g' }, build: full.build },
      'the memory changed, the cleared description is gone, nothing else moved',
    );
  });

  it('the debugpy checkbox saves build.debugpy and keeps every other key of the entry as stored; unticked, it removes only that key', async () => {
    const stored = {
      name: 'dbg',
      daemon: 'tcp',
      resources: { memory: '1g', ulimits: { nofile: { soft: 1024, hard: 2048 } } },
      build: { systemPackages: ['git'], python: true, tag: 'my/dbg:1', cuda: { enabled: false } },
      env: { SEED: '1' },
    };
    await setConfigs('workspace', [structuredClone(stored)]);
    const first = await openForm('dbg', stored);
    assert.equal(first.form.debugpy, false);
    first.form.debugpy = true; // what ticking the checkbox sets
    assert.deepEqual(await save(first.editor, first.form), { type: 'saveResult', ok: true, errors: [] });
    const ticked = (configs('workspace') as Record<string, unknown>[])[0]!;
    assert.equal(JSON.stringify(ticked), JSON.stringify({ ...stored, build: { ...stored.build, debugpy: true } }));
    // the editor reads it back ticked; unticking removes build.debugpy alone
    const second = await openForm('dbg', ticked);
    assert.equal(second.form.debugpy, true);
    second.form.debugpy = false;
    assert.deepEqual(await save(second.editor, second.form), { type: 'saveResult', ok: true, errors: [] });
    assert.equal(JSON.stringify((configs('workspace') as unknown[])[0]), JSON.stringify(stored));
  });

  it('with duplicates and invalid entries of the same name, an edit and a delete touch only the entry they were read from', async () => {
    const list = [
      { name: 'gpu', resources: { memory: 'lots' } },
      { name: 'gpu', daemon: 'tcp', gpus: 'all' },
      { name: 'gpu', daemon: 'tcp', gpus: 2 },
      { name: 'bad', resources: { cpus: 'two' } },
    ];
    await setConfigs('workspace', structuredClone(list));
    const { editor, form } = await openForm('gpu', list[1]);
    form.memory = '1g';
    assert.equal((await save(editor, form)).ok, true);
    const edited = { ...list[1], resources: { memory: '1g' } };
    assert.deepEqual(
      configs('workspace'),
      [list[0], edited, list[2], list[3]],
      'the invalid gpu before it and the duplicate after it are kept as written',
    );

    await vscode.commands.executeCommand('containerExec.deleteConfiguration', await node('gpu', edited), { confirm: false });
    assert.deepEqual(configs('workspace'), [list[0], list[2], list[3]], 'only the valid gpu is deleted');
  });

  it('New Configuration with the name of an invalid entry is refused, naming that entry and why it is invalid', async () => {
    const before = structuredClone(configs('workspace'));
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    const result = await api.configurations.deliver(editor, { type: 'save', config: { name: 'bad', daemon: 'tcp' }, scope: 'user' });
    assert.deepEqual(
      result.map((m) => m.type),
      ['saveResult'],
    );
    const errors = (result[0] as { errors: { field: string; message: string }[] }).errors;
    assert.equal(errors[0]?.field, 'name');
    assert.match(
      errors[0]!.message,
      /^name "bad" is held by an invalid entry, containerExec\.configurations\[2\] in workspace settings \(resources\.cpus must be a number of CPUs.*\): fix or remove that entry in settings\.json first/,
    );
    assert.deepEqual(configs('workspace'), before);
    assert.equal(configs('user'), undefined);
    await api.configurations.deliver(editor, { type: 'cancel' });
  });

  it('a setting that is not an array is never replaced: the save says where to fix it', async () => {
    await setConfigs('user', { name: 'not-a-list', daemon: 'tcp' });
    await vscode.commands.executeCommand('containerExec.newConfiguration');
    const editor = await until('a new editor', 5000, () => api.configurations.openEditors().find((k) => k.startsWith('new/')));
    const result = await api.configurations.deliver(editor, { type: 'save', config: { name: 'fresh', daemon: 'tcp' }, scope: 'user' });
    // a save that cannot be carried out is reported as every editor action's failure is (`failed`)
    assert.deepEqual(result, [
      { type: 'failed', action: 'save', text: 'containerExec.configurations in user settings is not an array: fix it in settings.json' },
    ]);
    assert.deepEqual(configs('user'), { name: 'not-a-list', daemon: 'tcp' });
    await api.configurations.deliver(editor, { type: 'cancel' });
    await setConfigs('user', undefined);
  });

  it('a scope move writes the new entry first: when that write fails, the configuration stays where it was', async () => {
    const mover = {
      name: 'mover',
      daemon: 'tcp',
      resources: { memory: '1g', ulimits: { nofile: { soft: 10, hard: 20 } } },
      build: { r: true },
    };
    await setConfigs('user', [structuredClone(mover)]);
    const workspaceBefore = structuredClone(configs('workspace'));
    const { editor, form } = await openForm('mover', mover);
    form.scope = 'workspace';
    const refused = await withUnwritableWorkspaceSettings(() => save(editor, form));
    assert.equal(refused.ok, false);
    assert.match(refused.errors[0]!.message, /^Unable to write into workspace settings/, "the failure is VS Code's own");
    assert.deepEqual(configs('user'), [mover], 'still in user settings, as written');
    assert.deepEqual(configs('workspace'), workspaceBefore);

    // and once the workspace settings can be written, the same save moves it, whole
    assert.equal((await save(editor, form)).ok, true);
    assert.deepEqual(configs('user'), []);
    assert.deepEqual((configs('workspace') as unknown[]).at(-1), mover);
  });

  it('a scope move whose removal of the old entry fails says the configuration now exists in both scopes', async () => {
    const mover = {
      name: 'mover',
      daemon: 'tcp',
      resources: { memory: '1g', ulimits: { nofile: { soft: 10, hard: 20 } } },
      build: { r: true },
    };
    const { editor, form } = await openForm('mover', mover);
    form.scope = 'user';
    const result = await withUnwritableWorkspaceSettings(() => save(editor, form));
    assert.equal(result.ok, false);
    assert.match(
      result.errors[0]!.message,
      /^Configuration "mover" was saved in user settings, but removing it from workspace settings failed \(.+\): it now exists in both scopes; delete the workspace one by hand\.$/,
    );
    assert.deepEqual(configs('user'), [mover]);
    assert.deepEqual((configs('workspace') as unknown[]).at(-1), mover);
  });
});
