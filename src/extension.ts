import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { engineCallStats } from './core';
import { ConfigurationsFeature } from './configurations/configurationsFeature';
import type { ConfigurationNode } from './configurations/configurationsTree';
import { DaemonsFeature } from './daemons/daemonsFeature';
import type { DaemonTreeNode } from './daemons/daemonsTree';
import { OutputChannels } from './outputChannels';
import type { Services } from './services';
import { offerRebuildAfterUpgrade } from './builds/upgradeNotice';
import { RunsFeature } from './runs/runsFeature';
import { NotebookFeature } from './notebook/notebookFeature';
import type { RunNode } from './runs/runsTree';
import type { ToWebview } from './shared/configEditorProtocol';
import { runTerminalWrites } from './runs/runTask';
import { registerTasks } from './tasks';
import { registerDebug, debugSessionEnds, lastDebugProblem } from './debug/debugFeature';
import type { DebugSessionEnd } from './debug/debugAdapter';
import type { UsageCharts } from './runs/usageChartPanel';
import { registerViews } from './views';
import { prompts } from './prompts';
import { sweepTables } from './sweeps/sweepTablePanel';
import { watchWorkspaceTrust, workspaceTrust } from './workspaceTrust';
import { extensionVersion } from './workspace';
import { registerWalkthrough } from './walkthrough';

/** What activate() returns: used by the in-host tests and the activation benchmark. */
export interface ContainerExecApi {
  /** Duration of activate(), in ms. */
  readonly activationMs: number;
  /** Engine API calls made so far by this extension host. */
  engineCalls(): number;
  /** The Daemons view's model, for tests. */
  readonly daemons: {
    children(node?: DaemonTreeNode): Promise<DaemonTreeNode[]>;
    item(node: DaemonTreeNode): vscode.TreeItem;
    isLive(): boolean;
  };
  /** The Execution Configurations view and editors, for tests. */
  readonly configurations: {
    children(node?: ConfigurationNode): ConfigurationNode[];
    item(node: ConfigurationNode): Promise<vscode.TreeItem>;
    /** Resolves once the pool daemons' loads being read are read. */
    loadsSettled(): Promise<void>;
    openEditors(): string[];
    deliver(editor: string, message: unknown): Promise<ToWebview[]>;
    webview(editor: string): { html: string; localResourceRoots: string[] };
  };
  /** The Runs view, for tests. */
  readonly runs: {
    children(): RunNode[];
    item(node: RunNode): vscode.TreeItem;
    onTerminalWrite: vscode.Event<{ runId: string; text: string }>;
    /** Back-ends opened and not disposed yet. */
    openBackends(): number;
    /** Show Resource Usage panels: their keys (run ids), pages and what each drew. */
    charts(): ReturnType<UsageCharts['openPanels']>;
    /** Sweep results tables: each one's sweep, the table its page was last sent, its page. */
    sweepTables(): ReturnType<(typeof sweepTables)['openPanels']>;
    /** A message as if sweep `sweepId`'s table page sent it; resolves once handled, with the file it wrote or opened. */
    deliverToSweepTable(sweepId: string, message: unknown): Promise<unknown>;
    /** The next save dialog answers `file` (undefined: dismissed). */
    answerSaveDialog(file: string | undefined): void;
  };
  /**
   * Workspace Trust, for tests: the in-host suite runs with --disable-workspace-trust, so Restricted Mode
   * is entered through `simulate(false)` (the same module every source asks); `simulate(undefined)` ends it.
   */
  readonly trust: { isTrusted(): boolean; simulate(trusted: boolean | undefined): void };
  /** Debug Recipe sessions' ends (with the problem, if any) and the last refusal, for tests. */
  readonly debug: { onDidEnd: vscode.Event<DebugSessionEnd>; lastProblem(): string | undefined };
  /** Notebook controllers and kernels, for tests. */
  readonly notebooks: {
    controllers(): { id: string; label: string; description?: string }[];
    /** Resolves once the controllers follow the settings as they are. */
    settled(): Promise<void>;
    preferredFor(uri: vscode.Uri): string | undefined;
    kernel(uri: vscode.Uri): { runId: string; state: string; configuration: string } | undefined;
  };
  /** The title of the question the extension is asking in a quick pick (answered through the real UI by tests). */
  pendingPrompt(): string | undefined;
  /** The choice the workbench has active in that question (known once it is on screen). */
  promptActive(): string | undefined;
  /** The input box on screen (a cell's input()/getpass()): its prompt, whether it is masked. */
  pendingInput(): { prompt: string; password: boolean } | undefined;
  /** Types into that input box as the keyboard does (the test then accepts it with workbench.action.acceptSelectedQuickOpenItem). */
  typeInput(text: string): void;
  /** The error message a failed command shows, with its actions (the first is the notification's primary one). */
  shownError(): { text: string; actions: string[] } | undefined;
}

