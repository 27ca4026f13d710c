import * as vscode from 'vscode';
import { limitsSummary, rightSizingHint, usageDenied, type Configuration, type ImageFreshness, type SizedRun } from '../core';
import { ignoredSettingItem, invalidSettingItem } from '../invalidSettingItem';
import { budgetKey, type InvalidBudget } from './budgetSettings';
import type { ConfigurationCatalog } from './configurationCatalog';
import type { ConfigurationItem, IgnoredConfiguration, InvalidConfiguration } from './configurationSources';
import type { PoolLoads } from './poolLoads';
import {
  configurationRows,
  configurationsRowItem,
  configurationTarget,
  hasConfigurationRows,
  loadDaemons,
  type ConfigurationsKindRow,
} from '../backends/hostBackends';

export type ConfigurationNode =
  | { kind: 'configuration'; item: ConfigurationItem }
  | { kind: 'invalid'; entry: InvalidConfiguration }
  | { kind: 'ignored'; entry: IgnoredConfiguration }
  /** containerExec.budgets["<name>"] that failed validation: that pool's runs are refused until it is fixed. */
  | { kind: 'invalidBudget'; entry: InvalidBudget }
  /** A back-end kind's row under a configuration of that kind (a pool's daemons with their loads): drawn by its `part`. */
  | ConfigurationsKindRow;

/**
 * The Execution Configurations view: each configuration with its daemon, image, a one-line limits
 * summary, runtime/GPU badge and default marks; locked when the user's groups may not use it; the
 * daemon flagged when it does not exist; invalid entries shown with their error; under a pool
 * configuration, each of its daemons with its load. A view of the catalog (and of the pool loads): it
 * refreshes when the catalog changes, or when what it marks (images, daemons, loads) does.
 */
export class ConfigurationsTreeProvider implements vscode.TreeDataProvider<ConfigurationNode>, vscode.Disposable {
  /** Finished runs, newest first (the run history, once the runs concern is there): right-sizing hints read them. */
  runs: () => readonly SizedRun[] = () => [];
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watch: vscode.Disposable;
  private readonly watchLoads: { dispose(): void };

  constructor(
    private readonly catalog: ConfigurationCatalog,
    private readonly groups: () => Promise<string[]>,
    private readonly daemonIds: () => Promise<Set<string>>,
    /** Whether the configuration's base image is built and current (undefined: cannot tell now). */
    private readonly freshness: (c: ConfigurationItem['config']) => Promise<ImageFreshness | undefined>,
    private readonly loads: PoolLoads,
  ) {
    this.watch = catalog.onDidChange(() => this.refresh());
    this.watchLoads = loads.onDidChange((id) => {
      if (loadDaemons(this.catalog.current().items.map((i) => i.config)).has(id)) this.refresh();
    });
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: ConfigurationNode): ConfigurationNode[] {
    if (node?.kind === 'configuration') return configurationRows(node.item);
    if (node) return [];
    const s = this.catalog.current();
    return [
      ...s.items.map((item) => ({ kind: 'configuration' as const, item })),
      ...s.invalid.map((entry) => ({ kind: 'invalid' as const, entry })),
      ...s.ignored.map((entry) => ({ kind: 'ignored' as const, entry })),
      ...s.budgets.invalid.map((entry) => ({ kind: 'invalidBudget' as const, entry })),
    ];
  }

  async getTreeItem(node: ConfigurationNode): Promise<vscode.TreeItem> {
    if ('part' in node) return configurationsRowItem(node, this.loads);
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
    if (node.kind === 'invalidBudget') return invalidBudgetItem(node.entry);
    if (node.kind === 'ignored')
      return ignoredSettingItem(
        node.entry.name ?? `configuration #${node.entry.index + 1}`,
        'containerExec.configurations',
        node.entry.index,
        node.entry.reason,
        'configuration.ignored',
      );
    return this.configurationItem(node);
  }

  /** What the last runs of `c` used against what it grants (the configuration's and its runs' tooltips both say it). */
  sizingHint(c: Configuration | string): string | undefined {
    const all = this.catalog.current().items.map((i) => i.config);
    const config = typeof c === 'string' ? all.find((o) => o.name === c) : c;
    return config && rightSizingHint(config, this.runs(), all);
  }

