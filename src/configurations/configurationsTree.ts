import * as vscode from 'vscode';
import { limitsSummary, usageDenied, type ImageFreshness } from '../core';
import { ignoredSettingItem, invalidSettingItem } from '../invalidSettingItem';
import type { ConfigurationCatalog } from './configurationCatalog';
import type { ConfigurationItem, IgnoredConfiguration, InvalidConfiguration } from './configurationSources';

export type ConfigurationNode =
  | { kind: 'configuration'; item: ConfigurationItem }
  | { kind: 'invalid'; entry: InvalidConfiguration }
  | { kind: 'ignored'; entry: IgnoredConfiguration };

/**
 * The Execution Configurations view: each configuration with its daemon, image, a one-line limits
 * summary, runtime/GPU badge and default marks; locked when the user's groups may not use it; the
 * daemon flagged when it does not exist; invalid entries shown with their error. A view of the catalog:
 * it refreshes when the catalog changes, or when what it marks (images, daemons) does.
 */
export class ConfigurationsTreeProvider implements vscode.TreeDataProvider<ConfigurationNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watch: vscode.Disposable;

  constructor(
    private readonly catalog: ConfigurationCatalog,
    private readonly groups: () => Promise<string[]>,
    private readonly daemonIds: () => Promise<Set<string>>,
    /** Whether the configuration's base image is built and current (undefined: cannot tell now). */
    private readonly freshness: (c: ConfigurationItem['config']) => Promise<ImageFreshness | undefined>,
  ) {
    this.watch = catalog.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: ConfigurationNode): ConfigurationNode[] {
    if (node) return [];
    const s = this.catalog.current();
    return [
      ...s.items.map((item) => ({ kind: 'configuration' as const, item })),
      ...s.invalid.map((entry) => ({ kind: 'invalid' as const, entry })),
      ...s.ignored.map((entry) => ({ kind: 'ignored' as const, entry })),
    ];
  }

  async getTreeItem(node: ConfigurationNode): Promise<vscode.TreeItem> {
    if (node.kind === 'invalid') {
      const e = node.entry;
      return invalidSettingItem(
        e.name ?? `configuration #${e.index + 1}`,
        e.scope,
        'containerExec.configurations',
        e.index,
        e.error,
        'configuration.invalid',
      );
    }
    if (node.kind === 'ignored')
      return ignoredSettingItem(
        node.entry.name ?? `configuration #${node.entry.index + 1}`,
        'containerExec.configurations',
        node.entry.index,
        node.entry.reason,
        'configuration.ignored',
      );
    const { config: c, scope } = node.item;
    const s = this.catalog.current();
    const [groups, daemons, fresh] = await Promise.all([
      this.groups().catch(() => []),
      this.daemonIds(),
      this.freshness(c).catch(() => undefined),
    ]);
    const denied = usageDenied(c, groups);
    const missingDaemon = !daemons.has(c.daemon);
    const marks = [c.name === s.projectDefault ? '★ project default' : '', c.name === s.globalDefault ? '☆ global default' : ''].filter(
      Boolean,
    );
    const gpu = c.gpus !== 'none' ? `GPU ${c.gpus === 'all' ? 'all' : Array.isArray(c.gpus) ? c.gpus.join(',') : `×${c.gpus}`}` : '';
    const item = new vscode.TreeItem(c.name);
    item.id = `configuration/${scope}/${c.name}`;
    const imageMark = fresh?.state === 'stale' ? '⚠ stale image' : fresh?.state === 'missing' ? '○ image not built' : '';
    item.description = [c.daemon, c.baseImage || 'default base image', limitsSummary(c), c.runtime ?? '', gpu, imageMark, ...marks]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = denied
      ? new vscode.ThemeIcon('lock')
      : missingDaemon
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : new vscode.ThemeIcon(c.gpus !== 'none' || c.runtime ? 'circuit-board' : 'server-process');
    const md = new vscode.MarkdownString(`**${c.name}** (${scope} settings)${c.description ? `\n\n${c.description}` : ''}\n\n`, true);
    md.appendMarkdown(`Daemon: \`${c.daemon}\`${missingDaemon ? ` — $(error) daemon not found: add it or pick another one` : ''}\n\n`);
    md.appendMarkdown(
      `Image: \`${c.baseImage || 'the default base image'}\`${c.registry ? ` via ${c.registry.url}` : ''}\n\nLimits: ${limitsSummary(c)}`,
    );
    if (c.runtime || gpu) md.appendMarkdown(`\n\nRuntime: ${c.runtime ?? 'default'}${gpu ? `, ${gpu}` : ''}`);
    if (c.allowedGroups.length) md.appendMarkdown(`\n\nAllowed groups: ${c.allowedGroups.join(', ')}`);
    if (denied) md.appendMarkdown(`\n\n$(lock) ${denied}`);
    if (fresh?.state === 'stale') md.appendMarkdown(`\n\n$(warning) The base image is stale: ${fresh.why}. Rebuild it.`);
    if (fresh?.state === 'missing') md.appendMarkdown(`\n\n$(circle-outline) The base image is not built yet on its daemon.`);
    item.tooltip = md;
    item.contextValue = `configuration.valid${denied ? '.locked' : ''}${fresh && fresh.state !== 'current' ? '.rebuild' : ''}`;
    item.command = { command: 'containerExec.editConfiguration', title: 'Edit', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.watch.dispose();
    this.changed.dispose();
  }
}
