// extensionTestsPath module of the Restricted Mode host (scripts/test.mjs starts it with Workspace Trust on
// and an untrusted folder): VS Code calls run() inside that extension host.
import { findTests, runMocha } from '../support/mochaRun';

export async function run(): Promise<void> {
  const r = await runMocha('restricted', findTests(__dirname), { color: false });
  if (r.failures.length) throw new Error(`${r.failures.length} Restricted Mode tests failed`);
}
