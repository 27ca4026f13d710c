import * as vscode from 'vscode';
import { DaemonHub, DaemonUsageSampler, type DaemonSpec } from '../core';
import { readDaemonSources, SECTION, type DaemonSources } from './daemonSources';
import { DaemonsTreeProvider } from './daemonsTree';
import { DaemonStatusBar } from './statusBar';
import { workspaceTrust } from '../workspaceTrust';
import { Disposable } from '../lifecycle';

/**
 * The daemons concern: settings + discovery -> hub -> tree and status bar. Nothing talks to Docker until
 * the Daemons view is visible (or a command asks); while hidden, no stream or poll runs.
 */
export class DaemonsFeature extends Disposable {
  readonly hub = this._register(new DaemonHub());
  /** Each connected daemon's containers' CPU and memory, sampled only while the view is visible. */
  readonly usage = this._register(new DaemonUsageSampler(this.hub));
  readonly tree: DaemonsTreeProvider;
  private statusBar = this._register(new DaemonStatusBar(this.hub));
  private loaded: Promise<DaemonSources> | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    extensionVersion: string,
  ) {
    super();
    this.tree = this._register(new DaemonsTreeProvider(this.hub, () => this.sources(), extensionVersion, this.usage));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.daemons`) || e.affectsConfiguration(`${SECTION}.defaultDaemon`)) void this.reload();
      }),
    );
    this._register(workspaceTrust.onDidChange(() => void this.reload()));
  }

  /** The view: live while visible. */
  attach(view: vscode.TreeView<unknown>): void {
    this._register(
      view.onDidChangeVisibility((e) => {
        if (e.visible) void this.sources().then(() => this.goLive());
        else {
          this.hub.setLive(false);
          this.usage.setRunning(false);
        }
      }),
    );
    if (view.visible) void this.sources().then(() => this.goLive());
  }

  private goLive(): void {
    this.hub.setLive(true);
    this.usage.setRunning(true);
  }

  /** Settings and discovered daemons, read once and again on every settings change. */
  sources(): Promise<DaemonSources> {
    return (this.loaded ??= this.read());
  }

  /** The daemon with this id, from settings or discovery. */
  async spec(id: string): Promise<DaemonSpec | undefined> {
    return (await this.sources()).specs.find((d) => d.daemon.id === id);
  }

  reload(): Promise<DaemonSources> {
    return (this.loaded = this.read());
  }

  private async read(): Promise<DaemonSources> {
    const sources = await readDaemonSources();
    for (const p of sources.problems) this.log.warn(`Docker contexts: ${p.file}: ${p.error}`);
    for (const e of sources.invalid) this.log.error(`containerExec.daemons[${e.index}] in ${e.scope} settings: ${e.error}`);
    this.hub.setDaemons(sources.specs);
    for (const e of sources.ignored) this.log.warn(`containerExec.daemons[${e.index}] in workspace settings: ${e.reason}`);
    this.tree.reset(sources.invalid, sources.defaultDaemon, sources.ignored);
    this.statusBar.setDefault(sources.defaultDaemon);
    return sources;
  }
}
