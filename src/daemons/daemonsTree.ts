import * as vscode from 'vscode';
import type {
  ContainerSummary,
  DaemonHub,
  DaemonUsageSampler,
  DaemonUsageTotals,
  DaemonInfo,
  DaemonVersion,
  DaemonSpec,
  DaemonState,
  DaemonStatus,
  ImageSummary,
  ListKind,
  VolumeSummary,
} from '../core';
import { engineLabel } from '../core';
import { daemonUsageDetail, daemonUsageText } from '../core';
import { DAEMONS_VIEW_PARTS, daemonsRowItem, daemonsRows, type DaemonsKindRow } from '../backends/hostBackends';
import { ignoredSettingItem, invalidSettingItem } from '../invalidSettingItem';
import { shadowText, type IgnoredEntry, type InvalidDaemonEntry } from './daemonSources';

export type DaemonTreeNode =
  | { kind: 'daemon'; id: string }
  | { kind: 'group'; id: string; list: GroupKind }
  | { kind: 'info-row'; id: string; label: string; value: string; icon?: string }
  | { kind: 'container'; id: string; container: ContainerSummary }
  | { kind: 'image'; id: string; image: ImageSummary }
  | { kind: 'volume'; id: string; volume: VolumeSummary }
  /** A back-end kind's row (a swarm's nodes and runs): drawn by its `part`. */
  | DaemonsKindRow
  | { kind: 'error'; id: string; message: string; retry: boolean }
  | { kind: 'invalid'; entry: InvalidDaemonEntry }
  | { kind: 'ignored'; entry: IgnoredEntry };

const STATE: Record<DaemonState, { icon: string; color?: string; text: string }> = {
  idle: { icon: 'vm-outline', text: 'not checked' },
  connecting: { icon: 'loading~spin', text: 'connecting…' },
  connected: { icon: 'vm-active', color: 'testing.iconPassed', text: 'connected' },
  unreachable: { icon: 'vm-outline', color: 'errorForeground', text: 'unreachable' },
  'tls-error': { icon: 'workspace-untrusted', color: 'errorForeground', text: 'TLS error' },
  'permission-denied': { icon: 'circle-slash', color: 'errorForeground', text: 'permission denied' },
  invalid: { icon: 'warning', color: 'list.warningForeground', text: 'invalid settings' },
};
type GroupKind = Exclude<ListKind, 'version'>;
const GROUPS: readonly (readonly [GroupKind, string, string])[] = [
  ['info', 'Info', 'info'],
  ['images', 'Images', 'file-media'],
  ['containers', 'Containers', 'package'],
  ['volumes', 'Volumes', 'database'],
  // then the back-end kinds' groups (a swarm manager's nodes), each where its kind shows it
  ...DAEMONS_VIEW_PARTS.map((p) => p.group),
];
const KIND_GROUPS = new Map(DAEMONS_VIEW_PARTS.map((p) => [p.group[0], p]));

const FAILED_STATES = new Set(['unreachable', 'tls-error', 'permission-denied', 'invalid']);

/**
 * The Daemons view: every daemon at once, each with its own state; children load lazily through the
 * hub (one daemon's failure or slowness never holds the others). Node objects are stable, so a change
 * refreshes just the node it concerns.
 */
