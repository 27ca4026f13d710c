import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  checkRegistryAuth,
  CONFIGURATIONS_LIST,
  redactSecrets,
  createDaemonClient,
  DAEMONS_LIST,
  deleteEntry,
  engineLabel,
  heldByInvalidMessage,
  keyConflict,
  parseDaemonDescription,
  putEntry,
  validateConfiguration,
  type DaemonDescription,
} from '../core';
import { editorChecks, editorEntryErrors } from '../backends/hostBackends';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { rawDaemons, SECTION as DAEMONS_SECTION } from '../daemons/daemonSources';
import { FromWebview, daemonKey, mergeFormIntoEntry, type DaemonRef, type ToWebview } from '../shared/configEditorProtocol';
import { rawConfigurations, targetOf, whereOf, writeConfigurations, type ConfigurationItem } from './configurationSources';
import type { ConfigurationCatalog } from './configurationCatalog';
import { registrySecretKey } from './registrySecrets';

/** One editor panel per configuration (re-focused when open); every message from it is validated. */
export class ConfigEditorPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; item: ConfigurationItem | undefined }>();
  private newCount = 0;
  /** What the host posts to a panel while a delivered message is handled (tests read the answer). */
  private readonly replies = new Map<vscode.WebviewPanel, ToWebview[]>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly daemons: DaemonsFeature,
    private readonly catalog: ConfigurationCatalog,
    /** The OS user's groups (the form shows which configurations they may use). */
    private readonly groups: () => Promise<string[]>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** For tests: the open panels by key ("user/name", "workspace/name", "new/N"). */
  openPanels(): string[] {
    return [...this.panels.keys()];
  }

  /** For tests: a panel's page and the folders its webview may load from. */
  webviewOf(key: string): { html: string; localResourceRoots: string[] } {
    const open = this.panels.get(key);
    if (!open) throw new Error(`no editor panel "${key}"`);
    const { html, options } = open.panel.webview;
    return { html, localResourceRoots: (options.localResourceRoots ?? []).map((u) => u.fsPath) };
  }

  /** For tests: hands a message to a panel's host side as if its webview had sent it; resolves to the host's replies. */
  async deliver(key: string, raw: unknown): Promise<ToWebview[]> {
    const open = this.panels.get(key);
    if (!open) throw new Error(`no editor panel "${key}"`);
    const replies: ToWebview[] = [];
    this.replies.set(open.panel, replies);
    try {
      await this.receive(open.panel, open.item, raw);
    } finally {
      this.replies.delete(open.panel);
    }
    return replies;
  }

  async open(item: ConfigurationItem | undefined): Promise<void> {
    const key = item ? `${item.scope}/${item.config.name}` : `new/${++this.newCount}`;
    const existing = this.panels.get(key);
    if (existing) return existing.panel.reveal();
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      'containerExec.configEditor',
      item ? `Configuration: ${item.config.name}` : 'New Configuration',
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: true, // the form keeps what was typed while the panel is hidden
        localResourceRoots: [dist, media],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(media, 'container-exec.svg');
    this.panels.set(key, { panel, item });
    panel.onDidDispose(() => this.panels.delete(key));
    panel.webview.html = this.html(panel.webview, dist, media);
    panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(panel, item, raw));
  }

  private html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'configEditor.css'));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${css}" nonce="${nonce}">
