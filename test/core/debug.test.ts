import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createDaemonClient,
  debugNetworkRefusal,
  debugPort,
  DockerDaemonBackend,
  LABELS,
  listContainers,
  newRunId,
  runRecipe,
  attachArguments,
  checkDebuggable,
  debugCommand,
  debugRun,
  debuggeeCommand,
  DapReader,
  DEFAULT_INTERPRETERS,
  encodeDap,
  MAX_DAP_MESSAGE_BYTES,
  planBaseImage,
  relayCommand,
  validateConfiguration,
  type DapMessage,
} from '../../src/core';
import { need } from '../support/testbed';

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
    // a byte at a time, and everything in one chunk, give the same
    for (const size of [1, bytes.length]) {
      const again: DapMessage[] = [];
      const r = new DapReader((m) => again.push(m));
      for (let i = 0; i < bytes.length; i += size) r.push(bytes.subarray(i, i + size));
      assert.deepEqual(again, got);
    }
    assert.throws(
      () => new DapReader(() => undefined).push(Buffer.from('Content-Type: x\r\n\r\n{}')),
      /not a DAP stream: header "Content-Type: x" has no Content-Length/,
    );
  });

  it('DAP reader (lesser finding: any Content-Length trusted): one over the limit is refused naming the limit, before any of its body is read', () => {
    const reader = new DapReader(() => assert.fail('no message'));
    assert.throws(
      () => reader.push(Buffer.from(`Content-Length: ${MAX_DAP_MESSAGE_BYTES + 1}\r\n\r\n{`)),
      new RegExp(
        `not a DAP stream: a message of ${MAX_DAP_MESSAGE_BYTES + 1} bytes \\(its Content-Length\\) is over the 64 MB a DAP message may have`,
      ),
    );
    // at the limit it is taken (only the header is fed: nothing is held for it)
    assert.doesNotThrow(() => new DapReader(() => undefined).push(Buffer.from(`Content-Length: ${MAX_DAP_MESSAGE_BYTES}\r\n\r\n`)));
  });

  it('DAP reader (lesser finding: quadratic re-concatenation): linear in the bytes fed in 1 KB chunks (4 MB as two 2 MB messages costs about what it costs as 32 of 128 KB, not 16×)', function () {
    this.timeout(120000);
    /** A message of `bytes` (a body padded with JSON whitespace: what is measured is the reader, not JSON.parse). */
    const message = (bytes: number) => {
      const body = Buffer.from(`{"seq":1,"type":"event","event":"output"}${' '.repeat(bytes)}`);
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
    };
    /** CPU ms (steadier than wall time on a shared machine) to read 4 MB as messages of `bytes`, fed in 1 KB chunks; the least of 3. */
    const cost = (bytes: number) => {
      const m = message(bytes);
      let least = Infinity;
      for (let trial = 0; trial < 3; trial++) {
        let got = 0;
        const c0 = process.cpuUsage();
        for (let k = 0; k < (4 * 1024 * 1024) / bytes; k++) {
          const reader = new DapReader(() => got++);
          for (let i = 0; i < m.length; i += 1024) reader.push(m.subarray(i, i + 1024));
        }
        const c = process.cpuUsage(c0);
        assert.equal(got, (4 * 1024 * 1024) / bytes);
        least = Math.min(least, (c.user + c.system) / 1000);
      }
      return least;
    };
    const ratios: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const ratio = cost(2 * 1024 * 1024) / cost(128 * 1024);
      ratios.push(ratio);
      if (ratio < 4) return;
    }
    assert.fail(`4 MB as 2 MB messages cost ${ratios.map((r) => r.toFixed(1)).join(', ')}× what it costs as 128 KB ones: not linear`);
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

describe('Debug Recipe on a configuration with `network: host` (testbed, the local daemon: this machine is its host)', function () {
  this.timeout(120000);

  it("suspicion confirmed, debugpy on the daemon host's loopback: the debug run is refused naming the field, before anything is created", async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-debug-net-'));
    fs.writeFileSync(path.join(ws, 'recipe.py'), 'print("debugged")\n');
    const r = validateConfiguration({ name: 'dbg-hostnet', daemon: 'local', baseImage: need('PYTHON_IMAGE'), network: 'host' });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST') });
    const backend = new DockerDaemonBackend(client);
    const id = newRunId();
    const port = debugPort();
    const cancel = new AbortController();
    let created = false;
    let settled = false;
    /** Whether anything on this host (the daemon's) reached the debugger's port while the run went. */
    let reached = false;
    const outcome = runRecipe(
      backend,
      {
        id,
        recipe: 'recipe.py',
        config: r.config,
        image: need('PYTHON_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, 'out-local'),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 1,
        extensionVersion: '9.9.9-test',
        kind: debugRun((cmd) => debugCommand(cmd, 'recipe.py', port)),
      },
      {
        signal: cancel.signal,
        onOutput: () => undefined,
        onStatus: () => undefined,
        onWarning: () => undefined,
        onContainer: () => (created = true),
      },
    ).finally(() => (settled = true));
    try {
      // while the run goes: can this host connect to debugpy? (an unpatched run listens within a few seconds)
      while (!settled && !reached) {
        reached = await new Promise<boolean>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
          socket.on('error', () => resolve(false));
        });
        if (reached) cancel.abort();
        else await new Promise((res) => setTimeout(res, 100));
      }
      const o = await outcome;
      assert.ok(!reached, `debugpy of run ${id} was reachable at 127.0.0.1:${port} of the daemon's host`);
      assert.equal(o.state, 'failed');
      assert.equal(o.failure, 'permission');
      assert.match(
        o.message,
        /^Debug Recipe does not debug on configuration dbg-hostnet: its network is "host", .* Remove "network" from configuration dbg-hostnet/,
      );
      assert.equal(created, false);
      assert.deepEqual(
        (await listContainers(client)).filter((c) => c.labels[LABELS.run] === id),
        [],
      );
    } finally {
      cancel.abort();
      await outcome.catch(() => undefined);
      client.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('a bridge, user-defined or no network debugs as before; a shared namespace (container:, ns:) is refused too', () => {
    for (const network of [undefined, 'bridge', 'none', 'my-net']) assert.equal(debugNetworkRefusal('c', network), undefined);
    assert.match(debugNetworkRefusal('c', 'container:db')!, /its network is "container:db", so debugpy's port .* on the loopback of db/);
    assert.match(debugNetworkRefusal('c', 'ns:/run/netns/x')!, /its network is "ns:\/run\/netns\/x"/);
  });
});
