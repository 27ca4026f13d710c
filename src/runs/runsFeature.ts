import * as vscode from 'vscode';
import {
  BackendRegistry,
  daemonTarget,
  targetIsOneDaemon,
  targetNoun,
  targetText,
  type ExecutionBackend,
  type LostRun,
  type RunTarget,
} from '../core';
import { workspaceDir } from '../workspace';
import type { ConfigurationsFeature } from '../configurations/configurationsFeature';
import type { DaemonsFeature } from '../daemons/daemonsFeature';
import { HOST_BACKENDS } from '../backends/hostBackends';
import { RunHistory } from './runHistory';
import { recipeInterpreters } from './runConfiguration';
import { RunsStatusBar } from './runsStatusBar';
import { RunsTreeProvider } from './runsTree';
import { RunUsage } from './runUsage';
import { UsageCharts } from './usageChartPanel';
import { Disposable } from '../lifecycle';

/** "2 container(s) and 1 sweep workspace image(s)": what a list of lost leftovers holds. */
export const lostText = (lost: LostRun[]): string => {
  const images = lost.filter((l) => l.image).length;
  const containers = `${lost.length - images} container(s)`;
  return images ? `${lost.length - images ? `${containers} and ` : ''}${images} sweep workspace image(s)` : containers;
};

/** A daemon id (the commands' argument) or any target. */
const asTarget = (t: string | RunTarget): RunTarget => (typeof t === 'string' ? daemonTarget(t) : t);
const key = (t: RunTarget) => `${t.kind}:${t.id}`;

