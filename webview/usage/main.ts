// The resource-usage chart (browser bundle): CPU, memory (with its limit), network and block I/O of one
// or several runs, drawn with uPlot and coloured from the VS Code theme's --vscode-* variables.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { UsageToWebview, type ChartRun, type UsageFromWebview } from '../../src/shared/usageChartProtocol';
import { appendSamples, emptySeries, type RunSeries } from './series';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: UsageFromWebview) => vscode.postMessage(m);

interface Shown {
  run: ChartRun;
  series: RunSeries;
  previous: { last?: ChartRun['samples'][number] };
}
const runs = new Map<string, Shown>();
let charts: uPlot[] = [];

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const PALETTE = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];
const colour = (i: number) => css(`--vscode-charts-${PALETTE[i % PALETTE.length]}`, '#3794ff');

const bytes = (n: number | null) => {
  if (n === null || !Number.isFinite(n)) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  for (; Math.abs(n) >= 1000 && i < units.length - 1; i++) n /= 1000;
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${units[i]}`;
};

type Pick = (s: RunSeries) => (number | null)[];
interface ChartSpec {
  title: string;
  unit: (n: number | null) => string;
  lines: { label: string; pick: Pick; dash?: number[] }[];
}
const CHARTS: ChartSpec[] = [
  { title: 'CPU (% of one CPU)', unit: (n) => (n === null ? '' : `${Math.round(n)}%`), lines: [{ label: 'CPU', pick: (s) => s.cpu }] },
  {
    title: 'Memory',
    unit: bytes,
    lines: [
      { label: 'used', pick: (s) => s.mem },
      { label: 'limit', pick: (s) => s.limit, dash: [6, 4] },
    ],
  },
  {
    title: 'Network (per second)',
    unit: bytes,
    lines: [
      { label: 'in', pick: (s) => s.netRx },
      { label: 'out', pick: (s) => s.netTx, dash: [3, 3] },
    ],
  },
  {
    title: 'Block I/O (per second)',
    unit: bytes,
    lines: [
      { label: 'read', pick: (s) => s.blkRead },
      { label: 'write', pick: (s) => s.blkWrite, dash: [3, 3] },
    ],
  },
];

/** One chart's data: every run's lines on one time axis (runs sampled at different moments are joined, gaps left). */
function dataOf(spec: ChartSpec): uPlot.AlignedData {
  const tables = [...runs.values()].map(({ series }) => [series.x, ...spec.lines.map((l) => l.pick(series))] as uPlot.AlignedData);
  if (!tables.length) return [[]];
  return tables.length === 1 ? tables[0]! : uPlot.join(tables);
}

function build(): void {
  charts.forEach((c) => c.destroy());
  const root = document.getElementById('charts')!;
  root.replaceChildren();
  const fg = css('--vscode-foreground', '#ccc');
  const grid = css('--vscode-editorWidget-border', css('--vscode-panel-border', '#8884'));
  // high contrast: the grid dashed and the lines wider, so a line never reads as a grid line of the same colour
  const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const width = Math.max(320, root.clientWidth - 8);
  // the colours drawn, for the UI test (canvas pixels cannot say which variable they came from)
  document.body.dataset.colours = JSON.stringify({ text: fg, grid, lines: [...runs.keys()].map((_, i) => colour(i)) });
  charts = CHARTS.map((spec) => {
    const box = document.createElement('section');
    root.append(box);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1, dash: hc ? [2, 4] : undefined }, ticks: { stroke: grid, width: 1 } };
    const many = runs.size > 1;
    const series: uPlot.Series[] = [{}];
    [...runs.values()].forEach(({ run }, i) =>
      spec.lines.forEach((l) =>
        series.push({
          label: many ? `${run.title} ${l.label}` : l.label,
          stroke: colour(i),
          dash: l.dash,
          width: hc ? 2 : 1.5,
          spanGaps: true,
          points: { show: false },
          value: (_u, v) => spec.unit(v),
        }),
      ),
    );
    return new uPlot(
      {
        title: spec.title,
        width,
        height: 180,
        series,
        scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max, spec.unit === bytes ? 1024 : 10) * 1.05] } },
        axes: [axis, { ...axis, size: 70, values: (_u, splits) => splits.map((v) => spec.unit(v)) }],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      dataOf(spec),
      box,
    );
  });
  report();
}

let pending = false;
/** Redraws once per frame however many messages came. */
function redraw(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const t0 = performance.now();
    charts.forEach((c, i) => c.setData(dataOf(CHARTS[i]!)));
    report(performance.now() - t0);
  });
}

function report(frameMs = 0): void {
  const points = [...runs.values()].reduce((n, r) => n + r.series.x.length, 0);
  document.body.dataset.points = String(points);
  post({ type: 'drawn', points, frameMs });
}

/** The time between two animation frames, for `ms` (the bench: a long one is a frame the user saw late). */
function measureFrames(ms: number): void {
  const deltas: number[] = [];
  const t0 = performance.now();
  let last = t0;
  const frame = (now: number) => {
    deltas.push(now - last);
    last = now;
    if (now - t0 < ms) requestAnimationFrame(frame);
    else {
      const sorted = deltas.slice(1).sort((a, b) => a - b); // the first delta is from the request, not a frame
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      post({ type: 'frames', count: sorted.length, maxMs: at(1), p99Ms: at(0.99) });
    }
  };
  requestAnimationFrame(frame);
}

function header(): void {
  const h = document.getElementById('runs')!;
  h.textContent = [...runs.values()].map(({ run }) => `${run.title}${run.running ? '' : ' (ended)'}`).join(' · ') || 'No run is going on.';
}

window.addEventListener('message', (e: MessageEvent) => {
  const parsed = UsageToWebview.safeParse(e.data);
  if (!parsed.success) return;
  const m = parsed.data;
  if (m.type === 'init') {
    runs.clear();
    for (const run of m.runs) {
      const shown: Shown = { run, series: emptySeries(), previous: {} };
      appendSamples(shown.series, run.samples, shown.previous);
      runs.set(run.id, shown);
    }
    header();
    build();
  } else if (m.type === 'samples') {
    const shown = runs.get(m.runId);
    if (!shown) return;
    appendSamples(shown.series, m.samples, shown.previous);
    redraw();
  } else if (m.type === 'measureFrames') {
    measureFrames(m.ms);
  } else {
    const shown = runs.get(m.runId);
    if (shown) shown.run.running = false;
    header();
  }
});

// a theme change (light, dark, high contrast) changes the body's class and the --vscode-* colours
new MutationObserver(() => build()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new ResizeObserver(() => {
  const width = Math.max(320, document.getElementById('charts')!.clientWidth - 8);
  charts.forEach((c) => c.setSize({ width, height: 180 }));
}).observe(document.getElementById('charts')!);
post({ type: 'ready' });
