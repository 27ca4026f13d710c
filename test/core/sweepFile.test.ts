// Sweep files: GitHub Actions' matrix rules (their documented examples), the trials' arguments and
// environment, and the refusals of bad input (each naming the file and the field).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  SweepFileSchema,
  expandMatrix,
  planSweep,
  readTrialMetrics,
  resultsCsv,
  resultsMarkdown,
  resultsTable,
  retryable,
  type TrialProgress,
} from '../../src/core';

const ROOT = path.resolve(__dirname, '../../..');
const plan = (file: unknown) => planSweep('exp.sweep.json', JSON.stringify(file), '20261207-020000-abcd');
const refused = (file: unknown, field: string, what: RegExp) =>
  assert.throws(
    () => plan(file),
    (e: Error) => {
      assert.match(e.message, /^Sweep file exp\.sweep\.json: /);
      assert.ok(e.message.includes(`${field}: `), `${e.message} names ${field}`);
      assert.match(e.message, what);
      return true;
    },
  );

describe('sweep files', () => {
  it("GitHub's include example: added to every combination it does not overwrite, a later include overwrites an added value, else a combination of its own", () => {
    // docs.github.com, "Running variations of jobs in a workflow", Example: Expanding configurations
    const combos = expandMatrix({
      axes: { fruit: ['apple', 'pear'], animal: ['cat', 'dog'] },
      include: [
        { color: 'green' },
        { color: 'pink', animal: 'cat' },
        { fruit: 'apple', shape: 'circle' },
        { fruit: 'banana' },
        { fruit: 'banana', animal: 'cat' },
      ],
    });
    assert.deepEqual(combos, [
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  it("GitHub's exclude example: a partial entry removes every combination it matches (12 - 1 - 2 = 9)", () => {
    const combos = expandMatrix({
      axes: { os: ['macos-latest', 'windows-latest'], version: [12, 14, 16], environment: ['staging', 'production'] },
      exclude: [
        { os: 'macos-latest', version: 12, environment: 'production' },
        { os: 'windows-latest', version: 16 },
      ],
    });
    assert.equal(combos.length, 9);
    assert.ok(!combos.some((c) => c.os === 'windows-latest' && c.version === 16));
    assert.ok(!combos.some((c) => c.os === 'macos-latest' && c.version === 12 && c.environment === 'production'));
  });

  it("GitHub's extending example: an include matching one combination adds its new key there only; exclude applies before include", () => {
    const combos = expandMatrix({
      axes: { os: ['windows-latest', 'ubuntu-latest'], node: [14, 16] },
      include: [
        { os: 'windows-latest', node: 16, npm: 6 },
        { os: 'ubuntu-latest', node: 14 },
      ],
      exclude: [{ os: 'ubuntu-latest', node: 14 }],
    });
    assert.deepEqual(combos, [
      { os: 'windows-latest', node: 14 },
      { os: 'windows-latest', node: 16, npm: 6 },
      { os: 'ubuntu-latest', node: 16 },
      { os: 'ubuntu-latest', node: 14 }, // excluded, then included again as its own
    ]);
  });

  it('a matrix of include alone is its entries', () => {
    assert.deepEqual(expandMatrix({ axes: {}, include: [{ a: 1 }, { a: 2, b: 'x' }] }), [{ a: 1 }, { a: 2, b: 'x' }]);
  });

  it('trials get the argument template filled, SWEEP_<NAME>, SWEEP_TRIAL and SWEEP_ID; defaults: failFast false, no failure limit', () => {
    const p = plan({ recipe: 'train.py', matrix: { lr: [0.1, 0.01], batch_size: [16] }, args: ['--lr', '${lr}', '--bs=${batch_size}'] });
    assert.equal(p.trials.length, 2);
    assert.deepEqual(p.trials[1]!.args, ['--lr', '0.01', '--bs=16']);
    assert.deepEqual(p.trials[1]!.env, { SWEEP_LR: '0.01', SWEEP_BATCH_SIZE: '16', SWEEP_TRIAL: '1', SWEEP_ID: '20261207-020000-abcd' });
    assert.equal(p.file.failFast, false);
    assert.equal(p.failureBudget, Infinity);
    assert.equal(plan({ recipe: 'r.py', matrix: { a: [1] }, failFast: true }).failureBudget, 0);
    assert.equal(plan({ recipe: 'r.py', matrix: { a: [1] }, maxFailures: 2 }).failureBudget, 2);
  });

  it('refuses an unknown placeholder naming args[i] and the parameters there are', () => {
    refused(
      { recipe: 'r.py', matrix: { lr: [1] }, args: ['--lr', '${lrr}'] },
      'args[1]',
      /\$\{lrr\} names no parameter of the matrix \(lr\): use one of them/,
    );
  });

  it('refuses a placeholder some trial has no value for, naming the trial', () => {
    refused(
      { recipe: 'r.py', matrix: { a: [1], include: [{ a: 1, b: 2 }, { a: 2 }] }, args: ['${b}'] },
      'args[0]',
      /trial 1 .* has no value for "b"/,
    );
  });

  it('refuses an empty grid, a parameter name that is not an identifier, an include naming no key, an exclude of an unknown key', () => {
    refused({ recipe: 'r.py', matrix: { a: [1], exclude: [{ a: 1 }] } }, 'matrix', /the grid is empty/);
    refused({ recipe: 'r.py', matrix: {} }, 'matrix', /the grid is empty/);
    refused({ recipe: 'r.py', matrix: { 'learning-rate': [1] } }, 'matrix.learning-rate', /not a parameter name/);
    refused({ recipe: 'r.py', matrix: { a: [] } }, 'matrix.a', /non-empty list/);
    refused({ recipe: 'r.py', matrix: { a: [1], include: [{}] } }, 'matrix.include[0]', /names no parameter/);
    refused({ recipe: 'r.py', matrix: { a: [1], exclude: [{ b: 1 }] } }, 'matrix.exclude[0].b', /not a key of the matrix \(a\)/);
    refused({ recipe: 'r.py', matrix: { lr: [1], LR: [2] } }, 'matrix.LR', /both give SWEEP_LR/);
  });

  it('refuses bad JSON, unknown fields, a bad maxParallel and failFast with maxFailures', () => {
    assert.throws(() => planSweep('x.sweep.json', '{', 'id'), /Sweep file x\.sweep\.json: not valid JSON/);
    refused({ recipe: 'r.py', matrix: { a: [1] }, maxParalel: 2 }, '', /unknown field\(s\) maxParalel/);
    refused({ recipe: 'r.py', matrix: { a: [1] }, maxParallel: 0 }, 'maxParallel', /./);
    refused({ recipe: 'r.py', matrix: { a: [1] }, failFast: true, maxFailures: 2 }, 'maxFailures', /remove maxFailures or failFast/);
  });

  it("package.json's JSON schema for *.sweep.json lists exactly the fields the parser takes", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const entry = pkg.contributes.jsonValidation.find((v: { fileMatch: string }) => v.fileMatch === '*.sweep.json');
    assert.ok(entry, 'a jsonValidation entry for *.sweep.json');
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, entry.url), 'utf8'));
    assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(SweepFileSchema.shape).sort());
  });

  it('retries only failures that are not the recipe own, unless asked', () => {
    const failed = (failure: string) => ({ state: 'failed' as const, failure: failure as never, message: '', oomKilled: false });
    assert.equal(retryable(failed('daemon-lost'), false), true);
    assert.equal(retryable(failed('engine'), false), true);
    assert.equal(retryable(failed('exit'), false), false);
    assert.equal(retryable(failed('exit'), true), true);
    assert.equal(retryable(failed('recipe'), true), false);
  });

  it('metrics are the flat numbers of out/metrics.json; the rest is named in a note', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-metrics-'));
    assert.equal(await readTrialMetrics(dir), undefined);
    fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ loss: 0.25, acc: 9, name: 'x', nested: { a: 1 } }));
    assert.deepEqual(await readTrialMetrics(dir), { values: { loss: 0.25, acc: 9 }, note: 'not flat numbers, left out: name, nested.' });
  });
});

