// Notebook kernels (issue 25): a real ipykernel in the testbed's Jupyter image, in a run's container on
// every kind of back-end, spoken to through the relay's one exec stream (no port published).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  DockerSwarmBackend,
  KernelStartError,
  PoolBackend,
  createDaemonClient,
  newRunId,
  startKernel,
  validateConfiguration,
  type CellHandlers,
  type CellResult,
  type DaemonDescriptionInput,
  type ExecutionBackend,
  type JupyterMessage,
  type KernelSession,
} from '../../src/core';
import { jupyterImage, killCrashDaemon, need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';

const CAP = 1024 * 1024;
/** IPython colours its tracebacks. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

interface Ran {
  result: CellResult;
  outputs: JupyterMessage[];
  prompts: string[];
}

/** Runs a cell, collecting its outputs; `answer` replies to input(). */
async function run(
  kernel: KernelSession,
  code: string,
  opts: { answer?: string; onOutput?: (m: JupyterMessage) => void } = {},
): Promise<Ran> {
  const outputs: JupyterMessage[] = [];
  const prompts: string[] = [];
  const handlers: CellHandlers = {
    onOutput: (m) => {
      outputs.push(m);
      opts.onOutput?.(m);
    },
    onInput: async (prompt) => {
      prompts.push(prompt);
      if (opts.answer === undefined) throw new Error('no input expected');
      return opts.answer;
    },
  };
  return { result: await kernel.execute(code, handlers), outputs, prompts };
}

/**
 * The stream outputs as a notebook shows them: consecutive messages of one stream are one output (ipykernel
 * flushes on a timer, so one print() may come as several messages), each output prefixed with its stream's name.
 */
const streamText = (outputs: JupyterMessage[]) => {
  let text = '';
  let last: string | undefined;
  for (const m of outputs.filter((o) => o.header.msg_type === 'stream')) {
    const name = String(m.content.name);
    text += `${name === last ? '' : `${name}:`}${String(m.content.text)}`;
    last = name;
  }
  return text;
};

function workspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-kernel-'));
  fs.mkdirSync(path.join(ws, 'notebooks'));
  fs.writeFileSync(path.join(ws, 'notebooks', 'data.txt'), 'beside the notebook\n');
  return ws;
}

async function launch(backend: ExecutionBackend, daemonId: string, ws: string, heartbeatMs?: number) {
  const r = validateConfiguration({
    name: 'kernel-test',
    daemon: daemonId,
    baseImage: jupyterImage(),
    resources: { memory: '512m' },
  });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const containers: string[] = [];
  const kernel = await startKernel(
    backend,
    {
      id,
      notebookFolder: 'notebooks',
      config: r.config,
      image: jupyterImage(),
      pull: false,
      workspaceDir: ws,
      outputsDir: path.join(ws, '.container-exec', 'runs', id),
      groups: ['root'],
      interpreters: DEFAULT_INTERPRETERS,
      graceSeconds: 1,
      heartbeatMs,
      extensionVersion: '9.9.9-test',
      frameCapBytes: CAP,
    },
    {
      signal: new AbortController().signal,
      onOutput: () => undefined,
      onStatus: () => undefined,
      onWarning: () => undefined,
      onContainer: (c) => containers.push(c),
    },
  );
  return { kernel, id, containers };
}

/** The workspace's run resources still on the target (findLost lists those of runs not active). */
const resourcesOf = async (backend: ExecutionBackend, ws: string, runId: string) =>
  (await backend.findLost(ws, new Set())).filter((l) => l.runId === runId).map((l) => l.id);

