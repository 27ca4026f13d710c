// extensionTestsPath module for `npm run bench` (bench stats, the chart's part): inside a real extension host
// in code-server, twenty runs go on at once on the testbed's primary daemon (Run Recipe, sampled as every run
// is). Meanwhile the chart page times its own frames (requestAnimationFrame to the next, inside the webview):
// first a finished run's chart (the idle page: drawn once, nothing arriving), then Show Resource Usage of
// Running Runs drawing the twenty live. Both under the same load, in the same run. Then the runs are stopped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { until } from '../support/until';
import { benchHost } from './benchHost';

const RUNS = 20;
const WINDOW_MS = 15_000;

export async function run(): Promise<void> {
  const { api, ws, run } = await benchHost('bench-stats');
  const short = path.join(ws, 'short.py');
  const wait = path.join(ws, 'wait.py');
  fs.writeFileSync(short, 'import time\ntime.sleep(4)\n');
  fs.writeFileSync(wait, 'import time\ntime.sleep(600)\n');

  // the idle page's run: finished, its chart drawn from its stats.jsonl
  const finished = await run(short);
  if (finished.exitCode !== 0) throw new Error(`bench stats chart: the short run failed: ${finished.record?.message}`);

  const before = new Set(api.runs.children().map((n) => n.record.id));
  const going = Array.from({ length: RUNS }, () => run(wait));
  try {
    const sampled = () =>
      api.runs
        .children()
        .filter((n) => !before.has(n.record.id) && n.record.state === 'running' && /CPU \d+%/.test(String(api.runs.item(n).description)));
    await until(`${RUNS} runs running and sampled`, 300_000, () => sampled().length === RUNS);

    const idleNode = api.runs.children().find((n) => n.record.id === finished.runId)!;
    const idleKey = await vscode.commands.executeCommand<string>('containerExec.showResourceUsage', idleNode);
    const idlePanel = await until('the idle chart drawn', 30_000, () =>
      api.runs.charts().find((c) => c.key === idleKey && (c.drawn?.points ?? 0) > 0),
    );
    const idle = await idlePanel.measureFrames(WINDOW_MS);

    const busyKey = await vscode.commands.executeCommand<string>('containerExec.showAllResourceUsage');
    const busyPanel = await until('the twenty runs’ chart drawn', 30_000, () =>
      api.runs.charts().find((c) => c.key === busyKey && (c.drawn?.points ?? 0) >= RUNS),
    );
    const pointsBefore = busyPanel.drawn!.points;
    const busy = await busyPanel.measureFrames(WINDOW_MS);
    const drawn = api.runs.charts().find((c) => c.key === busyKey)!.drawn!;
    const result = { runs: sampled().length, idle, busy, pointsDrawn: drawn.points - pointsBefore, windowMs: WINDOW_MS };
    fs.writeFileSync(path.join(process.env.TEST_RESULTS_DIR!, 'bench-stats-chart.json'), JSON.stringify(result));
  } finally {
    for (const n of api.runs.children().filter((c) => !before.has(c.record.id)))
      await vscode.commands.executeCommand('containerExec.stopRun', n).then(undefined, () => undefined);
    await Promise.allSettled(going);
  }
}
