// extensionTestsPath module: VS Code (code-server here, @vscode/test-electron on a desktop) calls run()
// inside the extension host; rejecting makes the workbench report exit code 1.
import { findTests, runMocha } from '../support/mochaRun';

export async function run(): Promise<void> {
  const r = await runMocha('host', findTests(__dirname), { color: false });
  if (r.failures.length) throw new Error(`${r.failures.length} in-host tests failed`);
}
