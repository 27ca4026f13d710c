import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_INTERPRETERS, RUN_KINDS, debugCommand, recipeCommand, type Configuration } from '../../src/core';

const ROOT = path.resolve(__dirname, '../../..');
const input = { recipe: 'recipes/a.py', interpreters: DEFAULT_INTERPRETERS, args: ['--n', '2'] };
const withNetwork = (network?: string) => ({ name: 'c', network }) as unknown as Configuration;

describe('run kinds', () => {
  it('the run driver names no run kind: its command, label and refusals come from the kind it is given', () => {
    const driver = fs.readFileSync(path.join(ROOT, 'src/core/run/runRecipe.ts'), 'utf8');
    assert.deepEqual(driver.match(/'(run|debug|shell)'/g) ?? [], [], 'src/core/run/runRecipe.ts compares a run kind by name');
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

  it('a plain run refuses a recipe no interpreter runs (before any target is asked)', () => {
    assert.throws(() => RUN_KINDS.run.command({ ...input, recipe: 'notes.unknownext' }));
  });
});
