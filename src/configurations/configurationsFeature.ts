import * as vscode from 'vscode';
import { basePlan, buildingDaemon } from '../builds/basePlan';
import { extensionVersion } from '../workspace';
import { currentUserGroups, imageFreshness, type Configuration, type ImageFreshness, type SizedRun } from '../core';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { ConfigEditorPanels } from './configEditorPanel';
import { ConfigurationCatalog } from './configurationCatalog';
import type { ConfigurationItem } from './configurationSources';
import { ConfigurationsTreeProvider } from './configurationsTree';
import { PoolLoads } from './poolLoads';
import { loadDaemons } from '../backends/hostBackends';
import { Disposable } from '../lifecycle';

/** What the tree needs of the run history (structural: the runs concern imports this one). */
interface RunsSeen {
  onDidChange: vscode.Event<void>;
  all(): readonly (SizedRun & { id: string; state: string })[];
}

/** The configurations concern: settings -> catalog -> tree; the editor panels. Reads no Docker until asked. */
export class ConfigurationsFeature extends Disposable {
  private groupsPromise: Promise<string[]> | undefined;
  /** What the configurations are: everyone reads them here. */
  readonly catalog = this._register(new ConfigurationCatalog());
  readonly tree: ConfigurationsTreeProvider;
  /** Each pool daemon's load, shown under pool configurations. */
  readonly poolLoads: PoolLoads;
  readonly editors: ConfigEditorPanels;

  constructor(context: vscode.ExtensionContext, daemons: DaemonsFeature, log: vscode.LogOutputChannel) {
    super();
    this.poolLoads = new PoolLoads(daemons.hub, () => daemons.sources());
    this.tree = new ConfigurationsTreeProvider(
      this.catalog,
      () => this.groups(),
      async () => new Set((await daemons.sources()).specs.map((s) => s.daemon.id)),
      (c) => this.imageFreshness(c, context, daemons),
      this.poolLoads,
    );
    this.editors = new ConfigEditorPanels(context, daemons, this.catalog, () => this.groups(), log);
    this._register(this.tree);
    this._register(this.poolLoads);
    this._register(this.editors);
    // images built, pulled or removed, and daemons (dis)connecting, change the stale marks
    this._register({ dispose: daemons.hub.onDidChange((c) => (c.what === 'images' || c.what === 'state') && this.tree.refresh()).dispose });
  }

  /**
   * A run starting or ending changes its daemon's load: the pool daemons' loads are read again then,
   * also while no daemon event stream runs (the Daemons view hidden). Only state changes count.
   */
  followRuns(runs: RunsSeen): void {
    this.tree.runs = () => runs.all().filter((r) => r.state !== 'running' && r.state !== 'queued');
    let seen = '';
    this._register(
      runs.onDidChange(() => {
        const now = runs
          .all()
          .map((r) => `${r.id}:${r.state}`)
          .join(',');
        if (now === seen) return;
        seen = now;
        this.tree.refresh(); // right-sizing hints read the finished runs
        this.poolLoads.runsChanged(loadDaemons(this.catalog.current().items.map((i) => i.config)));
      }),
    );
  }

  /**
   * Compares the labels of a configuration's base image with what would be built now (extension version,
   * options hash). Only while its daemon is connected: the tree never makes a daemon wait.
   */
  private async imageFreshness(
    c: Configuration,
    context: vscode.ExtensionContext,
    daemons: DaemonsFeature,
  ): Promise<ImageFreshness | undefined> {
    const daemonId = buildingDaemon(c);
    if (daemons.hub.status(daemonId).state !== 'connected') return undefined;
    const plan = await basePlan(context, c);
    const images = await daemons.hub.list(daemonId, 'images');
    return imageFreshness(
      images.find((i) => i.tags.includes(plan.tag)),
      extensionVersion(context),
      plan.optionsHash,
    );
  }

  /** The OS user's groups (id -Gn), read once. */
  groups(): Promise<string[]> {
    this.groupsPromise ??= currentUserGroups();
    this.groupsPromise.catch(() => (this.groupsPromise = undefined));
    return this.groupsPromise;
  }

  openEditor(item: ConfigurationItem | undefined): Promise<void> {
    return this.editors.open(item);
  }
}