export function activate(context: vscode.ExtensionContext): ContainerExecApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Container Exec', { log: true });
  const logChannels = new OutputChannels();
  const version = extensionVersion(context);
  const daemons = new DaemonsFeature(log, version);
  const configurations = new ConfigurationsFeature(context, daemons, log);
  const runs = new RunsFeature(context, daemons, log, configurations);
  configurations.followRuns(runs.history);
  context.subscriptions.push(log, logChannels, daemons, configurations, runs, watchWorkspaceTrust());
  const services: Services = {
    context,
    log,
    logChannels,
    daemons,
    configurations,
    runs,
    get notebooks() {
      return notebooks; // made next: it is given these services
    },
  };
  const notebooks = new NotebookFeature(services);
  context.subscriptions.push(notebooks);
  registerViews(services);
  context.subscriptions.push(sweepTables.restoreOnReload(services));
  registerCommands(services);
  registerTasks(services);
  registerDebug(services);
  registerWalkthrough(services);
  offerRebuildAfterUpgrade(context, version);
  const activationMs = performance.now() - t0;
  log.info(`Container Exec ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    engineCalls: () => engineCallStats.calls,
    daemons: {
      children: (node) => daemons.tree.getChildren(node),
      item: (node) => daemons.tree.getTreeItem(node),
      isLive: () => daemons.hub.isLive,
    },
    configurations: {
      children: (node) => configurations.tree.getChildren(node),
      loadsSettled: () => configurations.poolLoads.settled(),
      item: (node) => configurations.tree.getTreeItem(node),
      openEditors: () => configurations.editors.openPanels(),
      deliver: (editor, message) => configurations.editors.deliver(editor, message),
      webview: (editor) => configurations.editors.webviewOf(editor),
    },
    runs: {
      children: () => runs.tree.getChildren(),
      item: (node) => runs.tree.getTreeItem(node),
      onTerminalWrite: runTerminalWrites().event,
      openBackends: () => runs.backends.openCount,
      charts: () => runs.charts.openPanels(),
      sweepTables: () => sweepTables.openPanels(),
      deliverToSweepTable: (sweepId, message) => sweepTables.deliver(services, sweepId, message),
      answerSaveDialog: (file) => prompts.answerSaveDialog(file),
    },
    trust: { isTrusted: () => workspaceTrust.isTrusted(), simulate: (t) => workspaceTrust.simulate(t) },
    debug: { onDidEnd: debugSessionEnds, lastProblem: lastDebugProblem },
    notebooks: {
      controllers: () => notebooks.list(),
      settled: () => notebooks.settled(),
      preferredFor: (uri) => notebooks.preferredFor(uri),
      kernel: (uri) => {
        const k = notebooks.kernelOf(uri);
        return k && { runId: k.runId, state: k.state, configuration: k.configuration };
      },
    },
    pendingPrompt: () => prompts.pending(),
    promptActive: () => prompts.active(),
    shownError: () => prompts.message(),
    pendingInput: () => prompts.input(),
    typeInput: (text) => prompts.typeInput(text),
  };
}

export function deactivate(): void {
  // everything is in context.subscriptions
}
