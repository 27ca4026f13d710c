// UI suite entry (plain node): playwright drives the code-server workbench started by scripts/test.mjs.
import { findTests, runMocha } from '../support/mochaRun';

void runMocha('ui', findTests(__dirname, '.ui.js'), { timeout: 90000 }).then((r) => process.exit(r.failures.length ? 1 : 0));
