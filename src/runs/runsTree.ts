import * as vscode from 'vscode';
import { liveUsageText, peakUsageText, runKindTraits, targetText, usageDetailText } from '../core';
import { groupSweeps, sweepTreeItem, trialLabel } from '../sweeps/sweepNode';
import type { RunHistory, RunRecord } from './runHistory';
import type { RunUsage } from './runUsage';

export interface RunNode {
  kind: 'run' | 'sweep';
  record: RunRecord;
  /** A sweep's row (record: its newest trial): its trials' runs. */
  trials?: RunRecord[];
}

// made when a row is drawn, not at load: the bundle loads without touching the VS Code API
const ICONS: Record<RunRecord['state'], () => vscode.ThemeIcon> = {
  queued: () => new vscode.ThemeIcon('watch'),
  running: () => new vscode.ThemeIcon('loading~spin'),
  succeeded: () => new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: () => new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  cancelled: () => new vscode.ThemeIcon('circle-slash'),
};

const duration = (r: RunRecord) => {
  const s = ((r.endedAt ?? Date.now()) - r.startedAt) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
};

/** What the row says about its state: "exit 3", "OOM-killed", "lost". */
function stateText(r: RunRecord): string {
  if (r.state === 'queued') return r.message ?? 'queued';
  if (r.state === 'running') return r.placement ? `running on ${r.placement.daemon}` : 'running';
  if (r.oomKilled) return 'OOM-killed';
  if (r.lost) return 'failed (lost)';
  return r.exitCode !== undefined && r.state !== 'succeeded' ? `${r.state}, exit ${r.exitCode}` : r.state;
}

/** Runs view: runs of this workspace, newest first; a running one spins and offers Stop. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly history: RunHistory,
    private readonly usage?: RunUsage,
    /** The configuration's right-sizing hint (the Configurations view's own): a finished run's tooltip says it too. */
    private readonly sizingHint: (configuration: string) => string | undefined = () => undefined,
  ) {
    this.sub = history.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  getChildren(node?: RunNode): RunNode[] {
    if (node) return (node.trials ?? []).map((record) => ({ kind: 'run', record }));
    return groupSweeps(this.history.all());
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'sweep') return sweepTreeItem(node);
    const r = node.record;
    const item = new vscode.TreeItem(r.sweep ? trialLabel(r) : r.recipe, vscode.TreeItemCollapsibleState.None);
    const started = new Date(r.startedAt);
    const live = r.state === 'running' ? this.usage?.get(r.id) : undefined;
    const used = live ? liveUsageText(live.latest) : r.usage && peakUsageText(r.usage);
    item.id = r.id;
    item.iconPath = ICONS[r.state]();
    item.description = [
      ...(r.kind && runKindTraits(r.kind)?.namedInRunsRow ? [r.kind] : []),
      r.configuration,
      r.target.id,
      stateText(r),
      duration(r),
      started.toLocaleTimeString(),
      ...(used ? [used] : []),
      ...(r.outputsKept ? ['outputs still in container'] : []),
    ].join(' · ');
    // ".kept" before ".outputs": menus match /\.outputs$/ and /\.kept/
    item.contextValue = `run.${r.state === 'running' || r.state === 'queued' ? 'running' : 'finished'}${r.outputsKept ? '.kept' : ''}${r.outputs ? '.outputs' : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${r.recipe}** — run \`${r.id}\`\n\n`);
    md.appendMarkdown(
      `Configuration: ${r.configuration}${r.chosenBy ? ` (${r.chosenBy})` : ''} · ${targetText(r.target).replace(/"/g, '')}${r.image ? ` · image \`${r.image}\`` : ''}\n\n`,
    );
    md.appendMarkdown(`State: ${stateText(r)} · ${duration(r)} · started ${started.toLocaleString()}\n\n`);
    if (r.placement) md.appendText(`Placed on daemon ${r.placement.daemon}: ${r.placement.reason}\n\n`);
    if (r.args.length) md.appendMarkdown(`Arguments: \`${r.args.join(' ')}\`\n\n`);
    const summary = live?.summary ?? r.usage;
    if (summary) md.appendText(`Resources: ${peakUsageText(summary)} · ${usageDetailText(summary)}\n\n`);
    const sizing = r.state !== 'running' && r.state !== 'queued' && r.usage ? this.sizingHint(r.configuration) : undefined;
    if (sizing) md.appendText(`Right-sizing of ${r.configuration}: ${sizing}\n\n`);
    if (r.message) md.appendText(r.message);
    if (r.outputsKept) {
      // the reason may quote an error: text, not markdown
      md.appendMarkdown('\n\n');
      md.appendText(
        `Outputs still in container ${r.outputsKept.container} on ${targetText(r.outputsKept.target).replace(/"/g, '')} (${r.outputsKept.reason}): `,
      );
      md.appendMarkdown('**Fetch Run Outputs** brings them back, then removes the container.');
    }
    item.tooltip = md;
    item.command = { command: 'containerExec.showRunLogs', title: 'Show Logs', arguments: [{ kind: 'run', record: r }] };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
