import * as assert from 'node:assert/strict';
import {
  attachArguments,
  checkDebuggable,
  debugCommand,
  debuggeeCommand,
  DapReader,
  DEFAULT_INTERPRETERS,
  encodeDap,
  planBaseImage,
  relayCommand,
  validateConfiguration,
  type DapMessage,
} from '../../src/core';

describe('Debug Recipe: DAP framing, the debugpy command, the base-image option (pure)', () => {
  it('DAP messages come out whole however the stream cuts them, multi-byte text included', () => {
    const got: DapMessage[] = [];
    const reader = new DapReader((m) => got.push(m));
    const bytes = Buffer.concat([
      encodeDap({ seq: 1, type: 'event', event: 'output', body: { output: 'héllo → 42\n' } }),
      encodeDap({ seq: 2, type: 'response', command: 'attach', request_seq: 2, success: true }),
    ]);
    for (let i = 0; i < bytes.length; i += 7) reader.push(bytes.subarray(i, i + 7));
    assert.deepEqual(
      got.map((m) => [m.seq, m.event ?? m.command]),
      [
        [1, 'output'],
        [2, 'attach'],
      ],
    );
    assert.equal(got[0]!.body!.output, 'héllo → 42\n');
    assert.throws(
      () => new DapReader(() => undefined).push(Buffer.from('Content-Type: x\r\n\r\n{}')),
      /not a DAP stream: header "Content-Type: x" has no Content-Length/,
    );
  });

  it('the recipe runs under debugpy listening on the loopback (in-process adapter); the relay uses the same python; launch becomes attach with the path mapping', () => {
    const cmd = debugCommand(['python3', 'recipes/a.py', '--n', '3'], 'recipes/a.py', 34567);
    assert.deepEqual(
      [cmd[0], cmd[1], cmd[2], ...cmd.slice(4)],
      ['python3', '-Xfrozen_modules=off', '-c', '34567', 'recipes/a.py', '--n', '3'],
    );
    assert.match(
      cmd[3]!,
      /debugpy\.listen\(\('127\.0\.0\.1', int\(sys\.argv\[1\]\)\), in_process_debug_adapter=True\)\n[^]*debugpy\.wait_for_client\(\)\nrunpy\.run_path/,
    );
    assert.deepEqual(
      relayCommand(['python3', 'recipes/a.py'], 'recipes/a.py', 34567).filter((_, i) => i !== 2),
      ['python3', '-c', '34567', '30'],
    );
    assert.deepEqual(attachArguments({ justMyCode: false, recipe: 'x' }, '/home/me/ws', '/workspace'), {
      justMyCode: false,
      pathMappings: [{ localRoot: '/home/me/ws', remoteRoot: '/workspace' }],
      redirectOutput: false,
    });
    assert.equal(debuggeeCommand({ recipe: 'x' }), 'attach');
    // pydevd stops on entry for a launch only
    assert.equal(debuggeeCommand({ recipe: 'x', stopOnEntry: true }), 'launch');
    assert.equal(attachArguments({ stopOnEntry: true }, '/ws', '/workspace').stopOnEntry, true);
  });

  it('only Python recipes debug: a shell recipe is refused naming it and its interpreter', () => {
    checkDebuggable('recipes/a.py', DEFAULT_INTERPRETERS);
    checkDebuggable('a.py', { '.py': '/usr/bin/python3.11 -u' });
    assert.throws(
      () => checkDebuggable('run.sh', DEFAULT_INTERPRETERS),
      /^Error: run\.sh is not a Python recipe \(it runs with sh\): Debug Recipe debugs Python recipes/,
    );
    assert.throws(() => checkDebuggable('notes.txt', DEFAULT_INTERPRETERS), /^Error: notes\.txt is not a Python recipe: /);
  });

  it('build.debugpy adds python3-debugpy to the generated Dockerfile (when the image lacks it)', async () => {
    const r = validateConfiguration({ name: 'dbg', build: { debugpy: true } });
    assert.ok(r.ok);
    const plan = await planBaseImage(r.config, { extensionVersion: '1', workspaceDir: '/' });
    assert.match(
      plan.dockerfile,
      /^RUN python3 -c 'import debugpy' 2>\/dev\/null \|\| \(apt-get update && apt-get install -y --no-install-recommends python3-debugpy && rm -rf \/var\/lib\/apt\/lists\/\*\)$/m,
    );
    const off = validateConfiguration({ name: 'dbg' });
    assert.ok(off.ok);
    assert.doesNotMatch((await planBaseImage(off.config, { extensionVersion: '1', workspaceDir: '/' })).dockerfile, /debugpy/);
  });
});