describe('sweep results', () => {
  const trial = (index: number, params: Record<string, number | string>, state: 'succeeded' | 'failed', loss?: number): TrialProgress => ({
    trial: { index, params, args: [], env: {} },
    attempt: 0,
    runId: `r${index}`,
    outputsDir: '',
    state,
    startedAt: 1000,
    endedAt: 3500,
    placement: { daemon: 'local', reason: '' },
    outcome: { state, oomKilled: false, message: '', exitCode: state === 'failed' ? 2 : 0 },
    ...(loss === undefined ? {} : { metrics: { values: { loss, trial: index } } }),
    message: state === 'failed' ? 'Recipe exited with code 2, "oops"' : undefined,
  });

  it('one CSV row per trial (RFC 4180 quoting); a metric named like a column is prefixed; markdown marks lowest and highest', () => {
    const table = resultsTable([
      trial(0, { lr: 0.1 }, 'succeeded', 0.5),
      trial(1, { lr: 1 }, 'succeeded', 0.2),
      trial(2, { lr: 'x,y' }, 'failed'),
    ]);
    assert.equal(
      resultsCsv(table),
      [
        'trial,lr,state,daemon,seconds,exit_code,attempts,loss,metric_trial,message',
        '0,0.1,succeeded,local,2.5,0,1,0.5,0,',
        '1,1,succeeded,local,2.5,0,1,0.2,1,',
        '2,"x,y",failed,local,2.5,2,1,,,"Recipe exited with code 2, ""oops"""',
        '',
      ].join('\r\n'),
    );
    const md = resultsMarkdown('Sweep s', 'Sweep failed.', table);
    assert.match(md, /^\| 0 \| 0\.1 \| succeeded \| local \| 2\.5 \| 0 \| 1 \| 0\.5 ▲ \| 0 ▼ \|/m);
    assert.match(md, /^\| 1 \| 1 \| succeeded \| local \| 2\.5 \| 0 \| 1 \| 0\.2 ▼ \| 1 ▲ \|/m);
  });
});
