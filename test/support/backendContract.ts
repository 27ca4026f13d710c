// The execution back-end contract: what the run driver, the task terminal and the Runs view rely on,
// as one suite any back-end must pass (the Docker-daemon back-end runs it on every testbed daemon).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LABELS,
  newRunId,
  scanWorkspace,
  validateConfiguration,
  workspaceLabel,
  type Configuration,
  type ExecutionBackend,
  type OffThreadOutput,
  type Piece,
  type RunHandle,
  type RunSpec,
} from '../../src/core';

export interface ContractSubject {
  /** A back-end bound to the target under test; disposed by the suite. */
  open(): ExecutionBackend;
  /** A small image with `sh`, `cat`, `echo`, `sleep` that the target has. */
  image: string;
  /** The configuration's target field (a daemon id). */
  daemonId: string;
}

const read = (s: NodeJS.ReadableStream) =>
  new Promise<string>((resolve, reject) => {
    let text = '';
    s.on('data', (b: Buffer) => (text += b.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });

export function backendContract(name: string, subject: ContractSubject): void {
  describe(`execution back-end contract: ${name}`, function () {
    this.timeout(90000);
    let backend: ExecutionBackend;
    let ws: string;
    let config: Configuration;
    const handles: RunHandle[] = [];
    before(() => {
      backend = subject.open();
      ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-contract-'));
      fs.writeFileSync(path.join(ws, 'input.txt'), 'from the workspace\n');
      const r = validateConfiguration({
        name: 'contract',
        daemon: subject.daemonId,
        baseImage: subject.image,
        resources: { memory: '64m' },
      });
      assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
      config = r.config;
    });
    after(async () => {
      for (const h of handles) await h.remove().catch(() => undefined);
      backend.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    });

    /** Starts `script` (sh -c) as a run of this workspace; returns its handle, output and the follow controller. */
    async function start(
      script: string,
      opts: { onOutput?: (t: string, s: 'stdout' | 'stderr') => void; offThread?: OffThreadOutput } = {},
    ) {
      const runId = newRunId();
      const handle = backend.run(runId);
      handles.push(handle);
      const follow = new AbortController();
      const out = { stdout: '', stderr: '', created: '' };
      const spec: RunSpec = {
        runId,
        image: subject.image,
        cmd: ['sh', '-c', script],
        workingDir: '/workspace',
        env: { WHO: 'contract' },
        labels: { [LABELS.run]: runId, [LABELS.kind]: 'run', [LABELS.workspace]: workspaceLabel(ws) },
        config,
        workspace: { dir: ws, scan: await scanWorkspace(ws), emptyDirs: ['out'] },
        keep: false,
      };
      const started = await handle.start(spec, {
        signal: new AbortController().signal,
        follow: follow.signal,
        onOutput: (chunk, stream) => {
          out[stream] += chunk.toString();
          opts.onOutput?.(chunk.toString(), stream);
        },
        offThread: opts.offThread,
        onStatus: () => undefined,
        onCreated: (id) => void (out.created = id),
      });
      return { runId, handle, follow, out, started };
    }

    it('names its kind and target, and answers a ping', async () => {
      assert.ok(backend.kind);
      assert.deepEqual(backend.target, { kind: backend.kind, id: subject.daemonId });
      assert.match(backend.description, new RegExp(subject.daemonId));
      await backend.ping();
      const stop = backend.heartbeat(200, () => assert.fail('a target that answers is not lost'));
      await new Promise((r) => setTimeout(r, 500));
      stop();
    });

    it('probe: a configuration it can grant has no errors; limits beyond the target are errors naming the field', async () => {
      const ok = await backend.probe(config, { signal: new AbortController().signal });
      assert.deepEqual(ok.errors, []);
      const r = validateConfiguration({ name: 'too-big', daemon: subject.daemonId, resources: { memory: '4096t', cpus: 4096 } });
      assert.ok(r.ok);
      const big = await backend.probe(r.config, { signal: new AbortController().signal });
      assert.deepEqual(big.errors.map((e) => e.field).sort(), ['resources.cpus', 'resources.memory']);
    });

    it('images: the test image is there, an unknown one is not', async () => {
      const signal = new AbortController().signal;
      assert.equal(await backend.hasImage(subject.image, { signal }), true);
      assert.equal(await backend.hasImage('container-exec/contract-nothing:0', { signal }), false);
    });

    it('start → output in order per stream → wait with the exit code → outputs fetched → remove (twice is fine)', async () => {
      const { handle, follow, out, started } = await start(
        'cat input.txt; for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; echo "$WHO" > out/who.txt; exit 3',
      );
      assert.match(out.created, /^\w+/);
      const exit = await handle.wait(follow.signal);
      await started.output;
      assert.deepEqual(exit, { exitCode: 3, oomKilled: false });
      assert.equal(out.stdout, 'from the workspace\nout 1\nout 2\nout 3\n');
      assert.equal(out.stderr, 'err 1\nerr 2\nerr 3\n');
      const dest = path.join(ws, 'fetched');
      const got = await handle.fetchOutputs('/workspace/out', dest);
      assert.equal(got.folder, path.join(dest, 'out'));
      assert.equal(fs.readFileSync(path.join(dest, 'out', 'who.txt'), 'utf8'), 'contract\n');
      follow.abort();
      await handle.remove();
      await handle.remove();
    });

    it('offThread: a worker thread reads the output — the log gets every byte, the terminal a paced share with a skip note', async () => {
      const logFile = path.join(ws, `run-${Date.now()}.log`);
      fs.writeFileSync(logFile, '[container-exec] the caller appends too\n');
      const pieces: Piece[] = [];
      let progress = { bytes: 0, firstAt: 0, lastAt: 0 };
      const offThread: OffThreadOutput = {
        logFile,
        // 20 KB/s against ~100 KB of output: a second's worth shown, then a skip, then the latest lines
        terminal: { bytesPerSecond: 20000, queueBytes: 20000, tailBytes: 2000 },
        onPaced: (p) => pieces.push(...p),
        onProgress: (p) => (progress = p),
      };
      const { handle, follow, out, started } = await start(
        'i=0; while [ $i -lt 2000 ]; do echo "line $i of the output, long enough to count"; i=$((i+1)); done; echo "an error" >&2; echo last',
        { offThread },
      );
      assert.deepEqual(await handle.wait(follow.signal), { exitCode: 0, oomKilled: false });
      await started.output;
      assert.equal(out.stdout + out.stderr, '', 'onOutput is not called when the output is read off-thread');
      const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} of the output, long enough to count\n`).join('');
      const log = fs.readFileSync(logFile, 'utf8');
      // each stream in order; the daemon copies stdout and stderr apart, so the error line may come earlier
      assert.equal(log.split('an error\n').length, 2, 'the error line once');
      assert.equal(log.replace('an error\n', ''), `[container-exec] the caller appends too\n${lines}last\n`);
      assert.equal(progress.bytes, Buffer.byteLength(log) - '[container-exec] the caller appends too\n'.length);
      assert.ok(progress.firstAt > 0 && progress.lastAt >= progress.firstAt);
      // every byte either shown or counted in a skip note; the first lines and the last ones shown
      const shown = pieces.map((p) => (p.kind === 'output' ? Buffer.from(p.bytes).toString() : '')).join('');
      const skipped = pieces.reduce((n, p) => n + (p.kind === 'skipped' ? p.bytes : 0), 0);
      assert.ok(skipped > 50000, `most of it skipped (${skipped} bytes)`);
      assert.equal(Buffer.byteLength(shown) + skipped, progress.bytes);
      // as in the log, the daemon copies stderr apart: its one line may come before the first stdout lines (seen under load)
      const stdout = shown.replace('an error\n', '');
      assert.ok(stdout.startsWith('line 0 of the output'), stdout.slice(0, 200));
      assert.ok(stdout.endsWith('last\n'), shown.slice(-200));
      follow.abort();
      await handle.remove();
    });

    it('exec: stdin echoed back by cat, stderr apart, exit codes, a tty', async () => {
      const { handle, follow } = await start('echo ready; sleep 60');
      try {
        const cat = await handle.exec(['cat'], { stdin: true });
        const echoed = read(cat.stdout);
        cat.stdin.write('over the exec stream\n');
        cat.stdin.end('second line\n');
        assert.equal(await echoed, 'over the exec stream\nsecond line\n');
        assert.equal(await cat.exit(), 0);

        const failing = await handle.exec(['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
        const [o, e] = [read(failing.stdout), read(failing.stderr)];
        assert.equal(await failing.exit(), 3);
        assert.deepEqual([await o, await e], ['to-out\n', 'to-err\n']);

        const tty = await handle.exec(['sh', '-c', 'test -t 1 && echo on-a-tty'], { tty: true });
        const t = read(tty.stdout);
        assert.equal(await tty.exit(), 0);
        assert.equal((await t).trim(), 'on-a-tty');
      } finally {
        follow.abort();
        await handle.remove();
      }
    });

    it("stop(grace) ends a running run: wait answers with the signal's exit code", async () => {
      const { handle, follow } = await start('trap "exit 143" TERM; echo started; sleep 60 & wait');
      const t0 = Date.now();
      await handle.stop(1);
      const exit = await handle.wait(follow.signal);
      assert.ok([143, 137].includes(exit.exitCode), JSON.stringify(exit));
      assert.ok(Date.now() - t0 < 30000);
      follow.abort();
      await handle.remove();
    });

    it('findLost: a run of this workspace that nobody owns is lost; owned or removed ones are not', async () => {
      const { runId, handle, follow } = await start('sleep 60');
      try {
        const lost = await backend.findLost(ws, new Set());
        assert.deepEqual(
          lost.filter((l) => l.runId === runId).map((l) => l.name),
          [handle.name],
        );
        assert.deepEqual(
          (await backend.findLost(ws, new Set([runId]))).filter((l) => l.runId === runId),
          [],
        );
        await backend.removeLost(lost.find((l) => l.runId === runId)!);
        assert.deepEqual(
          (await backend.findLost(ws, new Set())).filter((l) => l.runId === runId),
          [],
        );
      } finally {
        follow.abort();
        await handle.remove();
      }
    });
  });
}
