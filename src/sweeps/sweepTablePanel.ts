import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resultsCsv, resultsTable, RUN_ID, sweepFolder, type TrialProgress } from '../core';
import { prompts } from '../prompts';
import type { Services } from '../services';
import {
  betterOf,
  SweepTableFromWebview,
  type SweepTable,
  type SweepTableRow,
  type SweepTableToWebview,
} from '../shared/sweepTableProtocol';
import { workspaceDir } from '../workspace';
import { cancelSweep, sweepTrials } from './sweepRunner';
import { liveSweeps } from './sweepTrials';

interface Open {
  sweepId: string;
  panel: vscode.WebviewPanel;
  /** The last table sent to the page (tests read it). */
  sent?: SweepTable;
  /** A refresh is going on; another change came meanwhile. */
  refreshing?: Promise<void>;
  dirty?: boolean;
  /** A redraw is due (changes within REDRAW_MS are drawn together: a large sweep changes often). */
  timer?: NodeJS.Timeout;
}

const REDRAW_MS = 200;

const panels = new Map<string, Open>();

/** The table's heading and what the page needs beside the rows. */
interface TableHead {
  sweepId: string;
  title: string;
  summary: string;
  running: boolean;
  /** The sweep's maxParallel while it runs in this window (a trial no worker took yet waits for a slot). */
  maxParallel?: number;
}

/** The state cell: why a queued trial waits, where a running one runs; else its state. */
function stateCell(t: TrialProgress, daemon: string | number | null | undefined, maxParallel: number | undefined): string {
  if (t.state === 'queued') {
    // the pool's queue says why (a budget, no free slot); else the sweep's own cap or the attempt starting
    const slot = `waiting for a free slot${maxParallel ? ` (maxParallel ${maxParallel})` : ''}`;
    const why = t.message ?? (t.runId ? 'starting' : slot);
    return `queued: ${why}`;
  }
  if (t.state === 'running') return daemon ? `running on ${daemon}` : 'running';
  return t.state;
}

/** The rows the page shows: resultsTable's cells, the state cell saying why a trial waits or where it runs, the best marked. */
export function tableOf(head: TableHead, trials: TrialProgress[]): SweepTable {
  const t = resultsTable(trials);
  const col = (name: string) => t.columns.indexOf(name);
  const better = Object.fromEntries(t.metricColumns.map((m) => [m, betterOf(m)]));
  const best = new Map<string, number>();
  for (const m of t.metricColumns) {
    const values = t.rows.map((r) => r[col(m)]).filter((v): v is number => typeof v === 'number');
    if (values.length >= 2 && Math.min(...values) !== Math.max(...values))
      best.set(m, better[m] === 'lower' ? Math.min(...values) : Math.max(...values));
  }
  const rows = trials.map((trial, i): SweepTableRow => {
    const cells = t.rows[i]!.map((v) => v ?? null);
    cells[col('state')] = stateCell(trial, cells[col('daemon')], head.maxParallel);
    return {
      trial: trial.trial.index,
      cells,
      state: trial.state,
      best: [...best].filter(([m, v]) => t.rows[i]![col(m)] === v).map(([m]) => m),
      openable: Boolean(trial.runId && trial.outputsDir),
    };
  });
  const { sweepId, title, summary, running } = head;
  return { sweepId, title, summary, running, columns: t.columns, metricColumns: t.metricColumns, better, rows };
}

const tally = (trials: TrialProgress[]) =>
  (['running', 'queued', 'succeeded', 'failed', 'cancelled'] as const)
    .map((st) => [st, trials.filter((t) => t.state === st).length] as const)
    .filter(([, n]) => n)
    .map(([st, n]) => `${n} ${st}`)
    .join(', ');