export class DaemonsTreeProvider implements vscode.TreeDataProvider<DaemonTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DaemonTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly daemonNodes = new Map<string, DaemonTreeNode & { kind: 'daemon' }>();
  private readonly groupNodes = new Map<string, DaemonTreeNode & { kind: 'group' }>();
  private invalid: InvalidDaemonEntry[] = [];
  private ignored: IgnoredEntry[] = [];
  private defaultDaemon = 'local';
  private pending = new Set<DaemonTreeNode | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: { dispose(): void };
  private readonly usageSubscription: { dispose(): void } | undefined;

  constructor(
    private readonly hub: DaemonHub,
    /** Settings and discovery read (lazily, on the first look at the view). */
    private readonly ready: () => Promise<unknown>,
    /** This extension's version: images built by another one are stale. */
    private readonly extensionVersion: string,
    /** Containers' CPU and memory per daemon (while the view is visible): the daemon's row says them. */
    private readonly usage?: Pick<DaemonUsageSampler, 'get' | 'onDidChange'>,
  ) {
    this.subscription = hub.onDidChange((c) => {
      if (c.what === 'version') return;
      this.schedule(c.what === 'state' ? this.daemonNode(c.id) : this.groupNode(c.id, c.what));
      if (c.what === 'state' && this.noneAnswers !== this.nothingAnswers()) this.schedule(undefined);
    });
    this.usageSubscription = usage?.onDidChange((id) => this.schedule(this.daemonNode(id)));
  }

  /** Shown as the view's welcome (what to install, DOCKER_HOST, Add Daemon): the root is then empty. */
  private noneAnswers = false;
  /**
   * Nothing the user set up answers: every daemon is discovered (DOCKER_HOST or the default socket, a Docker
   * context) and has failed. A daemon from the settings keeps its row and its own error.
   */
  private nothingAnswers(): boolean {
    const ids = this.hub.ids();
    return (
      ids.length > 0 &&
      !this.invalid.length &&
      !this.ignored.length &&
      ids.every((id) => {
        const source = this.hub.spec(id)?.source;
        return source !== 'user' && source !== 'workspace' && FAILED_STATES.has(this.hub.status(id).state);
      })
    );
  }

  /** New daemon list (settings or discovery changed). */
  reset(invalid: InvalidDaemonEntry[], defaultDaemon: string, ignored: IgnoredEntry[] = []): void {
    this.invalid = invalid;
    this.ignored = ignored;
    this.defaultDaemon = defaultDaemon;
    this.schedule(undefined);
  }

  /** Debounced: a burst of events (docker compose up, image pulls) refreshes each node once. */
  private schedule(node: DaemonTreeNode | undefined): void {
    this.pending.add(node);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const nodes = this.pending.has(undefined) ? [undefined] : [...this.pending];
      this.pending.clear();
      nodes.forEach((n) => this.changed.fire(n));
    }, 150);
  }

  daemonNode(id: string) {
    let n = this.daemonNodes.get(id);
    if (!n) this.daemonNodes.set(id, (n = { kind: 'daemon', id }));
    return n;
  }

  groupNode(id: string, list: GroupKind) {
    const key = `${id}\0${list}`;
    let n = this.groupNodes.get(key);
    if (!n) this.groupNodes.set(key, (n = { kind: 'group', id, list }));
    return n;
  }

  async getChildren(node?: DaemonTreeNode): Promise<DaemonTreeNode[]> {
    if (!node) await this.ready();
    if (!node && this.noneAnswers !== this.nothingAnswers()) {
      this.noneAnswers = !this.noneAnswers;
      void vscode.commands.executeCommand('setContext', 'containerExec.noDaemonAnswers', this.noneAnswers);
    }
    if (!node && this.noneAnswers) return [];
    if (!node)
      return [
        ...this.hub.ids().map((id) => this.daemonNode(id)),
        ...this.invalid.map((entry) => ({ kind: 'invalid' as const, entry })),
        ...this.ignored.map((entry) => ({ kind: 'ignored' as const, entry })),
      ];
    if (node.kind === 'daemon') {
      const status = this.hub.status(node.id).state === 'idle' ? await this.hub.connect(node.id) : this.hub.status(node.id);
      if (status.state === 'connected') {
        const shown = await Promise.all(GROUPS.map(([list]) => KIND_GROUPS.get(list)?.shows(this.hub, node.id) ?? true));
        return GROUPS.filter((_g, i) => shown[i]).map(([list]) => this.groupNode(node.id, list));
      }
      if (status.state === 'connecting') return [];
      return [{ kind: 'error', id: node.id, message: status.error?.message ?? 'not connected', retry: true }];
    }
    if (node.kind !== 'group') return [];
    try {
      const kindGroup = KIND_GROUPS.get(node.list);
      if (kindGroup) return await daemonsRows(kindGroup, this.hub, node.id);
      switch (node.list) {
        case 'info': {
          const [info, version] = await Promise.all([this.hub.list(node.id, 'info'), this.hub.list(node.id, 'version')]);
          return infoRows(node.id, info, version);
        }
        case 'images':
          return (await this.hub.list(node.id, 'images')).map((image) => ({ kind: 'image' as const, id: node.id, image }));
        case 'containers':
          return (await this.hub.list(node.id, 'containers')).map((container) => ({ kind: 'container' as const, id: node.id, container }));
        case 'volumes':
          return (await this.hub.list(node.id, 'volumes')).map((volume) => ({ kind: 'volume' as const, id: node.id, volume }));
        default:
          return [];
      }
    } catch (e) {
      return [{ kind: 'error', id: node.id, message: (e as Error).message, retry: true }];
    }
  }

  getTreeItem(node: DaemonTreeNode): vscode.TreeItem {
    if ('part' in node) return daemonsRowItem(node);
    switch (node.kind) {
      case 'daemon': {
        const status = this.hub.status(node.id);
        const usage = status.state === 'connected' ? this.usage?.get(node.id) : undefined;
        return daemonItem(node.id, this.hub.spec(node.id)!, status, node.id === this.defaultDaemon, usage);
      }
      case 'group': {
        const g = GROUPS.find(([l]) => l === node.list)!;
        const item = new vscode.TreeItem(g[1], vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon(g[2]);
        item.id = `${node.id}/${node.list}`;
        item.contextValue = `group.${node.list}`;
        return item;
      }
      case 'info-row': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.value;
        item.tooltip = `${node.label}: ${node.value}`;
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'container':
        return containerItem(node.container);
      case 'image':
        return imageItem(node.image, this.extensionVersion);
      case 'volume': {
        const item = new vscode.TreeItem(node.volume.name);
        item.description = node.volume.driver;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'volume';
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(node.message);
        item.tooltip = new vscode.MarkdownString(`$(error) ${node.message}`, true);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'daemonError';
        return item;
      }
      case 'invalid': {
        const e = node.entry;
        const item = invalidSettingItem(
          e.id ?? `daemon #${e.index + 1}`,
          e.scope,
          'containerExec.daemons',
          e.index,
          e.error,
          'invalidDaemon',
        );
        item.command = { command: 'containerExec.openDaemonSettings', title: 'Open Settings', arguments: [node] };
        return item;
      }
      case 'ignored':
        return ignoredSettingItem(
          node.entry.id ?? `daemon #${node.entry.index + 1}`,
          'containerExec.daemons',
          node.entry.index,
          node.entry.reason,
          'ignoredDaemon',
        );
    }
  }

  /** On hover: the engine version, asked only now (/version is not free for the daemon). */
  async resolveTreeItem(item: vscode.TreeItem, node: DaemonTreeNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'daemon' || this.hub.status(node.id).state !== 'connected' || !(item.tooltip instanceof vscode.MarkdownString))
      return item;
    try {
      const v = await this.hub.list(node.id, 'version');
      item.tooltip.appendMarkdown(`\n\n${engineLabel(v)} (API ${v.apiVersion}), ${v.os}/${v.arch}`);
    } catch {
      // the state line already says what is wrong
    }
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.usageSubscription?.dispose();
    this.changed.dispose();
  }
}

