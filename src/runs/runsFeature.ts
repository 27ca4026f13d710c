import * as vscode from 'vscode';
import { createDaemonClient, findLostRunContainers, removeContainer, type ContainerSummary, type DaemonClient } from '../core';
import { workspaceDir } from '../builds/basePlan';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { RunHistory } from './runHistory';
import { recipeInterpreters } from './runConfiguration';
import { RunsTreeProvider } from './runsTree';

/** The runs concern: history, the runs going on in this window (to stop them), lost-run cleanup. */
export class RunsFeature implements vscode.Disposable {
  readonly history: RunHistory;
  readonly tree: RunsTreeProvider;
  private readonly active = new Map<string, AbortController>();
  /** Lost-run containers already offered, by daemon: the same ones are not offered twice a session. */
  private readonly offered = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Ticks the running rows' durations. */
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly daemons: DaemonsFeature,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.history = new RunHistory(context.workspaceState);
    this.tree = new RunsTreeProvider(this.history);
    this.disposables.push(
      this.history,
      this.tree,
      // a daemon that (re)connects may hold containers of runs lost with it
      daemons.hub.onDidChange((c) => c.what === 'state' && daemons.hub.status(c.id).state === 'connected' && void this.offerLostRunCleanup(c.id)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('containerExec.recipeInterpreters') && this.publishRecipeExtensions()),
    );
    this.publishRecipeExtensions();
  }

  /** The editor-title and explorer menus show Run Recipe on files with these extensions. */
  private publishRecipeExtensions(): void {
    const extensions = Object.keys(recipeInterpreters());
    // resourceExtname is compared as written: ".R" also stands for ".r" (as recipeCommand reads it)
    void vscode.commands.executeCommand('setContext', 'containerExec.recipeExtensions', [...new Set([...extensions, ...extensions.map((e) => e.toLowerCase())])]);
  }

  started(id: string, abort: AbortController): void {
    this.active.set(id, abort);
    this.ticker ??= setInterval(() => this.tree.refresh(), 1000);
  }
  ended(id: string): void {
    this.active.delete(id);
    if (!this.active.size) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.tree.refresh();
  }
  /** Stop: SIGTERM, SIGKILL after the grace period; the outputs still come back. */
  stop(id: string): boolean {
    const run = this.active.get(id);
    run?.abort();
    return Boolean(run);
  }

  /** A client of the daemon for `work`, disposed after it. */
  private async withClient<T>(daemonId: string, work: (client: DaemonClient) => Promise<T>): Promise<T> {
    const spec = await this.daemons.spec(daemonId);
    if (!spec) throw new Error(`Daemon not found: "${daemonId}".`);
    const client = createDaemonClient(spec.daemon);
    try {
      return await work(client);
    } finally {
      client.dispose();
    }
  }

  /** Containers of this workspace's runs that no run of this window owns (and not kept on purpose, nor holding outputs still to fetch). */
  private lost(client: DaemonClient): Promise<ContainerSummary[]> {
    const owned = [...this.active.keys(), ...this.history.all().flatMap((r) => (r.outputsKept ? [r.id] : []))];
    return findLostRunContainers(client, workspaceDir(), new Set(owned));
  }

  async removeLostRunContainers(daemonId: string, containers?: ContainerSummary[]): Promise<string[]> {
    return this.withClient(daemonId, async (client) => {
      const targets = containers ?? (await this.lost(client));
      for (const c of targets) await removeContainer(client, c.id);
      this.log.info(`Removed ${targets.length} container(s) of lost runs on ${daemonId}: ${targets.map((c) => c.name).join(', ')}`);
      void this.daemons.hub.refresh(daemonId);
      return targets.map((c) => c.id);
    });
  }

  /** Offers to remove the daemon's containers of lost runs (each one once a session). */
  async offerLostRunCleanup(daemonId: string): Promise<void> {
    try {
      const fresh = (await this.withClient(daemonId, (client) => this.lost(client))).filter((c) => !this.offered.has(c.id));
      if (!fresh.length) return;
      fresh.forEach((c) => this.offered.add(c.id));
      const answer = await vscode.window.showWarningMessage(
        `Daemon "${daemonId}" holds ${fresh.length} container(s) of runs lost mid-run (the daemon or VS Code stopped): ${fresh.map((c) => c.name).join(', ')}.`,
        'Remove',
      );
      if (answer === 'Remove') await this.removeLostRunContainers(daemonId, fresh);
    } catch (e) {
      this.log.warn(`Looking for containers of lost runs on ${daemonId}: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.ticker);
    for (const run of this.active.values()) run.abort();
    this.disposables.forEach((d) => d.dispose());
  }
}
