import * as assert from 'node:assert/strict';
import {
  CONFIGURATIONS_LIST,
  DAEMONS_LIST,
  deleteEntry,
  entryAt,
  findEntry,
  keyConflict,
  parseConfigurationSettings,
  putEntry,
} from '../../src/core';
import { FormConfig, mergeFormIntoEntry } from '../../src/shared/configEditorProtocol';

describe('settings lists: positional edits that refuse ambiguity', () => {
  const list = CONFIGURATIONS_LIST;
  const user = 'user settings';
  // an invalid "gpu" before the valid one, and an invalid duplicate "cpu" after the valid one
  const raw = [
    { name: 'gpu', resources: { memory: 'lots' } },
    { name: 'gpu', daemon: 'tcp', gpus: 'all' },
    { name: 'cpu' },
    { name: 'cpu', daemon: 'other' },
    { name: 'broken', resources: { cpus: 'two' } },
  ];
  const frozen = structuredClone(raw);
  const origin = (index: number) => ({ index, raw: structuredClone(raw[index]) });
  afterEach(() => assert.deepEqual(raw, frozen, 'an edit never changes the array it was given'));

  it('edits the entry at the index it was read from: an invalid entry of the same name, before or after it, stays as written', () => {
    const edited = putEntry(raw, list, user, { name: 'gpu', daemon: 'tcp', gpus: 2 }, origin(1));
    assert.deepEqual(edited, [raw[0], { name: 'gpu', daemon: 'tcp', gpus: 2 }, raw[2], raw[3], raw[4]]);
    assert.deepEqual(putEntry(raw, list, user, { name: 'cpu', daemon: 'tcp' }, origin(2)), [
      raw[0],
      raw[1],
      { name: 'cpu', daemon: 'tcp' },
      raw[3],
      raw[4],
    ]);
  });

  it('deletes only the entry at its index: duplicates and invalid entries of that name stay', () => {
    assert.deepEqual(deleteEntry(raw, list, user, origin(1)), [raw[0], raw[2], raw[3], raw[4]]);
    assert.deepEqual(deleteEntry(raw, list, user, origin(2)), [raw[0], raw[1], raw[3], raw[4]]);
  });

  it('refuses when the entry at that index is no longer the one read ("settings changed meanwhile, reopen")', () => {
    const shifted = raw.slice(1);
    assert.throws(
      () => putEntry(shifted, list, user, { name: 'gpu' }, origin(1)),
      /^Error: Settings changed meanwhile: containerExec\.configurations\[1\] in user settings is no longer the configuration "gpu" that was read\. Reopen it and try again\.$/,
    );
    assert.throws(() => deleteEntry(shifted, list, user, origin(1)), /Settings changed meanwhile/);
    assert.throws(
      () => deleteEntry(raw.slice(0, 1), list, user, origin(4)),
      /Settings changed meanwhile: containerExec\.configurations\[4\]/,
    );
    const changed = structuredClone(raw);
    (changed[1] as Record<string, unknown>).gpus = 1;
    assert.throws(() => putEntry(changed, list, user, { name: 'gpu' }, origin(1)), /Settings changed meanwhile/);
    assert.throws(() => entryAt(changed, list, user, origin(1)), /Settings changed meanwhile/);
    assert.deepEqual(entryAt(raw, list, user, origin(1)), raw[1]);
  });

  it('refuses a name held by an invalid entry, naming the entry (scope, index) and why it is invalid', () => {
    const taken =
      /^Error: name "broken" is held by an invalid entry, containerExec\.configurations\[4\] in user settings \(resources\.cpus must be a number of CPUs.*\): fix or remove that entry in settings\.json first, or choose another name$/;
    assert.throws(() => putEntry(raw, list, user, { name: 'broken' }), taken); // New Configuration
    assert.throws(() => putEntry(raw, list, user, { name: 'broken' }, origin(2)), taken); // rename
    assert.throws(
      () => putEntry([{ name: 'a' }, { name: 'a', daemon: 'x' }], list, 'workspace settings', { name: 'a' }),
      /name: a configuration "a" exists already in workspace settings \(containerExec\.configurations\[0\]\)/,
    );
    assert.match(
      keyConflict(raw.slice(0, 1), list, user, 'gpu')!,
      /containerExec\.configurations\[0\] in user settings \(resources\.memory: "lots"/,
    );
    assert.equal(keyConflict(raw, list, user, 'free'), undefined);
    assert.equal(keyConflict(raw, list, user, 'broken', 4), undefined, 'an entry does not conflict with itself');
  });

  it('never replaces a setting that is not an array; an unset one is an empty list', () => {
    const message = /^Error: containerExec\.configurations in user settings is not an array: fix it in settings\.json$/;
    assert.throws(() => putEntry({ name: 'gpu' }, list, user, { name: 'new' }), message);
    assert.throws(() => putEntry('gpu', list, user, { name: 'new' }), message);
    assert.throws(() => deleteEntry({ 0: raw[0] }, list, user, origin(0)), message);
    assert.throws(
      () => putEntry({ id: 'a' }, DAEMONS_LIST, 'workspace settings', { id: 'b', host: 'tcp://b:1' }),
      /^Error: containerExec\.daemons in workspace settings is not an array: fix it in settings\.json$/,
    );
    assert.deepEqual(putEntry(undefined, list, user, { name: 'new' }), [{ name: 'new' }]);
    assert.deepEqual(putEntry(null, list, user, { name: 'new' }), [{ name: 'new' }]);
  });

  it('finds only a valid entry by key (an invalid one is never an edit target)', () => {
    assert.equal(findEntry(raw, list, 'gpu')?.index, 1);
    assert.equal(findEntry(raw, list, 'cpu')?.index, 2);
    assert.equal(findEntry(raw, list, 'broken'), undefined);
    assert.deepEqual(
      parseConfigurationSettings(raw).map((e) => e.ok && e.raw === raw[e.index]),
      [false, true, true, false, false],
    );
  });
});

describe('configuration editor save: the form merged into the stored entry', () => {
  const stored = {
    name: 'gpu',
    daemon: 'tcp',
    baseImage: 'img:1',
    registry: { url: 'r:5000', username: 'me' },
    resources: {
      memory: '2g',
      cpus: 2,
      ulimits: { nofile: { soft: 1024, hard: 2048 } },
      advanced: { CpuPeriod: 100000, MemorySwappiness: 0 },
    },
    gpus: 'all',
    env: { A: '1' },
    build: { python: true, r: true, systemPackages: ['git'], cuda: { enabled: true, version: '12.4' }, dockerfileAppend: 'RUN true' },
  };

  it('keeps build, resources.ulimits, resources.advanced exactly; sets what the form sends; removes what it cleared', () => {
    const form = { name: 'gpu', daemon: 'tcp', resources: { memory: '4g' }, gpus: 'all' };
    const merged = mergeFormIntoEntry(structuredClone(stored), form);
    assert.deepEqual(merged, {
      name: 'gpu',
      daemon: 'tcp',
      resources: { memory: '4g', ulimits: stored.resources.ulimits, advanced: stored.resources.advanced },
      gpus: 'all',
      build: stored.build,
    });
    assert.deepEqual(Object.keys(merged), ['name', 'daemon', 'resources', 'gpus', 'build'], 'kept keys stay where they were');
  });

  it('a new configuration is what the form sends; resources cleared entirely disappear', () => {
    assert.deepEqual(mergeFormIntoEntry(undefined, { name: 'a', resources: { cpus: 1 } }), { name: 'a', resources: { cpus: 1 } });
    assert.deepEqual(mergeFormIntoEntry({ name: 'a', resources: { cpus: 1 } }, { name: 'a' }), { name: 'a' });
  });

  it('the save message carries only keys the form edits (a webview cannot overwrite build through it)', () => {
    assert.ok(FormConfig.safeParse({ name: 'a', resources: { memory: '1g' } }).success);
    assert.ok(!FormConfig.safeParse({ name: 'a', build: { r: true } }).success);
    assert.ok(!FormConfig.safeParse({ name: 'a', resources: { ulimits: {} } }).success);
  });
});