function daemonItem(
  id: string,
  spec: DaemonSpec,
  status: DaemonStatus,
  isDefault: boolean,
  usage: DaemonUsageTotals | undefined,
): vscode.TreeItem {
  const label = spec.daemon.label ?? id;
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `daemon/${id}`;
  const s = STATE[status.state];
  item.iconPath = new vscode.ThemeIcon(s.icon, s.color ? new vscode.ThemeColor(s.color) : undefined);
  const tags = [
    isDefault ? 'default' : '',
    spec.current ? 'current context' : '',
    spec.source === 'context' || spec.source === 'environment' ? 'discovered' : '',
    spec.shadows
      ? `shadows ${spec.shadows === 'user' ? 'a user daemon' : spec.shadows === 'context' ? 'a Docker context' : 'the environment daemon'}`
      : '',
  ].filter(Boolean);
  const used = usage ? daemonUsageText(usage) : '';
  item.description = [spec.daemon.host, status.state === 'connected' ? '' : s.text, used, ...tags].filter(Boolean).join(' · ');
  const md = new vscode.MarkdownString(`**${label}** \`${spec.daemon.host}\`\n\n`, true);
  md.appendMarkdown(`State: ${s.text}`);
  if (status.roundTripMs !== undefined && status.state === 'connected')
    md.appendMarkdown(`, round trip ${status.roundTripMs.toFixed(1)} ms`);
  if (status.error) md.appendMarkdown(`\n\n$(error) ${status.error.message}`);
  if (usage) md.appendText(`\n\n${daemonUsageDetail(usage)}`);
  md.appendMarkdown(
    `\n\nFrom: ${spec.source === 'user' ? 'user settings' : spec.source === 'workspace' ? 'workspace settings' : spec.source === 'context' ? 'Docker context (read-only until imported)' : 'environment / platform default (read-only until imported)'}`,
  );
  const shadows = shadowText(spec);
  if (shadows)
    md.appendMarkdown(
      `\n\n$(warning) This workspace entry ${shadows}: runs, builds and pools that name "${id}" use this one, and a stored registry password goes to it only once you agree.`,
    );
  item.tooltip = md;
  const editable = spec.source === 'user' || spec.source === 'workspace';
  item.contextValue = `daemon.${editable ? 'configured' : 'discovered'}.${status.state}${isDefault ? '.default' : ''}`;
  return item;
}

