// extensionTestsPath module for `npm run bench`: activates Container Exec in the real host and records
// what activate() cost and whether it touched Docker, before any view is shown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec');
  if (!ext) throw new Error('container-exec.container-exec is not loaded');
  const t0 = performance.now();
  const api = await ext.activate();
  const result = { activationMs: api.activationMs, activateCallMs: performance.now() - t0, engineCalls: api.engineCalls() };
  const dir = process.env.TEST_RESULTS_DIR;
  if (!dir) throw new Error('TEST_RESULTS_DIR is not set: run through "npm run bench"');
  fs.writeFileSync(path.join(dir, `bench-activate-${process.pid}.json`), JSON.stringify(result));
}
