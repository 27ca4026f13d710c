import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  createDaemonClient,
  demuxFrames,
  newRunId,
  packWorkspace,
  recipeCommand,
  recipeConfiguration,
  runRecipe,
  scanWorkspace,
  validateConfiguration,
  type DaemonDescriptionInput,
  type RunOutcome,
  type RunRequest,
} from '../../src/core';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import * as tar from 'tar-fs';
import { runContainersOn } from '../support/runs';
import { need } from '../support/testbed';

const daemons = {
  local: (): DaemonDescriptionInput => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tls: (): DaemonDescriptionInput => ({
    id: 'tls',
    host: need('DOCKER_TLS_HOST'),
    tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') },
  }),
  tcp: (): DaemonDescriptionInput => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  ssh: (): DaemonDescriptionInput => ({ id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') } }),
};

const RECIPE = `import sys
print("hello from the recipe")
print("to stderr", file=sys.stderr, flush=True)
for i in range(3):
    print(f"line {i}", flush=True)
import os
print("ignored file uploaded:", os.path.exists("secret.log"))
print("excluded folder uploaded:", os.path.exists("data/big.bin"))
os.makedirs("out", exist_ok=True)
open("out/result.txt", "w").write("result of " + os.environ["CONTAINER_EXEC_RUN_ID"])
`;

interface Ran {
  outcome: RunOutcome;
  /** stdout and stderr in arrival order, stderr lines marked "!". */
  text: string;
  stdout: string;
  stderr: string;
  status: string[];
  ws: string;
  id: string;
  ms: number;
}

async function run(
  daemon: DaemonDescriptionInput,
  configInput: Record<string, unknown>,
  files: Record<string, string>,
  opts: Partial<RunRequest> & { signal?: AbortSignal; onOutput?: (t: string) => void } = {},
): Promise<Ran> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-run-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, name)), { recursive: true });
    fs.writeFileSync(path.join(ws, name), content);
  }
  const r = validateConfiguration({ name: 'run-test', daemon: daemon.id, baseImage: need('PYTHON_IMAGE'), ...configInput });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const client = createDaemonClient(daemon);
  let text = '';
  let stdout = '';
  let stderr = '';
  const status: string[] = [];
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const t0 = Date.now();
  try {
    const outcome = await runRecipe(
      new DockerDaemonBackend(client),
      {
        id,
        recipe: 'recipe.py',
        config: r.config,
        image: need('PYTHON_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, '.container-exec', 'runs', id),
        groups: ['root'],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 2,
        extensionVersion: '9.9.9-test',
        ...opts,
      },
      {
        signal: opts.signal ?? new AbortController().signal,
        onOutput: (chunk, stream) => {
          const t = decoders[stream].write(chunk);
          text += stream === 'stderr' ? t.replace(/^(?=.)/gm, '!') : t;
          if (stream === 'stdout') stdout += t;
          else stderr += t;
          opts.onOutput?.(t);
        },
        onStatus: (t) => status.push(t),
        onWarning: (t) => status.push(`warning: ${t}`),
      },
    );
    return { outcome, text, stdout, stderr, status, ws, id, ms: Date.now() - t0 };
  } finally {
    client.dispose();
  }
}

/** Containers on a daemon labelled with a run id (any run). */
const runContainers = runContainersOn;

const output = (r: Ran, file: string) => fs.readFileSync(path.join(r.ws, '.container-exec', 'runs', r.id, 'out', file), 'utf8');

describe('recipes: commands, globs, run ids (pure)', () => {
  it('runs each extension with its interpreter and says what a recipe is', () => {
    assert.deepEqual(recipeCommand('a/b.py', DEFAULT_INTERPRETERS, ['--n', '3']), ['python3', 'a/b.py', '--n', '3']);
    assert.deepEqual(recipeCommand('x.R', DEFAULT_INTERPRETERS), ['Rscript', 'x.R']);
    assert.deepEqual(recipeCommand('x.py', { '.py': 'python3 -X utf8' }), ['python3', '-X', 'utf8', 'x.py']);
    assert.throws(
      () => recipeCommand('notes.txt', DEFAULT_INTERPRETERS),
      /notes\.txt is not a recipe: no interpreter for "\.txt" files.*containerExec\.recipeInterpreters/,
    );
  });
  it('picks the first matching glob of containerExec.recipeConfigurations', () => {
    const globs = { 'gpu/**': 'gpu-config', '*.R': 'r-config', '**/*.py': 'python-config' };
    assert.equal(recipeConfiguration('gpu/train.py', globs), 'gpu-config');
    assert.equal(recipeConfiguration('stats/model.R', globs), 'r-config');
    assert.equal(recipeConfiguration('etl/load.py', globs), 'python-config');
    assert.equal(recipeConfiguration('load.sh', globs), undefined);
  });
  it('run ids sort by time and differ', () => {
    const a = newRunId(new Date(2026, 10, 28, 4, 15, 2));
    assert.match(a, /^20261128-041502-[0-9a-f]{4}$/);
    assert.notEqual(newRunId(), newRunId());
  });
});