function infoRows(id: string, info: DaemonInfo, version: DaemonVersion): DaemonTreeNode[] {
  const gpuCapable = (r: string) => /nvidia|gpu/i.test(r);
  const rows: [string, string, string?][] = [
    [
      'Engine',
      `${engineLabel(version)}, API ${version.apiVersion}${version.minApiVersion ? ` (min ${version.minApiVersion})` : ''}`,
      'versions',
    ],
    ['OS', `${info.operatingSystem} (${info.osType}/${info.architecture})`, 'server'],
    ['CPUs', String(info.cpus), 'chip'],
    ['Memory', formatBytes(info.memTotalBytes), 'circuit-board'],
    ['Storage driver', info.storageDriver, 'database'],
    [
      'Runtimes',
      info.runtimes.map((r) => `${r}${r === info.defaultRuntime ? ' (default)' : ''}${gpuCapable(r) ? ' [GPU]' : ''}`).join(', '),
      'run-all',
    ],
    ['Containers / images', `${info.containers} / ${info.images}`, 'package'],
  ];
  return rows.map(([label, value, icon]) => ({ kind: 'info-row' as const, id, label, value, icon }));
}

function containerItem(c: ContainerSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(c.name);
  const running = c.state === 'running';
  item.iconPath = new vscode.ThemeIcon(
    running ? 'debug-start' : c.state === 'paused' ? 'debug-pause' : 'debug-stop',
    new vscode.ThemeColor(running ? 'testing.iconPassed' : 'disabledForeground'),
  );
  item.description = [c.configuration ? `⚙ ${c.configuration}` : '', c.recipe ?? '', c.image, c.status].filter(Boolean).join(' · ');
  item.tooltip = `${c.name} (${c.id.slice(0, 12)})\nImage: ${c.image}\nStatus: ${c.status}${c.configuration ? `\nStarted by Container Exec: configuration ${c.configuration}${c.recipe ? `, recipe ${c.recipe}` : ''}` : ''}`;
  item.contextValue = `container.${running ? 'running' : 'stopped'}`;
  return item;
}

function imageItem(i: ImageSummary, extensionVersion: string): vscode.TreeItem {
  const item = new vscode.TreeItem(i.tags[0] ?? `<none> ${i.id.replace('sha256:', '').slice(0, 12)}`);
  item.iconPath = new vscode.ThemeIcon(i.builtBy ? 'star-full' : 'file-media');
  const more = i.tags.length > 1 ? `+${i.tags.length - 1} tag${i.tags.length > 2 ? 's' : ''}` : '';
  const stale =
    i.builtBy && i.builtBy.version !== extensionVersion ? `⚠ stale (built by ${i.builtBy.version ?? 'an unknown version'})` : '';
  item.description = [i.builtBy ? `Container Exec ${i.builtBy.kind}` : '', stale, more, formatBytes(i.sizeBytes), age(i.createdAt)]
    .filter(Boolean)
    .join(' · ');
  item.tooltip = `${[...i.tags].join('\n') || '<untagged>'}\n${i.id}\n${formatBytes(i.sizeBytes)}, created ${i.createdAt.toISOString()}`;
  item.contextValue = stale ? 'image.stale' : 'image';
  return item;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; n >= 1000 && i < units.length - 1; i++) n /= 1000;
  return `${n < 10 && i ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

function age(d: Date): string {
  const s = (Date.now() - d.getTime()) / 1000;
  for (const [unit, secs] of [
    ['year', 31536000],
    ['month', 2592000],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ] as const)
    if (s >= secs) return `${Math.floor(s / secs)} ${unit}${Math.floor(s / secs) > 1 ? 's' : ''} ago`;
  return 'just now';
}
