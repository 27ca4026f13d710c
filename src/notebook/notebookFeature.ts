import * as path from 'node:path';
import * as vscode from 'vscode';
import { targetIsOneDaemon, targetOf, targetText, usageDenied, type Configuration } from '../core';
import { enableBuildOptionAndRebuild } from '../builds/buildOption';
import { Disposable } from '../lifecycle';
import { prompts } from '../prompts';
import { launchWorkspace } from '../launch/launchPreparation';
import { chooseRunConfiguration, localDefault, type ChosenBy } from '../runs/runConfiguration';
import type { Services } from '../services';
import { settings } from '../settings';
import { workspaceTrust } from '../workspaceTrust';
import { isNoIpykernel, NotebookKernel, type KernelLaunch } from './notebookKernel';

export const NOTEBOOK_TYPE = 'jupyter-notebook';
/** Controller ids: `container-exec-kernel:<configuration>` (the notebook toolbar's menus match the prefix). */
export const CONTROLLER_PREFIX = 'container-exec-kernel:';
/** How often idle kernels are looked for: a quarter of containerExec.notebookIdleMinutes, every 30 s at most. */
const idleCheckMs = (minutes: number) => Math.min(30_000, Math.max(250, (minutes * 60_000) / 4));
const idleMinutes = () => settings().get<number>('notebookIdleMinutes') ?? 0;

export const RESTRICTED_NOTEBOOK_MESSAGE =
  'Restricted Mode: notebooks do not run in an untrusted workspace (as VS Code does for its own kernels). Trust the workspace (Manage Workspace Trust) to run cells on Container Exec.';

/** The notebook's path in the workspace (posix) and its folder, the kernel's working directory. */
function notebookPlace(notebook: vscode.NotebookDocument, ws: string): { notebookPath: string; notebookFolder: string } {
  if (notebook.uri.scheme !== 'file') return { notebookPath: path.basename(notebook.uri.path), notebookFolder: '.' };
  const rel = path.relative(ws, notebook.uri.fsPath);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
    throw new Error(
      `Notebook ${notebook.uri.fsPath} is outside the workspace folder ${ws}: its kernel runs in the uploaded workspace, so open a notebook of the workspace.`,
    );
  const notebookPath = rel.split(path.sep).join('/');
  return { notebookPath, notebookFolder: path.posix.dirname(notebookPath) };
}

/**
 * Notebooks on configurations: one notebook controller per usable configuration (kept in step with the
 * settings), the one the recipe-style choice names preferred; a kernel per notebook, started on the
 * first execution, shut down after a grace period once the notebook is closed or after an idle time.
 */
