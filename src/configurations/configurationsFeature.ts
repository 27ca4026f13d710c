import * as vscode from 'vscode';
import { currentUserGroups } from '../core';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { ConfigEditorPanels } from './configEditorPanel';
import type { ConfigurationItem } from './configurationSources';
import { SECTION } from './configurationSources';
import { ConfigurationsTreeProvider } from './configurationsTree';

/** The configurations concern: settings -> tree; the editor panels. Reads no Docker until asked. */
export class ConfigurationsFeature implements vscode.Disposable {
  private groupsPromise: Promise<string[]> | undefined;
  readonly tree: ConfigurationsTreeProvider;
  readonly editors: ConfigEditorPanels;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext, daemons: DaemonsFeature, log: vscode.LogOutputChannel) {
    this.tree = new ConfigurationsTreeProvider(
      () => this.groups(),
      async () => new Set((await daemons.sources()).specs.map((s) => s.daemon.id)),
    );
    this.editors = new ConfigEditorPanels(context, daemons, this, log);
    this.disposables.push(
      this.tree,
      this.editors,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.configurations`) || e.affectsConfiguration(`${SECTION}.defaultConfiguration`) || e.affectsConfiguration(`${SECTION}.daemons`)) this.tree.refresh();
      }),
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
