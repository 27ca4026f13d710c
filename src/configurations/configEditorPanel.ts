import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  redactSecrets,
  createDaemonClient,
  parseDaemonDescription,
  removeConfiguration,
  upsertConfiguration,
  upsertDaemonEntry,
  validateConfiguration,
  type DaemonDescription,
} from '../core';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { rawDaemons, SECTION as DAEMONS_SECTION } from '../daemons/daemonSources';
import { FromWebview, daemonKey, type DaemonRef, type ToWebview } from '../shared/configEditorProtocol';
import { rawConfigurations, targetOf, writeConfigurations, type ConfigurationItem } from './configurationSources';
import type { ConfigurationsFeature } from './configurationsFeature';
import { registrySecretKey } from './registrySecrets';


/** One editor panel per configuration (re-focused when open); every message from it is validated. */
export class ConfigEditorPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; item: ConfigurationItem | undefined }>();
  private newCount = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly daemons: DaemonsFeature,
    private readonly configurations: ConfigurationsFeature,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** For tests: the open panels by key ("user/name", "workspace/name", "new/N"). */
  openPanels(): string[] {
    return [...this.panels.keys()];
  }

  /** For tests: hands a message to a panel's host side as if its webview had sent it. */
  deliver(key: string, raw: unknown): Promise<void> {
    const open = this.panels.get(key);
    if (!open) throw new Error(`no editor panel "${key}"`);
    return this.receive(open.panel, open.item, raw);
  }

  async open(item: ConfigurationItem | undefined): Promise<void> {
    const key = item ? `${item.scope}/${item.config.name}` : `new/${++this.newCount}`;
    const existing = this.panels.get(key);
    if (existing) return existing.panel.reveal();
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('containerExec.configEditor', item ? `Configuration: ${item.config.name}` : 'New Configuration', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true, // the form keeps what was typed while the panel is hidden
      localResourceRoots: [dist, media],
    });
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
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet" nonce="${nonce}">
<link rel="stylesheet" href="${css}" nonce="${nonce}">
<title>Execution configuration</title></head>
<body><main id="app"><p>Loading…</p></main><script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  private post(panel: vscode.WebviewPanel, message: ToWebview): void {
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
          const picked = await vscode.window.showOpenDialog({ canSelectFolders: folder, canSelectFiles: !folder, title: folder ? 'Certificate folder (ca.pem, cert.pem, key.pem)' : `${m.field}.pem file`, openLabel: folder ? 'Use this folder' : 'Use this file' });
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
      this.log.error(`Configuration editor: ${(e as Error).message}`);
      if (m.type === 'save') this.post(panel, { type: 'saveResult', ok: false, errors: [{ field: '(configuration)', message: (e as Error).message }] });
    }
  }

  private async init(panel: vscode.WebviewPanel, item: ConfigurationItem | undefined): Promise<void> {
    const sources = await this.daemons.sources();
    const raw = item ? (rawConfigurations(item.scope) as unknown[] | undefined)?.find((e) => (e as { name?: unknown })?.name === item.config.name) : undefined;
    const taken = this.configurations.tree.current().items.map((i) => i.config.name).filter((n) => n !== item?.config.name);
    const user = item?.config.registry?.username;
    const hasPassword = !!(item?.config.registry && user && (await this.context.secrets.get(registrySecretKey(item.config.registry.url, user))));
    this.post(panel, {
      type: 'init',
      config: raw as Record<string, unknown> | undefined,
      originalName: item?.config.name,
      scope: item?.scope ?? (vscode.workspace.workspaceFolders?.length ? 'workspace' : 'user'),
      hasWorkspace: !!vscode.workspace.workspaceFolders?.length,
      daemons: sources.specs.map((s) => ({ id: s.daemon.id, label: s.daemon.label ?? s.daemon.id, host: s.daemon.host })),
      takenNames: taken,
      groups: await this.configurations.groups().catch(() => []),
      hasPassword,
    });
  }

  /** Test Connection, /info for the capacity checks and the runtime list, Test Registry Login. */
  private async withDaemon(panel: vscode.WebviewPanel, m: Extract<FromWebview, { type: 'testConnection' | 'daemonInfo' | 'testRegistry' }>): Promise<void> {
    let description: DaemonDescription;
    try {
      description = await this.describe(m.daemon);
    } catch (e) {
      const text = (e as Error).message;
      if (m.type === 'daemonInfo') return this.post(panel, { type: 'daemonInfo', key: daemonKey(m.daemon), error: text });
      return this.post(panel, { type: m.type === 'testConnection' ? 'connectionResult' : 'registryResult', ok: false, text });
    }
    const client = createDaemonClient(description);
    try {
      if (m.type === 'testConnection') {
        this.post(panel, { type: 'connectionResult', ok: true, text: `Connected: ${(await client.check()).summary}` });
      } else if (m.type === 'daemonInfo') {
        const i = await client.info();
        this.post(panel, { type: 'daemonInfo', key: daemonKey(m.daemon), info: { name: i.name, cpus: i.cpus, memTotalBytes: i.memTotalBytes, runtimes: i.runtimes, defaultRuntime: i.defaultRuntime } });
      } else {
        // the daemon logs in, as it will when it pulls: POST /auth
        await client.call('registry login', (d, abortSignal) => d.checkAuth({ username: m.username, password: m.password, serveraddress: m.url, abortSignal } as never), { timeoutMs: description.timeoutMs + 10000 });
        this.post(panel, { type: 'registryResult', ok: true, text: `Logged in to ${m.url} as ${m.username} (through daemon ${description.id})` });
      }
    } catch (e) {
      const text = redactSecrets((e as Error).message, [m.type === 'testRegistry' ? m.password : undefined]);
      if (m.type === 'daemonInfo') this.post(panel, { type: 'daemonInfo', key: daemonKey(m.daemon), error: text });
      else this.post(panel, { type: m.type === 'testConnection' ? 'connectionResult' : 'registryResult', ok: false, text });
    } finally {
      client.dispose();
    }
  }

  /** Validates again (the form may be bypassed), then writes each setting in one update. */
  private async save(panel: vscode.WebviewPanel, item: ConfigurationItem | undefined, m: Extract<FromWebview, { type: 'save' }>): Promise<void> {
    const errors: { field: string; message: string }[] = [];
    const r = validateConfiguration(m.config);
    if (!r.ok) errors.push(...r.errors);
    const name = typeof m.config.name === 'string' ? m.config.name : '';
    const taken = this.configurations.tree.current().items.filter((i) => i.config.name !== item?.config.name).map((i) => i.config.name);
    if (taken.includes(name)) errors.push({ field: 'name', message: `name: a configuration "${name}" exists already` });
    const daemonIds = new Set((await this.daemons.sources()).specs.map((s) => s.daemon.id));
    if (m.inlineDaemon) {
      try {
        await this.describe({ inline: m.inlineDaemon });
        if (daemonIds.has(m.inlineDaemon.id)) errors.push({ field: 'daemon.id', message: `daemon id "${m.inlineDaemon.id}" exists already: pick it, or choose another id` });
      } catch (e) {
        errors.push({ field: 'daemon.host', message: (e as Error).message });
      }
    } else if (r.ok && !daemonIds.has(r.config.daemon)) errors.push({ field: 'daemon', message: `daemon not found: "${r.config.daemon}"` });
    if (m.registryPassword && !(r.ok && r.config.registry?.username)) errors.push({ field: 'registry.username', message: 'registry.username is needed to store a password' });
    if (errors.length || !r.ok) return this.post(panel, { type: 'saveResult', ok: false, errors });

    if (m.inlineDaemon) {
      const tls = m.inlineDaemon.tls?.enabled ? m.inlineDaemon.tls : undefined;
      await vscode.workspace.getConfiguration(DAEMONS_SECTION).update('daemons', upsertDaemonEntry(rawDaemons(targetOf(m.scope)), { ...m.inlineDaemon, tls }), targetOf(m.scope));
    }
    if (item && item.scope !== m.scope) await writeConfigurations(item.scope, removeConfiguration(rawConfigurations(item.scope), item.config.name));
    await writeConfigurations(m.scope, upsertConfiguration(rawConfigurations(m.scope), m.config as { name: string }, item && item.scope === m.scope ? item.config.name : name));
    if (m.registryPassword && r.config.registry?.username) await this.context.secrets.store(registrySecretKey(r.config.registry.url, r.config.registry.username), m.registryPassword);
    this.log.info(`Saved configuration ${name} in ${m.scope} settings`);
    this.post(panel, { type: 'saveResult', ok: true, errors: [] });
    panel.dispose();
  }

  dispose(): void {
    this.panels.forEach((p) => p.panel.dispose());
  }
}
