import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_INTERPRETERS, RUN_KINDS, debugCommand, recipeCommand, runKindTraits, type Configuration } from '../../src/core';

const ROOT = path.resolve(__dirname, '../../..');
const input = { recipe: 'recipes/a.py', interpreters: DEFAULT_INTERPRETERS, args: ['--n', '2'] };
const withNetwork = (network?: string) => ({ name: 'c', network }) as unknown as Configuration;

describe('run kinds', () => {
  it('the run driver and the run terminal name no run kind: command, label, output and hooks come from the kind they are given', () => {
    for (const file of ['src/core/run/runRecipe.ts', 'src/runs/runTask.ts']) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      assert.deepEqual(text.match(/'(run|debug|shell)'|\bdebug\b[?.]/g) ?? [], [], `${file} branches on a run kind`);
    }
  });

  it('a run runs the recipe under its interpreter, labelled run', () => {
    assert.equal(RUN_KINDS.run.name, 'run');
    assert.deepEqual(RUN_KINDS.run.command(input), recipeCommand(input.recipe, input.interpreters, input.args));
    assert.equal(RUN_KINDS.run.refusal, undefined);
  });

  it('a debug run wraps the recipe command with debugpy and refuses a shared loopback (host, container:), labelled debug', () => {
    const kind = RUN_KINDS.debug((cmd, recipe) => debugCommand(cmd, recipe, 5678));
    assert.equal(kind.name, 'debug');
    assert.deepEqual(kind.command(input), debugCommand(recipeCommand(input.recipe, input.interpreters, input.args), input.recipe, 5678));
    assert.equal(kind.refusal?.(withNetwork('bridge')), undefined);
    assert.match(kind.refusal?.(withNetwork('host')) ?? '', /Debug Recipe does not debug on configuration c: its network is "host"/);
    assert.match(kind.refusal?.(withNetwork('container:db')) ?? '', /loopback of db/);
  });

  it('a shell runs its keep-alive, no recipe (an unknown extension is no error), labelled shell', () => {
    const kind = RUN_KINDS.shell(['sleep', 'infinity']);
    assert.equal(kind.name, 'shell');
    assert.deepEqual(kind.command({ recipe: '', interpreters: {} }), ['sleep', 'infinity']);
  });

  it('a notebook kernel runs its python3 keep-alive, no recipe (an unknown extension is no error), labelled kernel', () => {
    assert.equal(RUN_KINDS.kernel.name, 'kernel');
    const cmd = RUN_KINDS.kernel.command({ recipe: 'notes.unknownext', interpreters: {} });
    assert.deepEqual(cmd.slice(0, 2), ['python3', '-c']);
    assert.match(cmd[2]!, /signal\.signal\(signal\.SIGTERM/);
    assert.equal(RUN_KINDS.kernel.refusal, undefined);
  });

  it('a sweep trial runs the recipe with the trial arguments, labelled sweep-trial', () => {
    assert.equal(RUN_KINDS.sweepTrial.name, 'sweep-trial');
    assert.deepEqual(RUN_KINDS.sweepTrial.command(input), recipeCommand(input.recipe, input.interpreters, input.args));
    assert.throws(() => RUN_KINDS.sweepTrial.command({ ...input, recipe: 'notes.unknownext' }));
  });

  it("the Runs view names a record's kind by the kind's own trait: debug and kernel yes; a plain run, a trial, an unknown kind no", () => {
    assert.equal(runKindTraits('debug')?.namedInRunsRow, true);
    assert.equal(runKindTraits('kernel')?.namedInRunsRow, true);
    for (const name of [undefined, 'run', 'sweep-trial', 'from-a-newer-version'])
      assert.ok(!runKindTraits(name)?.namedInRunsRow, String(name));
  });

  it('a plain run refuses a recipe no interpreter runs (before any target is asked)', () => {
    assert.throws(() => RUN_KINDS.run.command({ ...input, recipe: 'notes.unknownext' }));
  });
});