describe('the workspace upload honours .gitignore files and containerExec.uploadExclude', () => {
  it('lists what would be sent', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-scan-'));
    const files = [
      'recipe.py',
      '.gitignore',
      'secret.log',
      'data/big.bin',
      'data/keep.csv',
      'src/.gitignore',
      'src/a.py',
      'src/tmp/x',
      'src/lib/tmp.py',
      '.git/HEAD',
      '.container-exec/runs/1/out/r.txt',
      'node_modules/m/index.js',
    ];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
      fs.writeFileSync(path.join(ws, f), f === '.gitignore' ? '*.log\n/node_modules/\n' : f === 'src/.gitignore' ? 'tmp/\n' : 'x');
    }
    const scan = await scanWorkspace(ws, ['data/*.bin']);
    assert.deepEqual(scan.entries, [
      '.gitignore',
      'data',
      'data/keep.csv',
      'recipe.py',
      'src',
      'src/.gitignore',
      'src/a.py',
      'src/lib',
      'src/lib/tmp.py',
    ]);
    assert.equal(scan.files, 6);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('a file gone between scan and upload fails the tar with its name', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-gone-'));
    fs.writeFileSync(path.join(ws, 'a.txt'), 'a');
    fs.writeFileSync(path.join(ws, 'b.txt'), 'b');
    const scan = await scanWorkspace(ws);
    fs.rmSync(path.join(ws, 'b.txt'));
    const packed = packWorkspace(ws, scan);
    const error = await new Promise<Error>((resolve) => packed.stream.on('error', resolve).resume());
    assert.match(error.message, /^cannot upload b\.txt from .*: ENOENT$/);
    assert.equal(packed.failure(), error);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it('packs small files, large files, empty files, symlinks and modes into a tar that extracts to the same tree', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pack-'));
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 9);
    fs.mkdirSync(path.join(ws, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'a/b/big.bin'), big);
    fs.writeFileSync(path.join(ws, 'a/empty'), '');
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(ws, `small-${i}.txt`), `file ${i}\n`);
    fs.writeFileSync(path.join(ws, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    fs.symlinkSync('a/b/big.bin', path.join(ws, 'link'));
    const scan = await scanWorkspace(ws);
    const packed = packWorkspace(ws, scan, ['out']);
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-unpack-'));
    await new Promise((resolve, reject) => packed.stream.pipe(tar.extract(dest)).on('finish', resolve).on('error', reject));
    assert.ok(fs.readFileSync(path.join(dest, 'a/b/big.bin')).equals(big));
    assert.equal(fs.readFileSync(path.join(dest, 'a/empty'), 'utf8'), '');
    for (let i = 0; i < 40; i++) assert.equal(fs.readFileSync(path.join(dest, `small-${i}.txt`), 'utf8'), `file ${i}\n`);
    assert.equal(fs.statSync(path.join(dest, 'run.sh')).mode & 0o111, 0o111);
    assert.equal(fs.readlinkSync(path.join(dest, 'link')), 'a/b/big.bin');
    assert.ok(fs.statSync(path.join(dest, 'out')).isDirectory());
    assert.ok(packed.sentBytes() > big.length);
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(dest, { recursive: true, force: true });
  });
});

