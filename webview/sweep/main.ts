// A sweep's results table (browser bundle): one row per trial, sorted by the clicked header, each
// metric's best value marked; buttons post to the host, which does the work (export, cancel, re-run).
import { SweepTableToWebview, type SweepTable, type SweepTableFromWebview, type SweepTableRow } from '../../src/shared/sweepTableProtocol';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void; setState(state: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: SweepTableFromWebview) => vscode.postMessage(m);

let table: SweepTable | undefined;
/** The column sorted by (its index) and the direction; trial order at first. */
const sort = { column: 0, descending: false };

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
};

/** Numbers before text, empty cells last whatever the direction. */
function compare(a: SweepTableRow, b: SweepTableRow): number {
  const [x, y] = [a.cells[sort.column], b.cells[sort.column]];
  if (x === null || x === undefined || y === null || y === undefined) return x === y ? 0 : x === null || x === undefined ? 1 : -1;
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
  return (sort.descending ? -order : order) || a.trial - b.trial;
}

function header(t: SweepTable): HTMLTableRowElement {
  const tr = el('tr');
  t.columns.forEach((name, i) => {
    const arrow = sort.column === i ? (sort.descending ? ' ▼' : ' ▲') : '';
    const better = t.better[name] ? ` (${t.better[name]} is better)` : '';
    const th = el('th', name + arrow);
    th.title = `Sort by ${name}${better}`;
    // a column of numbers is right-aligned, its header too
    if (t.rows.some((r) => typeof r.cells[i] === 'number')) th.classList.add('num');
    th.addEventListener('click', () => {
      sort.descending = sort.column === i ? !sort.descending : false;
      sort.column = i;
      draw();
    });
    tr.append(th);
  });
  tr.append(el('th', ''));
  return tr;
}

function row(t: SweepTable, r: SweepTableRow): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.trial = String(r.trial);
  r.cells.forEach((v, i) => {
    const name = t.columns[i]!;
    const td = el('td', v === null ? '' : String(v));
    if (typeof v === 'number') td.classList.add('num');
    if (name === 'state') td.classList.add(r.state);
    if (name === 'message') td.classList.add('message');
    if (r.best.includes(name)) {
      td.classList.add('best');
      td.textContent += ' ★';
      td.title = `Best ${name} (${t.better[name]} is better)`;
    }
    tr.append(td);
  });
  const links = el('td');
  if (r.openable)
    for (const [label, type] of [
      ['log', 'openLog'],
      ['out/', 'openOutputs'],
    ] as const) {
      const a = el('a', label);
      a.title = `Open trial ${r.trial}'s ${type === 'openLog' ? 'run.log' : 'output folder'}`;
      a.addEventListener('click', () => post({ type, trial: r.trial }));
      links.append(a);
    }
  tr.append(links);
  return tr;
}

function draw(): void {
  const t = table;
  if (!t) return;
  document.getElementById('summary')!.textContent = t.summary;
  document.getElementById('head')!.replaceChildren(header(t));
  document.getElementById('rows')!.replaceChildren(...[...t.rows].sort(compare).map((r) => row(t, r)));
  (document.getElementById('cancel') as HTMLButtonElement).disabled = !t.running;
  (document.getElementById('rerun') as HTMLButtonElement).disabled =
    t.running || !t.rows.some((r) => r.state === 'failed' || r.state === 'cancelled');
}

document.getElementById('export')!.addEventListener('click', () => post({ type: 'exportCsv' }));
document.getElementById('cancel')!.addEventListener('click', () => post({ type: 'cancel' }));
document.getElementById('rerun')!.addEventListener('click', () => post({ type: 'rerunFailed' }));

window.addEventListener('message', (e: MessageEvent) => {
  const parsed = SweepTableToWebview.safeParse(e.data);
  if (!parsed.success) return;
  table = parsed.data.table;
  vscode.setState({ sweepId: table.sweepId }); // a window reload shows this sweep again
  draw();
});
post({ type: 'ready' });
