import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readStatsLog, STATS_FILE, type UsageSample } from '../core';
import { UsageFromWebview, type ChartRun, type UsageToWebview } from '../shared/usageChartProtocol';
import type { RunRecord } from './runHistory';
import type { RunUsage } from './runUsage';

/** What a chart page last reported (tests and the bench read it). */
export interface Drawn {
  points: number;
  frameMs: number;
}

/** The page's frame times over a while (the bench reads them): ms from one animation frame to the next. */
export interface FrameTimes {
  count: number;
  maxMs: number;
  p99Ms: number;
}

interface Open {
  panel: vscode.WebviewPanel;
  runIds: Set<string>;
  drawn?: Drawn;
  /** The bench's pending frame measure, answered by the page's `frames`. */
  framesAnswer?: (f: FrameTimes) => void;
}

/** A run's samples for a chart: live ones while it runs, else its stats.jsonl (none when the file is gone). */
async function samplesOf(record: RunRecord, usage: RunUsage): Promise<UsageSample[]> {
  const live = usage.get(record.id);
  if (live) return [...live.recent];
  return readStatsLog(path.join(path.dirname(record.logFile), STATS_FILE)).catch(() => []);
}

/** Show Resource Usage: one panel per set of runs (re-focused when open), fed live while its runs go on. */
export class UsageCharts implements vscode.Disposable {
  private readonly panels = new Map<string, Open>();
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly usage: RunUsage,
  ) {
    // a sample goes to every panel showing its run; batching is the page's (it draws once per frame)
    this.subs = [
      usage.onDidSample(({ runId, sample }) => this.toPanelsOf(runId, { type: 'samples', runId, samples: [sample] })),
      usage.onDidEnd((runId) => this.toPanelsOf(runId, { type: 'ended', runId })),
    ];
  }

  /** For tests: open panels by key (the run ids, comma-joined) and what each page last drew. */
  openPanels(): {
    key: string;
    drawn?: Drawn;
    html: string;
    localResourceRoots: string[];
    measureFrames(ms: number): Promise<FrameTimes>;
  }[] {
    return [...this.panels].map(([key, o]) => ({
      key,
      drawn: o.drawn,
      measureFrames: (ms: number) => this.measureFrames(o, ms),
      html: o.panel.webview.html,
      localResourceRoots: (o.panel.webview.options.localResourceRoots ?? []).map((u) => u.fsPath),
    }));
  }

  async open(records: RunRecord[], title: string): Promise<string> {
    const key = records.map((r) => r.id).join(',');
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      return key;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('containerExec.usageChart', title, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true, // the live series keeps growing while the panel is hidden
      localResourceRoots: [dist],
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'container-exec.svg');
    const open: Open = { panel, runIds: new Set(records.map((r) => r.id)) };
    this.panels.set(key, open);
    panel.onDidDispose(() => this.panels.delete(key));
    panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(open, records, raw));
    panel.webview.html = this.html(panel.webview, dist);
    return key;
  }

  private async receive(open: Open, records: RunRecord[], raw: unknown): Promise<void> {
    const parsed = UsageFromWebview.safeParse(raw);
    if (!parsed.success) return; // not a message this page sends
    const m = parsed.data;
    if (m.type === 'drawn') open.drawn = { points: m.points, frameMs: m.frameMs };
    else if (m.type === 'frames') open.framesAnswer?.({ count: m.count, maxMs: m.maxMs, p99Ms: m.p99Ms });
    else await this.post(open.panel, { type: 'init', runs: await Promise.all(records.map((r) => this.chartRun(r))) });
  }

  private async chartRun(r: RunRecord): Promise<ChartRun> {
    return {
      id: r.id,
      title: `${r.recipe} · ${r.configuration}`,
      cpuLimit: r.usage?.cpuLimit,
      running: Boolean(this.usage.get(r.id)),
      samples: await samplesOf(r, this.usage),
    };
  }

  /** The page's frame times over `ms` (for the bench); rejects when it does not answer within twice that. */
  private measureFrames(open: Open, ms: number): Promise<FrameTimes> {
    return new Promise<FrameTimes>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the chart page did not time its frames within ${2 * ms + 5000} ms`)), 2 * ms + 5000);
      open.framesAnswer = (f) => {
        clearTimeout(timer);
        open.framesAnswer = undefined;
        resolve(f);
      };
      void this.post(open.panel, { type: 'measureFrames', ms });
    });
  }

  private toPanelsOf(runId: string, m: UsageToWebview): void {
    for (const o of this.panels.values()) if (o.runIds.has(runId)) void this.post(o.panel, m);
  }

  private post(panel: vscode.WebviewPanel, m: UsageToWebview): Thenable<boolean> {
    return panel.webview.postMessage(m);
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'usageChart.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'usageChart.css'));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}" nonce="${nonce}">
<style nonce="${nonce}">
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
#runs { margin: 8px 0; color: var(--vscode-descriptionForeground); }
.u-title { font-size: 1em; font-weight: 600; }
.u-legend { color: var(--vscode-foreground); }
.u-select { background: var(--vscode-editor-selectionBackground); }
section { margin-bottom: 12px; }
</style>
<title>Resource usage</title></head>
<body><div id="runs">Loading…</div><main id="charts"></main><script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    for (const o of [...this.panels.values()]) o.panel.dispose();
  }
}
