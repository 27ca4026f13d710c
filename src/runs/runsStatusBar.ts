import * as vscode from 'vscode';
import type { RunHistory } from './runHistory';

/** Your runs of this window going on: "2 running · 1 queued" (a pool's queue included); hidden when none. */
export class RunsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('containerExec.runs', vscode.StatusBarAlignment.Left, 49);
  private readonly sub: vscode.Disposable;

  constructor(private readonly history: RunHistory) {
    this.item.name = 'Container Exec runs';
    this.item.command = 'containerExec.runs.focus';
    this.sub = history.onDidChange(() => this.update());
    this.update();
  }

  private update(): void {
    const all = this.history.all();
    const running = all.filter((r) => r.state === 'running').length;
    const queued = all.filter((r) => r.state === 'queued');
    if (!running && !queued.length) return this.item.hide();
    this.item.text = `$(run-all) ${running} running${queued.length ? ` · ${queued.length} queued` : ''}`;
    this.item.tooltip = queued.length
      ? `Queued: ${queued.map((r) => `${r.recipe} — ${r.message ?? 'queued'}`).join('\n')}`
      : `${running} runs going on`;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