/** The table of sweep `sweepId` as it is now (this window's live trials, else its run records). */
async function currentTable(s: Services, sweepId: string): Promise<{ table: SweepTable; trials: TrialProgress[] }> {
  const live = liveSweeps.get(sweepId);
  const trials = await sweepTrials(s, sweepId);
  const file = live?.file ?? s.runs.history.all().find((r) => r.sweep?.id === sweepId)?.sweep?.file ?? sweepId;
  const running = Boolean(live?.running);
  const summary = (!running && live?.message) || `${trials.length} trials: ${tally(trials) || 'none yet'}.`;
  const title = `Sweep ${path.posix.basename(file)} (${sweepId})`;
  return { table: tableOf({ sweepId, title, summary, running, maxParallel: live?.maxParallel }, trials), trials };
}

const SWEEP_TABLE_VIEW = 'containerExec.sweepTable';

/** Feeds `panel` the table of sweep `sweepId`, redrawn on every change of its trials, and handles its buttons. */
function attach(s: Services, panel: vscode.WebviewPanel, sweepId: string): void {
  const dist = vscode.Uri.joinPath(s.context.extensionUri, 'dist');
  panel.iconPath = vscode.Uri.joinPath(s.context.extensionUri, 'media', 'container-exec.svg');
  const open: Open = { sweepId, panel };
  panels.set(sweepId, open);
  const refresh = () => {
    open.timer ??= setTimeout(() => {
      open.timer = undefined;
      void refreshTable(s, open);
    }, REDRAW_MS);
  };
  const subs = [
    liveSweeps.onDidChange((id) => id === sweepId && refresh()),
    // a sweep of an earlier window: its records change when its lost trials are found
    s.runs.history.onDidChange(() => !liveSweeps.get(sweepId) && refresh()),
  ];
  panel.onDidDispose(() => {
    panels.delete(sweepId);
    clearTimeout(open.timer);
    subs.forEach((d) => d.dispose());
  });
  panel.webview.onDidReceiveMessage((raw: unknown) => void receive(s, open, raw));
  panel.webview.html = html(panel.webview, dist);
}

