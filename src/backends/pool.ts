import * as vscode from 'vscode';
import { daemonLoadText, poolKind } from '../core';
import { budgetRefusal } from '../configurations/budgetSettings';
import type { ConfigurationItem } from '../configurations/configurationSources';
import { EMPTY_POOL_MESSAGE, poolDaemonsNotFound } from '../shared/configEditorProtocol';
import type { ConfigurationsViewPart, HostBackend } from './hostBackend';

/** One daemon of a pool configuration. */
type PoolDaemonRow = { kind: 'poolDaemon'; part: ConfigurationsViewPart<PoolDaemonRow>; item: ConfigurationItem; daemon: string };

/** Under a pool configuration, each of its daemons with its load. */
const poolConfigurationsView: ConfigurationsViewPart<PoolDaemonRow> = {
  children: (item) =>
    (item.config.pool ?? []).map((daemon): PoolDaemonRow => ({ kind: 'poolDaemon', part: poolConfigurationsView, item, daemon })),
  loadDaemons: (configs) => configs.flatMap((c) => c.pool ?? []),
  // a pool daemon's load as known now (never waited for: a read in progress shows as such)
  item: (node, loads) => {
    const known = loads.now(node.daemon);
    const item = new vscode.TreeItem(node.daemon);
    item.id = `configuration/${node.item.scope}/${node.item.config.name}/pool/${node.daemon}`;
    item.contextValue = 'configuration.poolDaemon';
    if (!known) {
      item.description = 'reading the load…';
      item.iconPath = new vscode.ThemeIcon('loading~spin');
    } else if (known.error !== undefined) {
      item.description = `unreachable (${known.error})`;
      item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('errorForeground'));
      item.tooltip = `Daemon "${node.daemon}" of pool ${node.item.config.name}: runs are placed on the other daemons while it does not answer.\n\n${known.error}`;
    } else {
      const l = known.load;
      item.description = daemonLoadText(l);
      item.iconPath = new vscode.ThemeIcon('server');
      item.tooltip = `Daemon "${node.daemon}" of pool ${node.item.config.name}: ${daemonLoadText(l)}; ${l.running} running containers in all. Free = its CPUs and memory minus what its running containers reserve (their limits), as placement counts it.`;
    }
    return item;
  },
};

// a pool target is a configuration's name: its daemons and the user's budget on it (containerExec.budgets);
// its lost runs are found through its daemons' own lines
export const poolHost = {
  kind: poolKind.descriptor.kind,
  provider: (daemons, configurations) =>
    poolKind.provider(async (id) => {
      const catalog = configurations?.catalog.current();
      const config = catalog?.items.find((i) => i.config.name === id)?.config;
      if (!catalog || !config?.pool) return undefined;
      // an invalid budget refuses this pool's runs alone (the Configurations view shows it)
      const { budgets } = catalog;
      return {
        name: id,
        daemons: await Promise.all(config.pool.map(async (d) => ({ id: d, daemon: (await daemons.spec(d))?.daemon }))),
        budget: budgets.budgets.get(id),
        budgetError: budgetRefusal(budgets, id),
        stillConfigured: () => Boolean(configurations?.catalog.current().items.some((i) => i.config.name === id && i.config.pool)),
      };
    }),
  configurationsView: poolConfigurationsView,
  configurationTarget: (c) => ({
    daemons: c.pool ?? [],
    short: `pool ${(c.pool ?? []).join(', ')}`,
    long: `Pool: ${(c.pool ?? []).map((d) => `\`${d}\``).join(', ')} (each run placed on the least-loaded daemon)`,
  }),
  // a pool of no daemons: the form's own message (it refuses it too) rather than the schema's
  editorEntryErrors: (entry, errors) =>
    Array.isArray(entry.pool) && !entry.pool.length
      ? [...errors.filter((e) => e.field !== 'pool'), { field: 'pool', message: EMPTY_POOL_MESSAGE }]
      : errors,
  editorChecks: (c, daemonIds) => {
    const unknown = poolDaemonsNotFound(c.pool ?? [], (d) => daemonIds.has(d));
    return unknown ? [{ field: 'pool', message: unknown }] : [];
  },
} satisfies HostBackend;
