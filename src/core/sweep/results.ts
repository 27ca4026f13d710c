import { targetIsOneDaemon } from '../backend/descriptors';
import type { TrialProgress } from './scheduler';

/** One results row per trial: parameters, state, daemon, duration, exit code, attempts, metrics. */
export interface ResultsTable {
  columns: string[];
  rows: (string | number | undefined)[][];
  /** The metric columns (numbers): the markdown marks each one's lowest and highest. */
  metricColumns: string[];
}

const seconds = (t: TrialProgress) => (t.startedAt && t.endedAt ? Math.round((t.endedAt - t.startedAt) / 100) / 10 : undefined);

export function resultsTable(trials: TrialProgress[]): ResultsTable {
  const params = [...new Set(trials.flatMap((t) => Object.keys(t.trial.params)))];
  const metrics = [...new Set(trials.flatMap((t) => Object.keys(t.metrics?.values ?? {})))];
  const fixed = ['trial', ...params, 'state', 'daemon', 'seconds', 'exit_code', 'attempts'];
  const rows = trials.map((t) => [
    t.trial.index,
    ...params.map((p) => (t.trial.params[p] === undefined ? undefined : String(t.trial.params[p]))),
    t.state,
    // a pool's or swarm's choice, else the one daemon the configuration names
    t.placement?.daemon ?? (t.target && targetIsOneDaemon(t.target) ? t.target.id : undefined),
    seconds(t),
    t.outcome?.exitCode,
    t.attempt + 1,
    ...metrics.map((m) => t.metrics?.values[m]),
    t.message,
  ]);
  // a metric named like a column ("trial", a parameter) gets a prefix: every header names one column
  const metricColumns = metrics.map((m) => (fixed.includes(m) || m === 'message' ? `metric_${m}` : m));
  return { columns: [...fixed, ...metricColumns, 'message'], rows, metricColumns };
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (v: string | number | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function resultsCsv(table: ResultsTable): string {
  return [table.columns, ...table.rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const mdCell = (v: string | number | undefined) => (v === undefined ? '' : String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));

/** A markdown table: each metric's lowest value marked ▼ and highest ▲ (which is best depends on the metric). */
export function resultsMarkdown(title: string, summary: string, table: ResultsTable): string {
  const marks = new Map<string, string>();
  for (const m of table.metricColumns) {
    const col = table.columns.indexOf(m);
    const values = table.rows.map((r) => r[col]).filter((v): v is number => typeof v === 'number');
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    if (values.length < 2 || lo === hi) continue;
    table.rows.forEach((r, i) => {
      if (r[col] === lo) marks.set(`${i}:${col}`, ' ▼');
      if (r[col] === hi) marks.set(`${i}:${col}`, ' ▲');
    });
  }
  const lines = [
    `# ${mdCell(title)}`,
    '',
    mdCell(summary),
    '',
    `| ${table.columns.map(mdCell).join(' | ')} |`,
    `| ${table.columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map((r, i) => `| ${r.map((v, col) => mdCell(v) + (marks.get(`${i}:${col}`) ?? '')).join(' | ')} |`),
    '',
    table.metricColumns.length
      ? '▼ lowest, ▲ highest of a metric. The same rows are in results.csv (open it in a spreadsheet to sort).'
      : 'No metrics: a trial reports them by writing flat numbers to out/metrics.json.',
    '',
  ];
  return lines.join('\n');
}
