import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../runs/runHistory';

/** A row of the Runs view as runsTree's RunNode has it (a run, or a sweep whose record is its newest trial). */
interface RunNode {
  kind: 'run' | 'sweep';
  record: RunRecord;
  trials?: RunRecord[];
}

/**
 * The Runs view's top level: runs as they are, a sweep's trials grouped in one row at the place of its
 * newest trial (newest first), that row's children its trials in trial order.
 */
export function groupSweeps(records: readonly RunRecord[]): RunNode[] {
  const nodes: RunNode[] = [];
  const sweeps = new Map<string, RunNode>();
  for (const record of records) {
    if (!record.sweep) {
      nodes.push({ kind: 'run', record });
      continue;
    }
    const node = sweeps.get(record.sweep.id);
    if (node) node.trials!.push(record);
    else {
      const sweep: RunNode = { kind: 'sweep', record, trials: [record] };
      sweeps.set(record.sweep.id, sweep);
      nodes.push(sweep);
    }
  }
  for (const s of sweeps.values()) s.trials!.sort((a, b) => a.sweep!.trial - b.sweep!.trial || a.startedAt - b.startedAt);
  return nodes;
}

/** A trial's row: its index and parameters (the SWEEP_* values it got). */
export function trialLabel(r: RunRecord): string {
  const params = Object.entries(r.env)
    .filter(([k]) => k.startsWith('SWEEP_') && k !== 'SWEEP_TRIAL' && k !== 'SWEEP_ID')
    .map(([k, v]) => `${k.slice(6).toLowerCase()}=${v}`);
  return `trial ${r.sweep!.trial}${params.length ? ` (${params.join(', ')})` : ''}`;
}

/** The sweep's row: its file, how many trials are in which state; Show Sweep Results on it. */
export function sweepTreeItem(node: RunNode): vscode.TreeItem {
  const trials = node.trials ?? [];
  const sweep = node.record.sweep!;
  // a retried trial's last attempt counts
  const last = new Map(trials.map((t) => [t.sweep!.trial, t]));
  const count = (st: RunRecord['state']) => [...last.values()].filter((t) => t.state === st).length;
  const item = new vscode.TreeItem(`sweep ${path.posix.basename(sweep.file)}`, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `sweep:${sweep.id}`;
  const going = count('running') + count('queued');
  item.iconPath = new vscode.ThemeIcon(going ? 'loading~spin' : count('failed') ? 'error' : 'pass');
  item.description = [
    `${last.size} trials`,
    ...(['running', 'queued', 'succeeded', 'failed', 'cancelled'] as const).filter(count).map((st) => `${count(st)} ${st}`),
    node.record.configuration,
    new Date(Math.min(...trials.map((t) => t.startedAt))).toLocaleTimeString(),
  ].join(' · ');
  item.tooltip = `Sweep ${sweep.id} of ${sweep.file}: ${trials.length} runs of ${node.record.recipe}. Click for its results table (also in .container-exec/sweeps/${sweep.id}/results.csv and results.md).`;
  item.contextValue = going ? 'sweep.running' : 'sweep';
  item.command = { command: 'containerExec.showSweepResults', title: 'Show Sweep Results', arguments: [{ sweepId: sweep.id }] };
  return item;
}
