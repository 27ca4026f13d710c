// extensionTestsPath module for `npm run bench` (bench logs): a recipe prints LOG_MB of output on the
// testbed's primary daemon through the Run Recipe command, inside the real extension host; the host's
// event loop delay is sampled meanwhile (perf_hooks.monitorEventLoopDelay, 10 ms resolution).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need } from '../support/testbed';

export const LOG_MB = 100;

export async function run(): Promise<void> {
  await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate();
  const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const recipe = path.join(ws, 'print_lots.py');
  // 100-byte lines, written a megabyte at a time
  fs.writeFileSync(recipe, `import sys\nblock = (("x" * 99) + "\\n").encode() * 10000\nfor _ in range(${LOG_MB}):\n    sys.stdout.buffer.write(block)\nsys.stdout.flush()\n`);
  await vscode.workspace.getConfiguration('containerExec').update('configurations', [{ name: 'bench-logs', daemon: 'local', baseImage: need('PYTHON_IMAGE') }], vscode.ConfigurationTarget.Workspace);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const r = await vscode.commands.executeCommand<RunResult>('containerExec.runRecipeOnConfiguration', vscode.Uri.file(recipe), 'bench-logs');
  delay.disable();
  if (r.exitCode !== 0 || !r.record) throw new Error(`bench logs: the run failed: ${r.record?.message}`);
  const result = { bytes: r.record.outputBytes!, streamMs: r.record.outputMs!, ms: r.record.endedAt! - r.record.startedAt, maxStallMs: delay.max / 1e6, p99StallMs: delay.percentile(99) / 1e6 };
  fs.writeFileSync(path.join(process.env.TEST_RESULTS_DIR!, 'bench-logs.json'), JSON.stringify(result));
}
