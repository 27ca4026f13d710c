// Core suite entry: plain node + mocha against the real daemons of the testbed.
import { findTests, runMocha } from '../support/mochaRun';

void runMocha('core', findTests(__dirname)).then((r) => process.exit(r.failures.length ? 1 : 0));
