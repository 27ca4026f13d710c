// Desktop runs of the in-host suite through @vscode/test-cli + @vscode/test-electron (needs internet to
// download VS Code): `npm run test:desktop`. On offline machines `npm test` runs the same suite in
// code-server instead. The in-host tests read the testbed endpoints: start it first
// (sudo bash scripts/testbed.sh start) or point CONTAINER_EXEC_TESTBED_ENV at an env file.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'in-host',
  files: 'out/test/host/**/*.test.js',
  version: '1.95.0',
  workspaceFolder: './demo',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  env: { CONTAINER_EXEC_TESTBED_ENV: process.env.CONTAINER_EXEC_TESTBED_ENV ?? '/tmp/container-exec-testbed/env' },
  mocha: { ui: 'bdd', timeout: 20000 },
});
