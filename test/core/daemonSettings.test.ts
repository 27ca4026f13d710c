import * as assert from 'node:assert/strict';
import { parseDaemonSettings, removeDaemonEntry, upsertDaemonEntry } from '../../src/core';

describe('containerExec.daemons settings', () => {
  const raw = [
    { id: 'a', host: 'tcp://h:2375' },
    { id: 'bad', host: 'ftp://h' },
    { host: 'tcp://h:1' },
    { id: 'a', host: 'unix:///x.sock' },
    { id: 'c', host: 'ssh://me@box', comment: 'unknown key' },
  ];

  it('validates each entry on its own and keeps the invalid ones with their reason', () => {
    const entries = parseDaemonSettings(raw);
    assert.deepEqual(entries.map((e) => e.ok), [true, false, false, false, false]);
    const errors = entries.filter((e) => !e.ok).map((e) => (e as { error: string }).error);
    assert.match(errors[0]!, /Invalid daemon host "ftp:\/\/h": unknown scheme/);
    assert.match(errors[1]!, /Invalid daemon "\(no id\)": id/);
    assert.match(errors[2]!, /Duplicate id "a"/);
    assert.match(errors[3]!, /Invalid daemon "c":.*comment/);
    assert.deepEqual(parseDaemonSettings(undefined), []);
    assert.match((parseDaemonSettings({ id: 'x' })[0] as { error: string }).error, /must be an array/);
  });

  it('adding or replacing one daemon keeps every other entry exactly as written, invalid ones included', () => {
    const added = upsertDaemonEntry(raw, { id: 'new', host: 'tcp://n:2376' });
    assert.deepEqual(added.slice(0, raw.length), raw);
    assert.deepEqual(added[raw.length], { id: 'new', host: 'tcp://n:2376' });
    const renamed = upsertDaemonEntry(raw, { id: 'c2', host: 'ssh://me@box' }, 'c');
    assert.deepEqual(renamed[4], { id: 'c2', host: 'ssh://me@box' });
    assert.deepEqual(renamed.slice(0, 4), raw.slice(0, 4));
    assert.deepEqual(upsertDaemonEntry(undefined, { id: 'x', host: 'tcp://x:1' }), [{ id: 'x', host: 'tcp://x:1' }]);
  });

  it('removing one daemon leaves the others untouched', () => {
    assert.deepEqual(removeDaemonEntry(raw, 'bad'), [raw[0], raw[2], raw[3], raw[4]]);
    assert.deepEqual(removeDaemonEntry(raw, 'nope'), raw);
  });
});
