import * as vscode from 'vscode';
import { basePlan, buildingDaemon, extensionVersion } from '../builds/basePlan';
import { currentUserGroups, imageFreshness, type Configuration, type ImageFreshness } from '../core';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { ConfigEditorPanels } from './configEditorPanel';
import { ConfigurationCatalog } from './configurationCatalog';
import type { ConfigurationItem } from './configurationSources';
import { ConfigurationsTreeProvider } from './configurationsTree';

/** The configurations concern: settings -> catalog -> tree; the editor panels. Reads no Docker until asked. */
export class ConfigurationsFeature implements vscode.Disposable {
  private groupsPromise: Promise<string[]> | undefined;
  /** What the configurations are: everyone reads them here. */
  readonly catalog = new ConfigurationCatalog();
  readonly tree: ConfigurationsTreeProvider;
  readonly editors: ConfigEditorPanels;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext, daemons: DaemonsFeature, log: vscode.LogOutputChannel) {
    this.tree = new ConfigurationsTreeProvider(
      this.catalog,
      () => this.groups(),
      async () => new Set((await daemons.sources()).specs.map((s) => s.daemon.id)),
      (c) => this.imageFreshness(c, context, daemons),
    );
    this.editors = new ConfigEditorPanels(context, daemons, this.catalog, () => this.groups(), log);
    this.disposables.push(
      this.catalog,
      this.tree,
      this.editors,
      // images built, pulled or removed, and daemons (dis)connecting, change the stale marks
      { dispose: daemons.hub.onDidChange((c) => (c.what === 'images' || c.what === 'state') && this.tree.refresh()).dispose },
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

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
