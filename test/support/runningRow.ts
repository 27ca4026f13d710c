// In-host tests: the Runs view's row of a run once it runs and its recipe has printed, for the tests that act on a
// running run (Stop Run, Open Shell in Run, closing its terminal).
import * as fs from 'node:fs';
import type { ContainerExecApi } from '../../src/extension';
import type { RunRecord } from '../../src/runs/runHistory';
import { until } from './until';

/** The row of the run `which` picks, once its container runs and its run.log holds `printed`; each within `ms`. */
export async function runningRow(api: ContainerExecApi, which: (r: RunRecord) => unknown, printed: string, ms: number) {
  const node = await until('the running row', ms, () =>
    api.runs.children().find((n) => n.record.state === 'running' && n.record.containerId && which(n.record)),
  );
  await until(
    `"${printed}" in run.log`,
    ms,
    () => fs.existsSync(node.record.logFile) && fs.readFileSync(node.record.logFile, 'utf8').includes(printed),
  );
  return node;
}