  /** A valid configuration: its target, image, limits, GPU, default and freshness marks; locked or flagged. */
  private async configurationItem(node: Extract<ConfigurationNode, { kind: 'configuration' }>): Promise<vscode.TreeItem> {
    const { config: c, scope } = node.item;
    const s = this.catalog.current();
    const [groups, daemons, fresh] = await Promise.all([
      this.groups().catch(() => []),
      this.daemonIds(),
      this.freshness(c).catch(() => undefined),
    ]);
    const denied = usageDenied(c, groups);
    const target = configurationTarget(c);
    const missing = target.daemons.filter((d) => !daemons.has(d));
    const missingDaemon = missing.length > 0;
    const marks = [c.name === s.projectDefault ? '★ project default' : '', c.name === s.globalDefault ? '☆ global default' : ''].filter(
      Boolean,
    );
    const gpu = c.gpus !== 'none' ? `GPU ${c.gpus === 'all' ? 'all' : Array.isArray(c.gpus) ? c.gpus.join(',') : `×${c.gpus}`}` : '';
    const item = new vscode.TreeItem(c.name);
    item.id = `configuration/${scope}/${c.name}`;
    const imageMark = fresh?.state === 'stale' ? '⚠ stale image' : fresh?.state === 'missing' ? '○ image not built' : '';
    item.description = [target.short, c.baseImage || 'default base image', limitsSummary(c), c.runtime ?? '', gpu, imageMark, ...marks]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = denied
      ? new vscode.ThemeIcon('lock')
      : missingDaemon
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        : new vscode.ThemeIcon(c.gpus !== 'none' || c.runtime ? 'circuit-board' : 'server-process');
    const sizing = this.sizingHint(c);
    item.tooltip = configurationTooltip(node.item, { target: target.long, missing, gpu, denied, fresh, sizing });
    item.contextValue = `configuration.valid${denied ? '.locked' : ''}${fresh && fresh.state !== 'current' ? '.rebuild' : ''}`;
    item.command = { command: 'containerExec.editConfiguration', title: 'Edit', arguments: [node] };
    if (hasConfigurationRows(c)) item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
    return item;
  }

  dispose(): void {
    this.watch.dispose();
    this.watchLoads.dispose();
    this.changed.dispose();
  }
}

/** An invalid containerExec.budgets entry: its key, scope and reason, and what it stops. */
/** A configuration's tooltip: its target (missing daemons flagged), image, limits, runtime, groups, lock and image freshness. */
function configurationTooltip(
  { config: c, scope }: ConfigurationItem,
  {
    target,
    missing,
    gpu,
    denied,
    fresh,
    sizing,
  }: { target: string; missing: string[]; gpu: string; denied?: string; fresh?: ImageFreshness; sizing?: string },
): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`**${c.name}** (${scope} settings)${c.description ? `\n\n${c.description}` : ''}\n\n`, true);
  md.appendMarkdown(
    `${target}${missing.length ? ` — $(error) daemon not found: ${missing.join(', ')}: add it or pick another one` : ''}\n\n`,
  );
  md.appendMarkdown(
    `Image: \`${c.baseImage || 'the default base image'}\`${c.registry ? ` via ${c.registry.url}` : ''}\n\nLimits: ${limitsSummary(c)}`,
  );
  if (c.runtime || gpu) md.appendMarkdown(`\n\nRuntime: ${c.runtime ?? 'default'}${gpu ? `, ${gpu}` : ''}`);
  if (c.allowedGroups.length) md.appendMarkdown(`\n\nAllowed groups: ${c.allowedGroups.join(', ')}`);
  if (denied) md.appendMarkdown(`\n\n$(lock) ${denied}`);
  if (sizing) md.appendText(`\n\nUsed: ${sizing}`);
  if (fresh?.state === 'stale') md.appendMarkdown(`\n\n$(warning) The base image is stale: ${fresh.why}. Rebuild it.`);
  if (fresh?.state === 'missing') md.appendMarkdown(`\n\n$(circle-outline) The base image is not built yet on its daemon.`);
  return md;
}

function invalidBudgetItem(e: InvalidBudget): vscode.TreeItem {
  const stops = `Runs of ${e.name === undefined ? 'every pool' : `pool ${e.name}`} are refused until it is fixed.`;
  const item = invalidSettingItem(
    e.name === undefined ? 'budgets' : `budget of ${e.name}`,
    e.scope,
    'containerExec.budgets',
    e.name ?? '',
    `${e.error}. ${stops}`,
    'budget.invalid',
  );
  item.tooltip = `${budgetKey(e)} (${e.scope} settings): ${e.error}. ${stops}`;
  return item;
}