const daemon = {
  socket: (): DaemonDescriptionInput => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tcp: (): DaemonDescriptionInput => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  tls: (): DaemonDescriptionInput => ({
    id: 'tls',
    host: need('DOCKER_TLS_HOST'),
    tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') },
  }),
  ssh: (): DaemonDescriptionInput => ({
    id: 'ssh',
    host: need('DOCKER_SSH_HOST'),
    ssh: { configFile: need('DOCKER_SSH_CONFIG') },
    timeoutMs: 20000,
  }),
};
const swarmNodes = (): DaemonDescriptionInput[] => [
  { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') },
  { id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') },
  { id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') },
];

const backends: Record<string, { open(): ExecutionBackend; daemonId: string }> = {
  'socket daemon': { open: () => new DockerDaemonBackend(createDaemonClient(daemon.socket()), true), daemonId: 'local' },
  'TLS daemon': { open: () => new DockerDaemonBackend(createDaemonClient(daemon.tls()), true), daemonId: 'tls' },
  'ssh daemon': { open: () => new DockerDaemonBackend(createDaemonClient(daemon.ssh()), true), daemonId: 'ssh' },
  'pool (tcp, tls)': {
    open: () =>
      new PoolBackend({
        name: 'kernel-pool',
        daemons: [
          { id: 'tcp', daemon: daemon.tcp() },
          { id: 'tls', daemon: daemon.tls() },
        ],
      }),
    daemonId: 'kernel-pool',
  },
  swarm: {
    open: () =>
      new DockerSwarmBackend(
        createDaemonClient(swarmNodes()[0]!),
        async () => swarmNodes().map((d) => ({ daemon: d, source: 'user' as const })),
        true,
      ),
    daemonId: 'swarm-m',
  },
};

// a PNG's signature and every byte value: base64 both ways must keep them all
const PNG_PY = "b'\\x89PNG\\r\\n\\x1a\\n' + bytes(range(256)) * 64";
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  ...Array.from({ length: 64 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
]);

for (const [name, subject] of Object.entries(backends))
  describe(`notebook kernel on the ${name}`, function () {
    this.timeout(180000);
    let backend: ExecutionBackend;
    let ws: string;
    let kernel: KernelSession;
    let runId: string;
    before(async () => {
      backend = subject.open();
      ws = workspace();
      ({ kernel, id: runId } = await launch(backend, subject.daemonId, ws));
    });
    after(async () => {
      if (kernel?.state !== 'dead') await kernel?.shutdown();
      backend?.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    });

    it("1+1 gives execute_result 2; stdout and stderr in order; the working directory is the notebook's folder", async () => {
      assert.equal(kernel.state, 'idle');
      const sum = await run(kernel, '1+1');
      assert.deepEqual(sum.result, { status: 'ok', executionCount: 1 });
      const result = sum.outputs.find((m) => m.header.msg_type === 'execute_result');
      assert.deepEqual(result?.content.data, { 'text/plain': '2' });
      const printed = await run(
        kernel,
        "import sys\nfor i in range(3):\n    print('out', i, flush=True)\n    print('err', i, file=sys.stderr, flush=True)\nprint(open('data.txt').read(), end='')",
      );
      assert.equal(printed.result.status, 'ok');
      assert.equal(
        streamText(printed.outputs),
        'stdout:out 0\nstderr:err 0\nstdout:out 1\nstderr:err 1\nstdout:out 2\nstderr:err 2\nstdout:beside the notebook\n',
      );
    });

    it('a PNG display keeps every byte; an exception gives its error and traceback, and the queued cell after it is aborted', async () => {
      const shown = await run(kernel, `from IPython.display import Image, display\ndisplay(Image(data=${PNG_PY}, format='png'))`);
      assert.equal(shown.result.status, 'ok');
      const png = shown.outputs.find((m) => m.header.msg_type === 'display_data')?.content.data as Record<string, string>;
      assert.ok(png?.['image/png'], JSON.stringify(shown.outputs.map((m) => m.header.msg_type)));
      assert.ok(Buffer.from(png['image/png']!, 'base64').equals(PNG), 'the PNG bytes came back intact');

      const [failed, after] = await Promise.all([
        run(kernel, "def f():\n    raise ValueError('bad value')\nf()"),
        run(kernel, "print('never')"),
      ]);
      assert.equal(failed.result.status, 'error');
      const error = failed.outputs.find((m) => m.header.msg_type === 'error');
      assert.equal(error?.content.ename, 'ValueError');
      assert.equal(error?.content.evalue, 'bad value');
      const traceback = (error?.content.traceback as string[]).join('\n').replace(ANSI, '');
      assert.match(traceback, /----> 3 f\(\)[\s\S]*in f\(\)[\s\S]*----> 2\s+raise ValueError\('bad value'\)[\s\S]*ValueError: bad value$/);
      assert.equal(after.result.status, 'aborted');
      assert.deepEqual(after.outputs, []);
    });

    it('input() is answered through onInput', async () => {
      const asked = await run(kernel, "name = input('Your name? ')\nprint('hello', name)", { answer: 'Ada' });
      assert.equal(asked.result.status, 'ok');
      assert.deepEqual(asked.prompts, ['Your name? ']);
      assert.equal(streamText(asked.outputs), 'stdout:hello Ada\n');
    });

    it('interrupt ends `while True: pass` with KeyboardInterrupt within 1 s of the interrupt being sent; the next cell runs', async () => {
      let interrupted: Promise<void> | undefined;
      let sentAt = 0;
      const spinning = run(kernel, "print('spinning', flush=True)\nwhile True: pass", {
        onOutput: (m) => {
          if (m.header.msg_type !== 'stream' || interrupted) return;
          sentAt = performance.now();
          interrupted = kernel.interrupt();
        },
      });
      const ended = await spinning;
      // the relay wakes on the interrupt line (no polling interval), SIGINTs the kernel's group, and forwards the
      // reply and idle status as they come: what remains is two trips through the Engine stream
      const ms = performance.now() - sentAt;
      await interrupted;
      console.log(`      interrupt to the cell's end: ${ms.toFixed(0)} ms`);
      assert.ok(ms <= 1000, `the cell ended ${ms.toFixed(0)} ms after the interrupt was sent`);
      assert.equal(ended.result.status, 'error');
      assert.equal(ended.outputs.find((m) => m.header.msg_type === 'error')?.content.ename, 'KeyboardInterrupt');
      const next = await run(kernel, '1');
      assert.equal(next.result.status, 'ok');
      assert.equal(kernel.state, 'idle');
    });

    it("a cell's own `import debugpy` works (the relay keeps only ipykernel's debugger out of the kernel's start)", async () => {
      const imported = await run(kernel, 'import debugpy\nprint(debugpy.__name__)');
      assert.equal(imported.result.status, 'ok', JSON.stringify(imported.outputs.map((m) => m.content)));
      // (debugpy's own warnings about frozen modules may come on stderr, as in any python3)
      assert.equal(streamText(imported.outputs.filter((m) => m.content.name === 'stdout')), 'stdout:debugpy\n');
    });

    it('a frame over the cap is refused with a clear error either way, and the kernel goes on', async () => {
      // just under the cap: ~28 Engine frames of 32 KB make one line again, characters split across them intact
      const near = await run(kernel, `print('é\\u2028✓' * ${Math.floor((CAP - 200_000) / 12)})`);
      assert.equal(near.result.status, 'ok');
      const expected = `stdout:${'é\u2028✓'.repeat(Math.floor((CAP - 200_000) / 12))}\n`;
      const got = streamText(near.outputs);
      assert.ok(got === expected, `${got.length} characters came back for ${expected.length}: ${got.slice(0, 100)}`);
      // one write, so one stream message (print() writes the newline apart, which may come as a message of its own)
      const big = await run(kernel, `import sys; sys.stdout.write('x' * ${2 * CAP})`);
      assert.equal(big.result.status, 'ok');
      assert.match(
        streamText(big.outputs),
        /^stderr:\[Container Exec\] A stream of 2\.0 MB, over the kernel's frame cap of 1\.0 MB, was dropped; the kernel goes on\.\n$/,
      );
      const tooLong = await run(kernel, `x = '${'y'.repeat(CAP)}'`);
      assert.equal(tooLong.result.status, 'ended');
      assert.match(tooLong.result.reason ?? '', /over the kernel's frame cap of 1\.0 MB and was not sent; the kernel goes on/);
      assert.equal((await run(kernel, '2')).result.status, 'ok');
    });

    it('restart keeps the container and clears the state', async () => {
      await run(kernel, 'kept = 41');
      const before = await resourcesOf(backend, ws, runId);
      assert.equal(before.length, 1);
      const states: string[] = [];
      const sub = kernel.onDidChangeState((s) => states.push(s));
      await kernel.restart();
      sub.dispose();
      assert.equal(kernel.state, 'idle');
      assert.deepEqual(states, ['restarting', 'idle']);
      const gone = await run(kernel, 'kept + 1');
      assert.equal(gone.result.status, 'error');
      assert.equal(gone.outputs.find((m) => m.header.msg_type === 'error')?.content.ename, 'NameError');
      assert.deepEqual(await resourcesOf(backend, ws, runId), before);
    });

    it('shutdown leaves no container and brings out/ back into the run folder', async () => {
      const wrote = await run(
        kernel,
        "import os\nos.makedirs('/workspace/out', exist_ok=True)\nopen('/workspace/out/result.txt', 'w').write('from the kernel')",
      );
      assert.equal(wrote.result.status, 'ok');
      const outcome = await kernel.shutdown();
      assert.equal(outcome.state, 'succeeded', outcome.message);
      assert.equal(kernel.state, 'dead');
      assert.equal(fs.readFileSync(path.join(ws, '.container-exec', 'runs', runId, 'out', 'result.txt'), 'utf8'), 'from the kernel');
      assert.deepEqual(await resourcesOf(backend, ws, runId), []);
      assert.equal((await run(kernel, '1')).result.status, 'ended');
    });
  });

describe('notebook kernel: failures', function () {
  this.timeout(120000);

  for (const [what, image, detail] of [
    ['a python image without ipykernel', 'PYTHON_IMAGE', "No module named '(zmq|ipykernel)'"],
    ['an image without python3', 'BUSYBOX_IMAGE', 'no python3'],
  ] as const)
    it(`${what}: the start fails with "Image … of configuration … has no ipykernel", nothing left`, async () => {
      const backend = new DockerDaemonBackend(createDaemonClient(daemon.socket()), true);
      const ws = workspace();
      try {
        const r = validateConfiguration({ name: 'no-kernel', daemon: 'local', baseImage: need(image) });
        assert.ok(r.ok);
        const id = newRunId();
        const e = await startKernel(
          backend,
          {
            id,
            notebookFolder: '',
            config: r.config,
            image: need(image),
            pull: false,
            workspaceDir: ws,
            outputsDir: path.join(ws, '.container-exec', 'runs', id),
            groups: ['root'],
            interpreters: DEFAULT_INTERPRETERS,
            graceSeconds: 1,
            extensionVersion: '9.9.9-test',
          },
          { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
        ).then(
          () => assert.fail('started'),
          (err: unknown) => err,
        );
        assert.ok(e instanceof KernelStartError);
        assert.equal(e.reason, 'no-ipykernel', e.message);
        assert.match(e.message, new RegExp(`^Image ${need(image)} of configuration no-kernel has no ipykernel \\(${detail}`));
        assert.deepEqual(await resourcesOf(backend, ws, id), []);
      } finally {
        backend.dispose();
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

  it('the kernel process SIGKILLed mid-cell: the running and queued cells end with the reason, the kernel is dead, Restart brings it back', async () => {
    const backend = new DockerDaemonBackend(createDaemonClient(daemon.socket()), true);
    const ws = workspace();
    const { kernel } = await launch(backend, 'local', ws);
    try {
      const deaths: (string | undefined)[] = [];
      kernel.onDidChangeState((s, why) => s === 'dead' && deaths.push(why));
      const [killed, queued] = await Promise.all([
        run(kernel, 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)'),
        run(kernel, '1'),
      ]);
      for (const cell of [killed, queued]) {
        assert.equal(cell.result.status, 'ended');
        assert.match(cell.result.reason ?? '', /^The kernel died: the kernel process was killed by SIGKILL \(out of memory\?/);
      }
      assert.equal(kernel.state, 'dead');
      assert.match(deaths[0] ?? '', /killed by SIGKILL/);
      assert.equal((await run(kernel, '2')).result.status, 'ended');
      await kernel.restart();
      assert.equal((await run(kernel, '3')).result.status, 'ok');
    } finally {
      await kernel.shutdown();
      backend.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  describe('daemon lost (the on-demand crash daemon)', () => {
    let host = '';
    before(() => (host = startCrashDaemon()));
    after(() => stopCrashDaemon());

    it("the daemon SIGKILLed mid-cell: the cell ends with the run's daemon-lost message, the kernel is dead", async () => {
      const HEARTBEAT_MS = 500;
      const TIMEOUT_MS = 5000;
      const backend = new DockerDaemonBackend(createDaemonClient({ id: 'crash', host, timeoutMs: TIMEOUT_MS }), true);
      const ws = workspace();
      try {
        const { kernel } = await launch(backend, 'crash', ws, HEARTBEAT_MS);
        let killed: Promise<number> | undefined;
        const states: [string, string | undefined][] = [];
        kernel.onDidChangeState((s, why) => states.push([s, why]));
        const cell = await run(kernel, "import time\nprint('started', flush=True)\ntime.sleep(120)", {
          onOutput: () => (killed ??= killCrashDaemon().then(() => Date.now())),
        });
        const endedAfter = Date.now() - (await killed!);
        assert.equal(cell.result.status, 'ended');
        assert.match(cell.result.reason ?? '', /stopped answering mid-run/);
        assert.equal(kernel.state, 'dead');
        assert.match(states.at(-1)?.[1] ?? '', /stopped answering/);
        // the run driver's deadline: two missed pings, each up to the daemon's timeout, and slack
        assert.ok(endedAfter < 3 * (HEARTBEAT_MS * 3 + TIMEOUT_MS), `ended ${endedAfter} ms after the kill`);
      } finally {
        startCrashDaemon();
        for (const lost of await backend.findLost(ws, new Set()).catch(() => [])) await backend.removeLost(lost).catch(() => undefined);
        backend.dispose();
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });
  });
});
