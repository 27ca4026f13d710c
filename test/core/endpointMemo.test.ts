// endpointMemo: what describes a daemon is asked once a minute per endpoint, shared by its clients (pure).
import * as assert from 'node:assert/strict';
import { clearEndpointMemo, endpointMemo } from '../../src/core/endpointMemo';
import { parseDaemonDescription } from '../../src/core';

describe('endpointMemo (pure)', () => {
  beforeEach(() => clearEndpointMemo());

  it('one ask per endpoint and question, whatever the id it is saved under; TLS material or another question is another entry; a failed ask is forgotten', async () => {
    let asked = 0;
    const ask = async () => ++asked;
    const a = parseDaemonDescription({ id: 'a', host: 'tcp://10.0.0.1:2376' });
    const b = parseDaemonDescription({ id: 'b', label: 'same box', host: 'tcp://10.0.0.1:2376' });
    const tls = parseDaemonDescription({ id: 'c', host: 'tcp://10.0.0.1:2376', tls: { enabled: true, certPath: '/certs' } });
    assert.equal(await endpointMemo('version', a, ask), 1);
    assert.equal(await endpointMemo('version', b, ask), 1);
    assert.equal(await endpointMemo('version', tls, ask), 2);
    assert.equal(await endpointMemo('info', a, ask), 3);
    const failing = endpointMemo('ping', a, () => Promise.reject(new Error('down')));
    await assert.rejects(failing, /down/);
    assert.equal(await endpointMemo('ping', a, ask), 4);
  });
});