export class NotebookFeature extends Disposable {
  private readonly controllers = new Map<string, vscode.NotebookController>();
  private readonly kernels = new Map<string, NotebookKernel>();
  private readonly closing = new Map<string, NodeJS.Timeout>();
  private readonly preferred = new Map<string, string>();
  private idleTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly s: Services) {
    super();
    const sync = () => void this.sync();
    this._register(s.configurations.catalog.onDidChange(sync));
    this._register(s.daemons.hub.onDidChange((c) => c.what === 'state' && this.describeAll()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('containerExec.recipeConfigurations') && this.preferAll()),
    );
    this._register(
      vscode.workspace.onDidOpenNotebookDocument((nb) => {
        clearTimeout(this.closing.get(nb.uri.toString()));
        this.closing.delete(nb.uri.toString());
        this.prefer(nb);
      }),
    );
    this._register(vscode.workspace.onDidCloseNotebookDocument((nb) => this.closed(nb.uri)));
    // the document may outlive its last tab (VS Code keeps an extension's reference for minutes): the tab counts
    this._register(vscode.window.tabGroups.onDidChangeTabs(() => this.tabsChanged()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('containerExec.notebookIdleMinutes') && this.watchIdle()),
    );
    this.watchIdle();
    sync();
  }

  /** The controllers (id, label, description), for tests. */
  list(): { id: string; label: string; description?: string }[] {
    return [...this.controllers.values()].map((c) => ({ id: c.id, label: c.label, description: c.description }));
  }
  /** Resolves once the controllers follow the settings as they are. */
  settled(): Promise<void> {
    return this.syncing;
  }
  /** The configuration preferred for a notebook (the recipe-style choice), for tests. */
  preferredFor(uri: vscode.Uri): string | undefined {
    return this.preferred.get(uri.toString());
  }
  kernelOf(uri: vscode.Uri): NotebookKernel | undefined {
    return this.kernels.get(uri.toString());
  }

  /** The configurations this user may use (the local default when there is none), one controller each. */
  private sync(): Promise<void> {
    return (this.syncing = this.syncing.then(async () => {
      const groups = await this.s.configurations.groups().catch(() => []);
      const items = this.s.configurations.catalog.current().items.map((i) => i.config);
      const usable = items.filter((c) => !usageDenied(c, groups));
      const configs = items.length ? usable : [localDefaultOrNone()].filter((c): c is Configuration => !!c);
      const names = new Set(configs.map((c) => c.name));
      for (const [name, controller] of this.controllers)
        if (!names.has(name)) {
          controller.dispose();
          this.controllers.delete(name);
        }
      for (const c of configs) {
        const controller = this.controllers.get(c.name) ?? this.create(c.name);
        this.describe(controller, c);
      }
      this.preferAll();
    }));
  }

  private create(name: string): vscode.NotebookController {
    const controller = vscode.notebooks.createNotebookController(`${CONTROLLER_PREFIX}${name}`, NOTEBOOK_TYPE, `Container Exec: ${name}`);
    controller.supportedLanguages = ['python'];
    controller.supportsExecutionOrder = true;
    controller.executeHandler = (cells, notebook) => this.execute(name, controller, cells, notebook);
    controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
      const kernel = this.kernels.get(notebook.uri.toString());
      if (!selected && kernel?.configuration === name)
        void kernel.shutdown(`Another kernel was selected for ${path.basename(notebook.uri.path)}.`);
    });
    this.controllers.set(name, controller);
    return controller;
  }

  /** "daemon local · connected", "pool gpu-pool"; the detail: its image. */
  private describe(controller: vscode.NotebookController, c: Configuration): void {
    const target = targetOf(c);
    const state = targetIsOneDaemon(target) ? ` · ${this.s.daemons.hub.status(target.id).state}` : '';
    controller.description = `${targetText(target).replace(/"/g, '')}${state}`;
    controller.detail = [c.description, c.baseImage || 'the base image Container Exec builds'].filter(Boolean).join(' · ');
  }

  private describeAll(): void {
    for (const [name, controller] of this.controllers) {
      const c = this.configOf(name);
      if (c) this.describe(controller, c);
    }
  }

  private configOf(name: string): Configuration | undefined {
    return this.s.configurations.catalog.current().items.find((i) => i.config.name === name)?.config ?? localDefaultOrNone(name);
  }

  /** VS Code preselects the controller of the configuration a run of this notebook would use. */
  private prefer(notebook: vscode.NotebookDocument): void {
    if (notebook.notebookType !== NOTEBOOK_TYPE || !vscode.workspace.workspaceFolders?.length) return;
    let name: string | undefined;
    try {
      name = this.choose(notebook).config.name;
    } catch {
      name = undefined; // a broken choice is reported when a cell runs
    }
    const key = notebook.uri.toString();
    const before = this.preferred.get(key);
    if (before && before !== name)
      this.controllers.get(before)?.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Default);
    if (name && this.controllers.has(name)) {
      this.controllers.get(name)!.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
      this.preferred.set(key, name);
    } else this.preferred.delete(key);
  }

  private preferAll(): void {
    for (const nb of vscode.workspace.notebookDocuments) this.prefer(nb);
  }

  private choose(notebook: vscode.NotebookDocument, explicit?: string): { config: Configuration; chosenBy: ChosenBy } {
    const ws = launchWorkspace('a notebook kernel gets the workspace folder uploaded');
    const { notebookPath } = notebookPlace(notebook, ws);
    if (explicit && explicit === localDefaultOrNone(explicit)?.name && !this.s.configurations.catalog.names().includes(explicit))
      return { config: localDefault(), chosenBy: 'local default' };
    return chooseRunConfiguration(this.s.configurations.catalog, notebookPath, explicit);
  }

  private async execute(
    name: string,
    controller: vscode.NotebookController,
    cells: vscode.NotebookCell[],
    notebook: vscode.NotebookDocument,
  ): Promise<void> {
    const refusal = workspaceTrust.isTrusted() ? undefined : RESTRICTED_NOTEBOOK_MESSAGE;
    let kernel: NotebookKernel | undefined;
    try {
      if (refusal) throw new Error(refusal);
      kernel = this.kernelFor(name, controller, notebook);
    } catch (e) {
      return refuseCells(controller, cells, e as Error);
    }
    await kernel.execute(cells);
  }

  /** The notebook's kernel on this configuration (a kernel of another one, or an ended one, is replaced). */
  private kernelFor(name: string, controller: vscode.NotebookController, notebook: vscode.NotebookDocument): NotebookKernel {
    const key = notebook.uri.toString();
    const existing = this.kernels.get(key);
    if (existing && existing.configuration === name && !existing.endedWhy) return existing;
    if (existing) void existing.shutdown(`The notebook's kernel moved to configuration ${name}.`);
    const ws = launchWorkspace('a notebook kernel gets the workspace folder uploaded');
    const launch: KernelLaunch = { notebook, ...this.choose(notebook, name), ws, ...notebookPlace(notebook, ws) };
    const kernel = new NotebookKernel(this.s, launch, controller, {
      onDead: (k, why) => this.dead(k, why),
      onStartFailed: (k, e) => this.offerFix(k.configuration, e),
      onEnded: (k) => {
        if (this.kernels.get(key) === k) this.kernels.delete(key);
      },
    });
    this.kernels.set(key, kernel);
    return kernel;
  }

  /** The kernel died (daemon lost, OOM, SIGKILL): its cells ended with the reason (`why` says it); the container goes; Restart offered. */
  private dead(kernel: NotebookKernel, why: string): void {
    void kernel.shutdown(why);
    const notebook = kernel.launch.notebook;
    void prompts
      .showError(`${why.replace(/\.$/, '')} (notebook ${path.basename(notebook.uri.path)}, configuration ${kernel.configuration}).`, [
        'Restart Kernel',
      ])
      .then((a) => a && vscode.commands.executeCommand('containerExec.restartKernel', notebook.uri));
  }

  /** A failed start offers what fixes it: an image without ipykernel gets build.jupyter and a rebuild. */
  private offerFix(configuration: string, e: Error): void {
    if (!isNoIpykernel(e)) return;
    void prompts
      .showError(e.message, ['Add Jupyter Kernel Support and Rebuild'])
      .then(
        (a) =>
          a &&
          enableBuildOptionAndRebuild(
            configuration,
            'jupyter',
            'set containerExec.localDefaultImage to an image with ipykernel (python3-ipykernel)',
          ),
      );
  }

  /** Restart Kernel: in the same container; a dead kernel's notebook gets a fresh one on its next cell. */
  async restart(uri: vscode.Uri): Promise<void> {
    const kernel = this.kernels.get(uri.toString());
    if (kernel && !kernel.endedWhy && kernel.state !== 'dead') return kernel.restart();
    if (kernel) {
      await kernel.shutdown(kernel.endedWhy ?? 'Restarted after the kernel died.');
      this.kernels.delete(uri.toString());
    }
    void vscode.window.showInformationMessage(`The next cell of ${path.basename(uri.path)} starts a fresh kernel.`);
  }

  interrupt(uri: vscode.Uri): Promise<void> {
    const kernel = this.kernels.get(uri.toString());
    if (!kernel) throw new Error(`The notebook ${path.basename(uri.path)} has no Container Exec kernel running.`);
    return kernel.interrupt();
  }

  async shutDown(uri: vscode.Uri, why = 'Shut down (Shut Down Kernel).'): Promise<void> {
    const kernel = this.kernels.get(uri.toString());
    if (!kernel) throw new Error(`The notebook ${path.basename(uri.path)} has no Container Exec kernel running.`);
    this.kernels.delete(uri.toString());
    await kernel.shutdown(why);
  }

  /** Kernels of notebooks no tab shows any more start their grace period; one shown again keeps its kernel. */
  private tabsChanged(): void {
    const shown = new Set(
      vscode.window.tabGroups.all.flatMap((g) =>
        g.tabs.flatMap((t) => (t.input instanceof vscode.TabInputNotebook ? [t.input.uri.toString()] : [])),
      ),
    );
    for (const [key, kernel] of this.kernels)
      if (!shown.has(key)) {
        if (!this.closing.has(key)) this.closed(kernel.launch.notebook.uri);
      } else {
        clearTimeout(this.closing.get(key));
        this.closing.delete(key);
      }
  }

  private isOpen(key: string): boolean {
    return vscode.window.tabGroups.all.some((g) =>
      g.tabs.some((t) => t.input instanceof vscode.TabInputNotebook && t.input.uri.toString() === key),
    );
  }

  /** Closing a notebook shuts its kernel down after containerExec.notebookShutdownGraceSeconds (reopening keeps it). */
  private closed(uri: vscode.Uri): void {
    const key = uri.toString();
    if (!this.isOpen(key)) this.preferred.delete(key);
    if (!this.kernels.has(key) || this.isOpen(key)) return;
    const seconds = Math.max(0, settings().get<number>('notebookShutdownGraceSeconds') ?? 30);
    clearTimeout(this.closing.get(key));
    this.closing.set(
      key,
      setTimeout(() => {
        this.closing.delete(key);
        if (this.isOpen(key)) return;
        void this.shutDown(uri, `The notebook was closed ${seconds} s ago (containerExec.notebookShutdownGraceSeconds).`).catch(
          () => undefined,
        );
      }, seconds * 1000),
    );
  }

  /** Looks for idle kernels as often as containerExec.notebookIdleMinutes asks (not at all when it is 0). */
  private watchIdle(): void {
    clearInterval(this.idleTimer);
    const minutes = idleMinutes();
    this.idleTimer = minutes > 0 ? setInterval(() => this.stopIdle(), idleCheckMs(minutes)) : undefined;
  }

  /** containerExec.notebookIdleMinutes (0: off): kernels with no cell run for that long are shut down. */
  private stopIdle(): void {
    const minutes = idleMinutes();
    if (!(minutes > 0)) return;
    for (const [key, kernel] of this.kernels)
      if (kernel.idleMs() > minutes * 60_000) {
        this.kernels.delete(key);
        void kernel.shutdown(`No cell ran for ${minutes} min (containerExec.notebookIdleMinutes).`);
      }
  }

  override dispose(): void {
    clearInterval(this.idleTimer);
    for (const t of this.closing.values()) clearTimeout(t);
    for (const kernel of this.kernels.values()) void kernel.shutdown('VS Code closed the window.');
    this.kernels.clear();
    for (const c of this.controllers.values()) c.dispose();
    this.controllers.clear();
    super.dispose();
  }
}

/** The local default (no configuration in the settings), or undefined when its setting is broken / `name` is another. */
function localDefaultOrNone(name?: string): Configuration | undefined {
  try {
    const c = localDefault();
    return name === undefined || name === c.name ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Cells that cannot run: each ends failed with the reason as its output. */
function refuseCells(controller: vscode.NotebookController, cells: vscode.NotebookCell[], e: Error): void {
  for (const cell of cells) {
    const execution = controller.createNotebookCellExecution(cell);
    execution.start(Date.now());
    void execution.replaceOutput(
      new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: 'Container Exec', message: e.message })]),
    );
    execution.end(false, Date.now());
  }
}
