// AbortFanOut: many calls under one signal, each observing a child signal of its own (the sweep's attempts).
import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { AbortFanOut } from '../../src/core/abortFanOut';

describe('AbortFanOut', () => {
  it('fifty calls at once, each listening to its signal: the parent keeps one listener; its abort reaches every call; none is kept after', async () => {
    const parent = new AbortController();
    const fan = new AbortFanOut(parent.signal);
    const reasons: unknown[] = [];
    const calls = Array.from({ length: 50 }, () =>
      fan.run(
        (signal) =>
          new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => (reasons.push(signal.reason), resolve()), { once: true });
          }),
      ),
    );
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
    parent.abort('stop');
    await Promise.all(calls);
    assert.deepEqual(reasons, Array(50).fill('stop'));
    // a call started after the abort sees it at once
    assert.equal(await fan.run(async (signal) => signal.aborted), true);
    fan.dispose();
    assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  });

  it('many calls one after another leave nothing on the parent but its one listener', async () => {
    const parent = new AbortController();
    const fan = new AbortFanOut(parent.signal);
    for (let i = 0; i < 100; i++) await fan.run(async (signal) => signal.addEventListener('abort', () => undefined));
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
    fan.dispose();
    assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  });
});
