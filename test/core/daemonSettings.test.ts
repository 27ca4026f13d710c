import * as assert from 'node:assert/strict';
import { DAEMONS_LIST, deleteEntry, parseDaemonSettings, putEntry } from '../../src/core';

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
    assert.deepEqual(
      entries.map((e) => e.ok),
      [true, false, false, false, false],
    );
    const errors = entries.filter((e) => !e.ok).map((e) => (e as { error: string }).error);
    assert.match(errors[0]!, /Invalid daemon host "ftp:\/\/h": unknown scheme/);
    assert.match(errors[1]!, /Invalid daemon "\(no id\)": id/);
    assert.match(errors[2]!, /Duplicate id "a"/);
    assert.match(errors[3]!, /Invalid daemon "c":.*comment/);
    assert.deepEqual(parseDaemonSettings(undefined), []);
    assert.match((parseDaemonSettings({ id: 'x' })[0] as { error: string }).error, /must be an array/);
  });

  it('adding or replacing one daemon keeps every other entry exactly as written, invalid ones included', () => {
    const added = putEntry(raw, DAEMONS_LIST, 'user settings', { id: 'new', host: 'tcp://n:2376' });
    assert.deepEqual(added, [...raw, { id: 'new', host: 'tcp://n:2376' }]);
    const renamed = putEntry(raw, DAEMONS_LIST, 'user settings', { id: 'c2', host: 'tcp://h:2375' }, { index: 0, raw: raw[0] });
    assert.deepEqual(renamed, [{ id: 'c2', host: 'tcp://h:2375' }, ...raw.slice(1)]);
    assert.deepEqual(putEntry(undefined, DAEMONS_LIST, 'user settings', { id: 'x', host: 'tcp://x:1' }), [{ id: 'x', host: 'tcp://x:1' }]);
  });

  it('removing one daemon removes that entry only: the invalid one of the same id stays', () => {
    assert.deepEqual(deleteEntry(raw, DAEMONS_LIST, 'user settings', { index: 0, raw: raw[0] }), raw.slice(1));
    assert.throws(
      () => deleteEntry(raw, DAEMONS_LIST, 'user settings', { index: 3, raw: raw[0] }),
      /Settings changed meanwhile: containerExec\.daemons\[3\] in user settings is no longer the daemon "a"/,
    );
  });
});
