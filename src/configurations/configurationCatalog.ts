import * as vscode from 'vscode';
import { findConfiguration, type Configuration } from '../core';
import { readConfigurations, SECTION, type ConfigurationSources } from './configurationSources';
import { workspaceTrust } from '../workspaceTrust';
import { Disposable } from '../lifecycle';

/**
 * The configurations as the settings define them (valid items, invalid and ignored entries, the defaults),
 * read once and again after a change: the tree, the commands, the editor and the run choice all read it here.
 */
export class ConfigurationCatalog extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** The settings (or Workspace Trust) changed what the configurations are. */
  readonly onDidChange = this.changed.event;
  private sources: ConfigurationSources | undefined;

  constructor() {
    super();
    this._register(workspaceTrust.onDidChange(() => this.reload()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (
          e.affectsConfiguration(`${SECTION}.configurations`) ||
          e.affectsConfiguration(`${SECTION}.defaultConfiguration`) ||
          e.affectsConfiguration(`${SECTION}.budgets`) ||
          e.affectsConfiguration(`${SECTION}.daemons`)
        )
          this.reload();
      }),
    );
  }

  current(): ConfigurationSources {
    return (this.sources ??= readConfigurations());
  }

  /** The valid configurations' names. */
  names(): string[] {
    return this.current().items.map((i) => i.config.name);
  }

  /** The configuration of that name; a clear error (saying why it was looked for) when there is none. */
  find(name: string, why?: string): Configuration {
    return findConfiguration(
      name,
      this.current().items.map((i) => i.config),
      why,
    );
  }

  /** Reads the settings again at next use and tells the readers. */
  reload(): void {
    this.sources = undefined;
    this.changed.fire();
  }
}