/** The runs concern: history, the back-ends runs execute on, the runs going on in this window (to stop them), lost-run cleanup. */
export class RunsFeature extends Disposable {
  readonly history: RunHistory;
  /** Where runs execute: the run task and the Runs view ask it for the back-end of a target. */
  readonly backends = new BackendRegistry();
  readonly tree: RunsTreeProvider;
  /** Resource use of the runs going on (fed by their run terminals). */
  readonly usage = new RunUsage();
  /** Show Resource Usage panels. */
  readonly charts: UsageCharts;
  private readonly active = new Map<string, AbortController>();
  /** Sweeps going on in this window: their seed containers and workspace images are not lost. */
  private readonly sweeps = new Set<string>();
  /** Lost-run containers already offered: the same ones are not offered twice a session. */
  private readonly offered = new Set<string>();
  /** Ticks the running rows' durations. */
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly daemons: DaemonsFeature,
    private readonly log: vscode.LogOutputChannel,
    configurations?: ConfigurationsFeature,
  ) {
    super();
    this.history = new RunHistory(context.workspaceState);
    this.tree = new RunsTreeProvider(this.history, this.usage, (name) => configurations?.tree.sizingHint(name));
    this._register(this.usage);
    // the Daemons view adds our runs' containers up from these samples (no snapshot asked for them)
    daemons.usage.runSample = (runId) => this.usage.latest(runId);
    this.charts = this._register(new UsageCharts(context.extensionUri, this.usage));
    for (const kind of HOST_BACKENDS) this._register({ dispose: this.backends.register(kind.provider(daemons, configurations)) });
    this._register(new RunsStatusBar(this.history));
    this._register(this.history);
    this._register(this.tree);
    // a daemon that (re)connects may hold containers of runs lost with it
    this._register(
      daemons.hub.onDidChange((c) => {
        if (c.what !== 'state' || daemons.hub.status(c.id).state !== 'connected') return;
        for (const kind of HOST_BACKENDS)
          void kind.lostRunTarget?.(daemons.hub, c.id).then(
            (target) => (target ? this.offerLostRunCleanup(target) : undefined),
            () => undefined,
          );
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('containerExec.recipeInterpreters') && this.publishRecipeExtensions(),
      ),
    );
    this.publishRecipeExtensions();
    this._register(this.history.onDidChange(() => this.publishOutputsKept()));
    this.publishOutputsKept();
  }

  /** Fetch Run Outputs shows in the palette only when a run left its outputs in a container. */
  private publishOutputsKept(): void {
    const kept = this.history.all().some((r) => r.outputsKept);
    void vscode.commands.executeCommand('setContext', 'containerExec.runOutputsKept', kept);
  }

  /** The editor-title and explorer menus show Run Recipe on files with these extensions. */
  private publishRecipeExtensions(): void {
    const extensions = Object.keys(recipeInterpreters());
    // resourceExtname is compared as written: ".R" also stands for ".r" (as recipeCommand reads it)
    void vscode.commands.executeCommand('setContext', 'containerExec.recipeExtensions', [
      ...new Set([...extensions, ...extensions.map((e) => e.toLowerCase())]),
    ]);
  }

  started(id: string, abort: AbortController): void {
    this.active.set(id, abort);
    void vscode.commands.executeCommand('setContext', 'containerExec.runGoingOn', true);
    this.ticker ??= setInterval(() => this.tree.refresh(), 1000);
  }
  ended(id: string): void {
    this.active.delete(id);
    this.usage.end(id);
    if (!this.active.size) {
      void vscode.commands.executeCommand('setContext', 'containerExec.runGoingOn', false);
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.tree.refresh();
  }
  /** The run of this window started last that is still going on (Stop Run's keybinding stops it). */
  lastStarted(): string | undefined {
    return [...this.active.keys()].at(-1);
  }
  /** Stop: SIGTERM, SIGKILL after the grace period; the outputs still come back. */
  stop(id: string): boolean {
    const run = this.active.get(id);
    run?.abort();
    return Boolean(run);
  }

  /** The back-end of `target` for `work`, disposed after it. */
  withBackend<T>(target: RunTarget, work: (backend: ExecutionBackend) => Promise<T>): Promise<T> {
    return this.backends.with(target, work);
  }

  /** Sweep `id` goes on in this window until the returned function is called: what it made is not offered as lost meanwhile. */
  sweepGoingOn(id: string): () => void {
    this.sweeps.add(id);
    return () => this.sweeps.delete(id);
  }

  /**
   * Containers of this workspace's runs that no run of this window owns (and not kept on purpose, nor holding
   * outputs still to fetch), and workspace images of its sweeps not going on here.
   */
  private lost(backend: ExecutionBackend): Promise<LostRun[]> {
    const owned = [...this.active.keys(), ...this.sweeps, ...this.history.all().flatMap((r) => (r.outputsKept ? [r.id] : []))];
    return backend.findLost(workspaceDir(), new Set(owned));
  }

  /** Removes the containers of lost runs on a target (a daemon id); returns their ids. */
  async removeLostRunContainers(on: string | RunTarget, containers?: LostRun[]): Promise<string[]> {
    const target = asTarget(on);
    return this.withBackend(target, async (backend) => {
      const targets = containers ?? (await this.lost(backend));
      for (const c of targets) await backend.removeLost(c);
      this.log.info(`Removed ${lostText(targets)} of lost runs on ${targetText(target)}: ${targets.map((c) => c.name).join(', ')}`);
      if (targetIsOneDaemon(target)) void this.daemons.hub.refresh(target.id);
      return targets.map((c) => c.id);
    });
  }

  /** Offers to remove the target's containers of lost runs (each one once a session). */
  async offerLostRunCleanup(on: string | RunTarget): Promise<void> {
    const target = asTarget(on);
    const where = targetText(target);
    try {
      const fresh = (await this.withBackend(target, (backend) => this.lost(backend))).filter(
        (c) => !this.offered.has(`${key(target)}/${c.id}`),
      );
      if (!fresh.length) return;
      fresh.forEach((c) => this.offered.add(`${key(target)}/${c.id}`));
      const answer = await vscode.window.showWarningMessage(
        `${where[0]!.toUpperCase()}${where.slice(1)} holds ${lostText(fresh)} of runs lost mid-run (the ${targetNoun(target)} or VS Code stopped): ${fresh.map((c) => c.name).join(', ')}.`,
        'Remove',
      );
      if (answer === 'Remove') await this.removeLostRunContainers(target, fresh);
    } catch (e) {
      this.log.warn(`Looking for containers of lost runs on ${where}: ${(e as Error).message}`);
    }
  }

  override dispose(): void {
    clearInterval(this.ticker);
    for (const run of this.active.values()) run.abort();
    super.dispose();
  }
}