describe('runs on real daemons: upload, logs, outputs, limits, faults', function () {
  this.timeout(120000);

  for (const which of ['local', 'tls', 'ssh'] as const)
    it(`a python recipe on the ${which} daemon prints in order and its out/result.txt comes back; nothing is left behind`, async () => {
      const r = await run(
        daemons[which](),
        {},
        { 'recipe.py': RECIPE, '.gitignore': '*.log\n', 'secret.log': 'no', 'data/big.bin': 'x' },
        { uploadExclude: ['data/'], uploadWarnBytes: 100 },
      );
      assert.equal(r.outcome.state, 'succeeded', `${r.outcome.message}\n${r.text}`);
      assert.ok(
        r.status.some((s) => /^warning: Uploading 0\.0 MB \(2 files\) from .*more than containerExec\.uploadWarnMB/.test(s)),
        r.status.join('\n'),
      );
      assert.equal(r.outcome.exitCode, 0);
      // each stream in order; across the two pipes Docker gives no order (as with docker run)
      assert.equal(
        r.stdout,
        'hello from the recipe\nline 0\nline 1\nline 2\nignored file uploaded: False\nexcluded folder uploaded: False\n',
      );
      assert.equal(r.stderr, 'to stderr\n');
      assert.equal(output(r, 'result.txt'), `result of ${r.id}`);
      assert.deepEqual(await runContainers(daemons[which](), r.id), []);
    });

  it("the configuration's memory limit and CPU quota are applied (read from the cgroup inside)", async () => {
    const recipe = `import os
def read(*paths):
    for p in paths:
        if os.path.exists(p): return open(p).read().strip()
print("memory", read("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"))
print("quota", read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu.max").split()[0])
print("pids", read("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max"))
`;
    const r = await run(daemons.local(), { resources: { memory: '96m', cpus: 0.5, pidsLimit: 64 } }, { 'recipe.py': recipe });
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.stdout, `memory ${96 * 1024 * 1024}\nquota 50000\npids 64\n`);
  });

  it('a GPU configuration on the TCP daemon sees NVIDIA_VISIBLE_DEVICES; a "fake" runtime runs with HostConfig.Runtime=fake', async () => {
    const gpu = await run(
      daemons.tcp(),
      { gpus: 'all' },
      { 'recipe.py': 'import os\nprint("gpus", os.environ.get("NVIDIA_VISIBLE_DEVICES"))\n' },
    );
    assert.equal(gpu.outcome.state, 'succeeded', gpu.outcome.message);
    assert.match(gpu.stdout, /^gpus \S+/);
    assert.doesNotMatch(gpu.stdout, /gpus None/);

    const fake = await run(daemons.tcp(), { runtime: 'fake' }, { 'recipe.py': 'print("on fake")\n' }, { keepContainer: true });
    assert.equal(fake.outcome.state, 'succeeded', fake.outcome.message);
    const runtime = execFileSync(
      'docker',
      ['-H', need('DOCKER_TCP_HOST'), 'inspect', '-f', '{{.HostConfig.Runtime}}', fake.outcome.containerId!],
      { encoding: 'utf8' },
    ).trim();
    execFileSync('docker', ['-H', need('DOCKER_TCP_HOST'), 'rm', '-f', fake.outcome.containerId!], { stdio: 'ignore' });
    assert.equal(runtime, 'fake');
  });

  it('an unreachable daemon fails the run within its deadline, naming the host', async () => {
    const r = await run(
      { id: 'void', host: need('DOCKER_BLACKHOLE_HOST').replace(/^(?!tcp:)/, 'tcp://'), timeoutMs: 1500 },
      {},
      { 'recipe.py': 'print(1)\n' },
    );
    assert.equal(r.outcome.failure, 'daemon');
    assert.ok(r.ms < 3 * 1500, `took ${r.ms} ms: more than 3× its 1500 ms deadline`);
    assert.match(r.outcome.message, /127\.0\.0\.1:23799 did not answer info within 1500 ms/);
  });

  it('no usage permission: refused before anything is created', async () => {
    const r = await run(daemons.local(), { allowedGroups: ['data-scientists'] }, { 'recipe.py': 'print(1)\n' }, { groups: ['staff'] });
    assert.equal(r.outcome.state, 'failed');
    assert.equal(r.outcome.failure, 'permission');
    assert.match(r.outcome.message, /No usage permission on configuration run-test \(allowed groups: data-scientists; yours: staff\)/);
    assert.equal(r.outcome.containerId, undefined);
    assert.deepEqual(await runContainers(daemons.local(), r.id), []);
  });

  it('a runtime the daemon lacks (nvidia on the TLS daemon) is a clear error before anything is created', async () => {
    const r = await run(daemons.tls(), { runtime: 'nvidia' }, { 'recipe.py': 'print(1)\n' });
    assert.equal(r.outcome.failure, 'capacity');
    assert.match(r.outcome.message, /runtime "nvidia" is not available on daemon "tls".*Nothing was created/);
    assert.deepEqual(await runContainers(daemons.tls(), r.id), []);
  });

  it('an image the daemon lacks: "build it first", or the registry\'s pull error', async () => {
    const built = await run(daemons.local(), {}, { 'recipe.py': 'print(1)\n' }, { image: 'container-exec/base-nothing:0' });
    assert.equal(built.outcome.failure, 'image-missing');
    assert.match(
      built.outcome.message,
      /Image container-exec\/base-nothing:0 of configuration run-test is not on daemon "local" .*build it first \(Build Base Image\)/,
    );
    const pulled = await run(
      daemons.local(),
      {},
      { 'recipe.py': 'print(1)\n' },
      { image: `${need('DOCKER_REGISTRY')}/no-such-image:1`, pull: true },
    );
    assert.equal(pulled.outcome.failure, 'image-missing');
    assert.match(pulled.outcome.message, /could not be pulled: .*not found|could not be pulled: .*unknown/i);
  });

  it("an image the TLS daemon lacks is pulled from the configuration's registry, then runs", async () => {
    const ref = `${need('DOCKER_REGISTRY')}/python:3-bookworm`;
    const tlsCli = (...args: string[]) =>
      execFileSync('docker', ['-H', need('DOCKER_TLS_SOCK'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      tlsCli('rmi', ref);
    } catch {
      // not there: as it should be
    }
    try {
      const r = await run(
        daemons.tls(),
        { registry: { url: need('DOCKER_REGISTRY') } },
        { 'recipe.py': 'print("pulled and ran")\n' },
        { image: ref, pull: true },
      );
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      assert.equal(r.stdout, 'pulled and ran\n');
      assert.ok(
        r.status.some((s) => s === `Pulling ${ref} from ${need('DOCKER_REGISTRY')}`),
        r.status.join('\n'),
      );
      assert.match(tlsCli('image', 'inspect', '-f', '{{.Id}}', ref), /^sha256:/);
    } finally {
      tlsCli('rmi', ref);
    }
  });

  it('a non-zero exit fails the run with its code, and the outputs written so far still come back', async () => {
    const r = await run(
      daemons.local(),
      {},
      { 'recipe.py': 'import os, sys\nos.makedirs("out", exist_ok=True)\nopen("out/partial.txt", "w").write("half")\nsys.exit(3)\n' },
    );
    assert.equal(r.outcome.state, 'failed');
    assert.equal(r.outcome.failure, 'exit');
    assert.equal(r.outcome.exitCode, 3);
    assert.equal(output(r, 'partial.txt'), 'half');
    assert.deepEqual(await runContainers(daemons.local(), r.id), []);
  });

  it('out of memory with a 32m configuration is reported as OOM-killed (exit 137)', async () => {
    const r = await run(
      daemons.local(),
      { resources: { memory: '32m', memorySwap: '32m' } },
      { 'recipe.py': 'x = bytearray(200 * 1024 * 1024)\nprint("survived")\n' },
    );
    assert.equal(r.outcome.failure, 'oom', r.outcome.message);
    assert.equal(r.outcome.exitCode, 137);
    assert.ok(r.outcome.oomKilled);
    assert.match(r.outcome.message, /OOM-killed: .*configuration run-test allows \(memory 32m\)/);
  });

  it('cancel mid-run stops the container, fetches the outputs so far and leaves no container', async () => {
    const ctl = new AbortController();
    const recipe =
      'import os, time\nos.makedirs("out", exist_ok=True)\nopen("out/early.txt", "w").write("before cancel")\nprint("started", flush=True)\ntime.sleep(60)\n';
    const r = await run(
      daemons.local(),
      {},
      { 'recipe.py': recipe },
      { signal: ctl.signal, onOutput: (t) => t.includes('started') && ctl.abort() },
    );
    assert.equal(r.outcome.state, 'cancelled', r.outcome.message);
    assert.ok(r.ms < 60000, `took ${r.ms} ms: the recipe's 60 s sleep ended the run, not the cancel`);
    assert.equal(output(r, 'early.txt'), 'before cancel');
    assert.deepEqual(await runContainers(daemons.local(), r.id), []);
  });

  it('five concurrent runs on two daemons all finish with their own outputs', async () => {
    const recipe =
      'import os, time\ntime.sleep(1)\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write(os.environ["WHO"])\nprint("done", os.environ["WHO"])\n';
    const runs = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => run(i % 2 ? daemons.tcp() : daemons.local(), { env: { WHO: `run-${i}` } }, { 'recipe.py': recipe })),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      assert.equal(r.stdout, `done run-${i}\n`);
      assert.equal(output(r, 'result.txt'), `run-${i}`);
    }
    assert.equal(new Set(runs.map((r) => r.outcome.containerId)).size, 5);
  });
});

describe('demultiplexing Docker frames (pure)', () => {
  it('keeps order and content whatever the chunk boundaries', async () => {
    const frame = (fd: number, text: string) => {
      const body = Buffer.from(text);
      const h = Buffer.alloc(8);
      h[0] = fd;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err ü\n'), frame(1, ''), frame(1, 'x'.repeat(70000)), frame(2, 'last\n')]);
    for (const step of [1, 3, 7, 8, 9, 4096, all.length]) {
      const s = new PassThrough();
      const got: string[] = [];
      demuxFrames(s, (p, fd) => got.push(`${fd}:${p.toString()}`));
      for (let i = 0; i < all.length; i += step) s.write(all.subarray(i, i + step));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(got, ['1:out one\n', '2:err ü\n', `1:${'x'.repeat(70000)}`, '2:last\n'], `chunks of ${step}`);
    }
  });
});
