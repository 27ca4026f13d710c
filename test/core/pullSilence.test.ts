// A pull whose daemon goes silent mid-call (a relay in front of the testbed's TCP daemon, frozen once the
// pull is asked): the README promises it fails, naming the daemon, after two missed pings.
import * as assert from 'node:assert/strict';
import { createDaemonClient, newRunId, pullImage } from '../../src/core';
import { Relay } from '../support/relay';
import { need } from '../support/testbed';

/** The pull's ping period (README: "every 2 s", registry.ts) and the daemon's deadline for one ping. */
const HEARTBEAT_MS = 2000;
const TIMEOUT_MS = 1500;
/** Two missed pings, each sent a period apart and failing at the daemon's deadline. */
const TWO_PINGS_MS = 2 * (HEARTBEAT_MS + TIMEOUT_MS);

describe('image pull through a daemon that goes silent (a relay in front of the TCP daemon)', function () {
  this.timeout(60000);

  it('the pull fails within 3× the two-missed-pings deadline once its daemon goes silent, naming the daemon', async () => {
    const relay = await Relay.start(need('DOCKER_TCP_HOST'), (method, p) =>
      method === 'POST' && /\/images\/create\b/.test(p) ? 0 : undefined,
    );
    // once the daemon's answer to the pull starts, nothing more passes either way, pings included (a frozen daemon)
    void relay.firstSilence.then(() => relay.freeze());
    const client = createDaemonClient({ id: 'tcp-silent', host: relay.host, timeoutMs: TIMEOUT_MS });
    const ref = `${need('DOCKER_REGISTRY')}/container-exec-test/silent-pull:${newRunId().toLowerCase()}`;
    const cancel = new AbortController();
    // without the heartbeat the pull waits for ever: the test gives up after twice the bound it checks
    void relay.firstSilence.then(() => setTimeout(() => cancel.abort(), 6 * TWO_PINGS_MS).unref());
    try {
      const failed = await pullImage(client, ref, undefined, cancel.signal, () => undefined).then(
        () => assert.fail('the pull ended as if it had succeeded'),
        (e: Error) => e,
      );
      const endedAt = Date.now();
      assert.ok(relay.silencedAt, `the pull never went silent: ${failed.message}`);
      assert.ok(!cancel.signal.aborted, `the pull did not fail by itself within ${6 * TWO_PINGS_MS} ms: ${failed.message}`);
      assert.ok(endedAt - relay.silencedAt <= 3 * TWO_PINGS_MS, `failed ${endedAt - relay.silencedAt} ms after the daemon went silent`);
      const esc = (t: string) => t.replace(/[.*+?^$()|[\]\\{}/]/g, '\\$&');
      assert.match(
        failed.message,
        new RegExp(`^Image pull of ${esc(ref)} failed: daemon ${esc(relay.host)} stopped answering during the pull: `),
      );
    } finally {
      cancel.abort();
      client.dispose();
      await relay.close();
    }
  });
});
