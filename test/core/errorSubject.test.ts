import * as assert from 'node:assert/strict';
import { DaemonError, errorSubject, findConfiguration, isCancellation } from '../../src/core';

describe('what a failure names (the Edit of the UI error policy) and what is a cancellation', () => {
  it('reads the setting, configuration and daemon back from our messages', () => {
    assert.deepEqual(errorSubject(catching(() => findConfiguration('gpu-large', [], 'named by the build task'))), {
      configuration: 'gpu-large',
    });
    assert.deepEqual(errorSubject('containerExec.daemons[2] in workspace settings: host is required'), {
      setting: 'containerExec.daemons',
    });
    assert.deepEqual(errorSubject('Daemon not found: "tcp" (configuration cpu, builder daemon). Add it in the Daemons view.'), {
      configuration: 'cpu',
      daemon: 'tcp',
    });
    assert.deepEqual(errorSubject('Daemon "ssh1" is not configured: add it, or set containerExec.defaultDaemon to one of local.'), {
      setting: 'containerExec.defaultDaemon',
      daemon: 'ssh1',
    });
    assert.deepEqual(errorSubject('A configuration "cpu-small" exists already'), { configuration: 'cpu-small' });
    assert.deepEqual(errorSubject('Pick a run in the Runs view.'), {});
  });

  it("a cancelled daemon call, an AbortError and VS Code's CancellationError are cancellations; a timeout is not", () => {
    assert.equal(isCancellation(new DaemonError('cancelled', 'tcp://h:1', 'ping on tcp://h:1 was cancelled')), true);
    assert.equal(isCancellation(Object.assign(new Error('aborted'), { name: 'AbortError' })), true);
    assert.equal(isCancellation(Object.assign(new Error('Canceled'), { name: 'Canceled' })), true);
    assert.equal(isCancellation(new DaemonError('timeout', 'tcp://h:1', 'no answer')), false);
    assert.equal(isCancellation(new Error('cancelled')), false);
  });
});

function catching(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('no error');
}