<title>Execution configuration</title></head>
<body><main id="app"><p>Loading…</p></main><script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  private post(panel: vscode.WebviewPanel, message: ToWebview): void {
    this.replies.get(panel)?.push(message);
    void panel.webview.postMessage(message);
  }

  private async describe(ref: DaemonRef): Promise<DaemonDescription> {
    if ('inline' in ref) return parseDaemonDescription({ ...ref.inline, tls: ref.inline.tls?.enabled ? ref.inline.tls : undefined });
    const spec = await this.daemons.spec(ref.id);
    if (!spec) throw new Error(`Daemon not found: "${ref.id}" is not configured or discovered`);
    return spec.daemon;
  }

  private async receive(panel: vscode.WebviewPanel, item: ConfigurationItem | undefined, raw: unknown): Promise<void> {
    const parsed = FromWebview.safeParse(raw);
    if (!parsed.success) {
      const text = `Rejected a malformed message from the configuration editor: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`;
      this.log.warn(text);
      return this.post(panel, { type: 'rejected', text });
    }
    const m = parsed.data;
    try {
      switch (m.type) {
        case 'ready':
          return await this.init(panel, item);
        case 'cancel':
          return panel.dispose();
        case 'pickPath': {
          const folder = m.field === 'certPath';
          const picked = await vscode.window.showOpenDialog({
            canSelectFolders: folder,
            canSelectFiles: !folder,
            title: folder ? 'Certificate folder (ca.pem, cert.pem, key.pem)' : `${m.field}.pem file`,
            openLabel: folder ? 'Use this folder' : 'Use this file',
          });
          if (picked?.[0]) this.post(panel, { type: 'pickedPath', field: m.field, path: picked[0].fsPath });
          return;
        }
        case 'testConnection':
        case 'daemonInfo':
        case 'testRegistry':
          return await this.withDaemon(panel, m);
        case 'save':
          return await this.save(panel, item, m);
      }
    } catch (e) {
      this.reportFailure(panel, m, e);
    }
  }

  /** Every action's failure goes back to the form in one shape (`failed`), without the secrets it carried, and to the log. */
  private reportFailure(panel: vscode.WebviewPanel, m: FromWebview, e: unknown): void {
    const secrets = [m.type === 'testRegistry' ? m.password : undefined, m.type === 'save' ? m.registryPassword : undefined];
    const text = redactSecrets(e instanceof Error ? e.message : String(e), secrets);
    this.log.error(`Configuration editor, ${m.type}: ${text}`);
    this.post(panel, { type: 'failed', action: m.type, text, ...('daemon' in m ? { key: daemonKey(m.daemon) } : {}) });
  }

  private async init(panel: vscode.WebviewPanel, item: ConfigurationItem | undefined): Promise<void> {
    const sources = await this.daemons.sources();
    const raw = item?.origin.raw;
    const taken = this.catalog
      .current()
      .items.map((i) => i.config.name)
      .filter((n) => n !== item?.config.name);
    const user = item?.config.registry?.username;
    const hasPassword = !!(
      item?.config.registry &&
      user &&
      (await this.context.secrets.get(registrySecretKey(item.config.registry.url, user)))
    );
    this.post(panel, {
      type: 'init',
      config: raw as Record<string, unknown> | undefined,
      originalName: item?.config.name,
      scope: item?.scope ?? (vscode.workspace.workspaceFolders?.length ? 'workspace' : 'user'),
      hasWorkspace: !!vscode.workspace.workspaceFolders?.length,
      daemons: sources.specs.map((s) => ({ id: s.daemon.id, label: s.daemon.label ?? s.daemon.id, host: s.daemon.host })),
      takenNames: taken,
      groups: await this.groups().catch(() => []),
      hasPassword,
    });
  }

  /** Test Connection, /info for the capacity checks and the runtime list, Test Registry Login. */
  private async withDaemon(
    panel: vscode.WebviewPanel,
    m: Extract<FromWebview, { type: 'testConnection' | 'daemonInfo' | 'testRegistry' }>,
  ): Promise<void> {
    // a daemon that cannot be described or reached is this action's failure (reportFailure)
    const description = await this.describe(m.daemon);
    const client = createDaemonClient(description);
    try {
      if (m.type === 'testConnection') {
        this.post(panel, { type: 'connectionResult', ok: true, text: `Connected: ${(await client.check()).summary}` });
      } else if (m.type === 'daemonInfo') {
        const [i, v] = await Promise.all([client.info(), client.engine()]);
        const engine = { name: v.engine, label: engineLabel(v) };
        this.post(panel, {
          type: 'daemonInfo',
          key: daemonKey(m.daemon),
          info: {
            name: i.name,
            cpus: i.cpus,
            memTotalBytes: i.memTotalBytes,
            runtimes: i.runtimes,
            defaultRuntime: i.defaultRuntime,
            engine,
          },
        });
      } else {
        // the daemon logs in, as it will when it pulls: POST /auth
        await checkRegistryAuth(
          client,
          { username: m.username, password: m.password, serveraddress: m.url },
          { timeoutMs: description.timeoutMs + 10000 },
        );
        this.post(panel, {
          type: 'registryResult',
          ok: true,
          text: `Logged in to ${m.url} as ${m.username} (through daemon ${description.id})`,
        });
      }
    } finally {
      client.dispose();
    }
  }

  /**
   * Merges the form into the stored entry (keys the form does not edit stay as stored), validates the
   * result again (the form may be bypassed), then writes it back where it was read from. A scope move
   * writes the new entry first and removes the old one only once that succeeded.
   */
  private async save(
    panel: vscode.WebviewPanel,
    item: ConfigurationItem | undefined,
    m: Extract<FromWebview, { type: 'save' }>,
  ): Promise<void> {
    const entry = mergeFormIntoEntry(item?.origin.raw, m.config);
    const r = validateConfiguration(entry);
    const errors = editorEntryErrors(entry, r.ok ? [] : r.errors);
    const name = typeof entry.name === 'string' ? entry.name : '';
    const sources = this.catalog.current();
    const taken = sources.items.filter((i) => i.config.name !== item?.config.name).map((i) => i.config.name);
    if (taken.includes(name)) errors.push({ field: 'name', message: `name: a configuration "${name}" exists already` });
    else if (name !== item?.config.name) {
      const held = sources.invalid.find((i) => i.name === name);
      if (held)
        errors.push({
          field: 'name',
          message: heldByInvalidMessage(CONFIGURATIONS_LIST, whereOf(held.scope), held.index, name, held.error),
        });
    }
    const daemonIds = new Set((await this.daemons.sources()).specs.map((s) => s.daemon.id));
    if (m.inlineDaemon) {
      try {
        await this.describe({ inline: m.inlineDaemon });
        const conflict = daemonIds.has(m.inlineDaemon.id)
          ? `daemon id "${m.inlineDaemon.id}" exists already: pick it, or choose another id`
          : keyConflict(rawDaemons(targetOf(m.scope)), DAEMONS_LIST, whereOf(m.scope), m.inlineDaemon.id);
        if (conflict) errors.push({ field: 'daemon.id', message: conflict });
      } catch (e) {
        errors.push({ field: 'daemon.host', message: (e as Error).message });
      }
    } else if (r.ok) errors.push(...editorChecks(r.config, daemonIds));
    if (m.registryPassword && !(r.ok && r.config.registry?.username))
      errors.push({ field: 'registry.username', message: 'registry.username is needed to store a password' });
    if (errors.length || !r.ok) return this.post(panel, { type: 'saveResult', ok: false, errors });

    const moving = item && item.scope !== m.scope;
    // every refusal (changed meanwhile, not an array, a taken name) before the first write
    const next = putEntry(rawConfigurations(m.scope), CONFIGURATIONS_LIST, whereOf(m.scope), entry, moving ? undefined : item?.origin);
    if (moving) deleteEntry(rawConfigurations(item.scope), CONFIGURATIONS_LIST, whereOf(item.scope), item.origin);
    if (m.inlineDaemon) {
      const tls = m.inlineDaemon.tls?.enabled ? m.inlineDaemon.tls : undefined;
      const daemons = putEntry(rawDaemons(targetOf(m.scope)), DAEMONS_LIST, whereOf(m.scope), { ...m.inlineDaemon, tls });
      await vscode.workspace.getConfiguration(DAEMONS_SECTION).update('daemons', daemons, targetOf(m.scope));
    }
    await writeConfigurations(m.scope, next);
    if (moving) {
      try {
        await writeConfigurations(
          item.scope,
          deleteEntry(rawConfigurations(item.scope), CONFIGURATIONS_LIST, whereOf(item.scope), item.origin),
        );
      } catch (e) {
        throw new Error(
          `Configuration "${name}" was saved in ${whereOf(m.scope)}, but removing it from ${whereOf(item.scope)} failed (${(e as Error).message}): it now exists in both scopes; delete the ${item.scope} one by hand.`,
          { cause: e },
        );
      }
    }
    if (m.registryPassword && r.config.registry?.username)
      await this.context.secrets.store(registrySecretKey(r.config.registry.url, r.config.registry.username), m.registryPassword);
    this.log.info(`Saved configuration ${name} in ${whereOf(m.scope)}`);
    this.post(panel, { type: 'saveResult', ok: true, errors: [] });
    panel.dispose();
  }

  dispose(): void {
    this.panels.forEach((p) => p.panel.dispose());
  }
}