/** Sweep results tables: one panel per sweep (re-focused when open), redrawn on every change of its trials. */
export const sweepTables = {
  open(s: Services, sweepId: string): void {
    const existing = panels.get(sweepId);
    if (existing) return existing.panel.reveal(undefined, true);
    const dist = vscode.Uri.joinPath(s.context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      SWEEP_TABLE_VIEW,
      `Sweep ${sweepId}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [dist] },
    );
    attach(s, panel, sweepId);
  },

  /** Registers the restoring of tables open before a window reload: shown again from the sweep's records. */
  restoreOnReload: (s: Services): vscode.Disposable =>
    vscode.window.registerWebviewPanelSerializer(SWEEP_TABLE_VIEW, {
      // the page keeps its sweep id in its state (untrusted: checked like any id)
      async deserializeWebviewPanel(panel, state: unknown) {
        const id = (state as { sweepId?: unknown } | undefined)?.sweepId;
        if (typeof id !== 'string' || !RUN_ID.test(id) || panels.has(id)) return panel.dispose();
        panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(s.context.extensionUri, 'dist')] };
        attach(s, panel, id);
      },
    }),

  /** For tests: the open tables, what each page was last sent, its page and roots. */
  openPanels(): { sweepId: string; table?: SweepTable; html: string; localResourceRoots: string[] }[] {
    return [...panels.values()].map((o) => ({
      sweepId: o.sweepId,
      table: o.sent,
      html: o.panel.webview.html,
      localResourceRoots: (o.panel.webview.options.localResourceRoots ?? []).map((u) => u.fsPath),
    }));
  },

  /** For tests: a message as if the page of sweep `sweepId` sent it; resolves once it is handled. */
  deliver: (s: Services, sweepId: string, message: unknown) => {
    const open = panels.get(sweepId);
    if (!open) throw new Error(`No results table of sweep ${sweepId} is open.`);
    return receive(s, open, message);
  },
};

async function refreshTable(s: Services, open: Open): Promise<void> {
  if (open.refreshing) {
    open.dirty = true;
    return open.refreshing;
  }
  open.refreshing = (async () => {
    do {
      open.dirty = false;
      const { table } = await currentTable(s, open.sweepId);
      open.panel.title = table.title;
      open.sent = table;
      await post(open.panel, { type: 'table', table });
    } while (open.dirty);
  })()
    // a panel closed meanwhile, a trial folder gone: the next change draws again
    .catch((e: Error) => s.log.warn(`Sweep ${open.sweepId}'s results table: ${e.message}`))
    .finally(() => (open.refreshing = undefined));
  return open.refreshing;
}

const post = (panel: vscode.WebviewPanel, m: SweepTableToWebview) => panel.webview.postMessage(m);

/** Handles a message of the page; resolves with what an action made or opened (the CSV, the log, the output folder). */
async function receive(s: Services, open: Open, raw: unknown): Promise<unknown> {
  const parsed = SweepTableFromWebview.safeParse(raw);
  if (!parsed.success) return; // not a message this page sends
  const m = parsed.data;
  const id = open.sweepId;
  try {
    if (m.type === 'ready') return await refreshTable(s, open);
    if (m.type === 'cancel') {
      if (!cancelSweep(id)) throw new Error(`Sweep ${id} is not going on in this window: nothing to cancel.`);
      return;
    }
    if (m.type === 'rerunFailed') return void (await vscode.commands.executeCommand('containerExec.rerunFailedTrials', id));
    if (m.type === 'exportCsv') return await exportCsv(s, id);
    const trial = (await sweepTrials(s, id)).find((t) => t.trial.index === m.trial);
    if (!trial?.runId) throw new Error(`Trial ${m.trial} of sweep ${id} has not started: it has no log or outputs yet.`);
    return await vscode.commands.executeCommand(
      m.type === 'openLog' ? 'containerExec.showRunLogs' : 'containerExec.openRunOutputs',
      trial.runId,
    );
  } catch (e) {
    void prompts.showError((e as Error).message, []);
    return undefined;
  }
}

/** Export CSV: the rows as they are now, to a file the user picks (the sweep's results.csv by default). */
async function exportCsv(s: Services, sweepId: string): Promise<string | undefined> {
  const { trials } = await currentTable(s, sweepId);
  const target = await prompts.saveFile({
    title: `Export the results of sweep ${sweepId}`,
    defaultUri: vscode.Uri.file(path.join(sweepFolder(workspaceDir(), sweepId), 'results.csv')),
    filters: { CSV: ['csv'] },
  });
  if (!target) return undefined;
  await writeFile(target.fsPath, resultsCsv(resultsTable(trials)));
  return target.fsPath;
}

function html(webview: vscode.Webview, dist: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'sweepTable.js'));
  const csp = [`default-src 'none'`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
header { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
#summary { color: var(--vscode-descriptionForeground); flex: 1; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
button:hover { background: var(--vscode-button-hoverBackground); }
button:disabled { opacity: 0.5; cursor: default; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 3px 8px; text-align: left; white-space: nowrap; }
td.message { white-space: normal; color: var(--vscode-descriptionForeground); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { cursor: pointer; user-select: none; background: var(--vscode-editorWidget-background); position: sticky; top: 0; }
th:hover { color: var(--vscode-textLink-foreground); }
tr:hover td { background: var(--vscode-list-hoverBackground); }
td.best { font-weight: 600; color: var(--vscode-charts-green, var(--vscode-foreground)); }
.failed { color: var(--vscode-errorForeground); }
.cancelled { color: var(--vscode-descriptionForeground); }
.running { color: var(--vscode-charts-blue, var(--vscode-foreground)); }
a { color: var(--vscode-textLink-foreground); cursor: pointer; margin-right: 8px; }
</style>
<title>Sweep results</title></head>
<body><header><span id="summary">Loading…</span>
<button id="export" class="secondary">Export CSV</button><button id="rerun" class="secondary">Re-run Failed Trials</button><button id="cancel">Cancel Sweep</button></header>
<table><thead id="head"></thead><tbody id="rows"></tbody></table>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
}
