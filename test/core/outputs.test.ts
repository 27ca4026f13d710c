import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import {
  DockerDaemonBackend,
  createDaemonClient,
  extractOutputArchive,
  newRunId,
  retrieveKeptOutputs,
  runRecipe,
  validateConfiguration,
  type DaemonDescriptionInput,
  type RunOutcome,
  type RunRequest,
} from '../../src/core';
import { testRunRequest, runContainersOn } from '../support/runs';
import { need } from '../support/testbed';

/** A tar made by hand: entries a container could never hand us through Docker, and some it could. */
function tarOf(entries: Array<tarStream.Headers & { body?: string }>): NodeJS.ReadableStream {
  const pack = tarStream.pack();
  void (async () => {
    for (const { body, ...header } of entries)
      await new Promise<void>((resolve, reject) => pack.entry(header, body ?? '', (e) => (e ? reject(e) : resolve())));
    pack.finalize();
  })();
  return pack;
}

/** Every path under `dir` (relative, posix), links not followed. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isSymbolicLink() ? `${p} -> ${fs.readlinkSync(path.join(dir, p))}` : e.isDirectory() ? `${p}/` : p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}

describe('output archives: each entry judged alone, nothing lands outside the run folder (pure)', () => {
  it('refuses ../ and absolute names, links out, writes through links, FIFOs and devices; keeps the rest', async () => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-judge-'));
    const dest = path.join(top, 'run');
    const outside = path.join(top, 'outside');
    fs.mkdirSync(path.join(dest, 'out'), { recursive: true });
    fs.mkdirSync(outside);
    // left by an earlier fetch (or planted): a link in the run folder to a folder outside it
    fs.symlinkSync(outside, path.join(dest, 'out', 'planted'));
    const got = await extractOutputArchive(
      tarOf([
        { name: 'out', type: 'directory' },
        { name: 'out/file.txt', body: 'kept' },
        { name: '../evil', body: 'x' },
        { name: '/abs', body: 'x' },
        { name: 'out/../../escape', body: 'x' },
        { name: 'out/esc', type: 'symlink', linkname: '../..' },
        { name: 'out/esc/through.txt', body: 'x' },
        { name: 'out/planted/through.txt', body: 'x' },
        { name: 'out/inside', type: 'symlink', linkname: '/workspace/out/file.txt' },
        { name: 'out/inside', body: 'replaces the link, not what it points at' },
        { name: 'out/sub', type: 'symlink', linkname: '.' },
        { name: 'out/sub/through.txt', body: 'x' },
        { name: 'out/hard-out', type: 'link', linkname: '../outside/secret' },
        { name: 'out/hard-in', type: 'link', linkname: 'out/file.txt' },
        { name: 'out/pipe', type: 'fifo' },
        { name: 'out/tty', type: 'character-device', devmajor: 5, devminor: 0 },
        { name: 'out/after.txt', body: 'after them all' },
      ]),
      dest,
      '/workspace/out',
    );
    assert.deepEqual(
      got.skipped.map((s) => s.name),
      [
        '../evil',
        '/abs',
        'out/../../escape',
        'out/esc',
        'out/planted/through.txt',
        'out/sub/through.txt',
        'out/hard-out',
        'out/pipe',
        'out/tty',
      ],
    );
    assert.match(got.skipped.find((s) => s.name === 'out/esc')!.reason, /a link to \.\.\/\.\., outside \/workspace\/out/);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.deepEqual(fs.readdirSync(top).sort(), ['outside', 'run']);
    // the skipped link is not there, so its "through" file is an ordinary file in an ordinary folder of the run
    assert.deepEqual(tree(dest), [
      'out/',
      'out/after.txt',
      'out/esc/',
      'out/esc/through.txt',
      'out/file.txt',
      'out/hard-in',
      'out/inside',
      `out/planted -> ${outside}`,
      'out/sub -> .',
    ]);
    assert.equal(fs.readFileSync(path.join(dest, 'out/file.txt'), 'utf8'), 'kept');
    assert.equal(fs.readFileSync(path.join(dest, 'out/hard-in'), 'utf8'), 'kept');
    assert.equal(fs.readFileSync(path.join(dest, 'out/inside'), 'utf8'), 'replaces the link, not what it points at');
    assert.equal(fs.readFileSync(path.join(dest, 'out/after.txt'), 'utf8'), 'after them all');
    assert.equal(got.capped, undefined);
    fs.rmSync(top, { recursive: true, force: true });
  });

  it('stops at the entry or byte cap, having written what came before', async () => {
    const files = Array.from({ length: 10 }, (_, i) => ({ name: `out/f${i}`, body: 'x'.repeat(100) }));
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-cap-'));
    const byEntries = await extractOutputArchive(tarOf(files), dest, '/workspace/out', { maxEntries: 4 });
    assert.deepEqual(byEntries.capped, { cap: 'maxEntries', limit: 4 });
    assert.deepEqual(fs.readdirSync(path.join(dest, 'out')).sort(), ['f0', 'f1', 'f2', 'f3']);
    const byBytes = await extractOutputArchive(tarOf(files), dest, '/workspace/out', { maxBytes: 650 });
    assert.deepEqual(byBytes.capped, { cap: 'maxBytes', limit: 650 });
    assert.equal(byBytes.bytes, 600);
    const all = await extractOutputArchive(tarOf(files), dest, '/workspace/out', { maxEntries: 10, maxBytes: 1000 });
    assert.equal(all.capped, undefined);
    assert.equal(fs.readdirSync(path.join(dest, 'out')).length, 10);
    fs.rmSync(dest, { recursive: true, force: true });
  });
});

const local = (): DaemonDescriptionInput => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') });

interface Ran {
  outcome: RunOutcome;
  warnings: string[];
  ws: string;
  id: string;
  runDir: string;
}

/** A busybox `sh` recipe run on the local daemon, its workspace in a fresh temp folder. */
async function runSh(recipe: string, opts: Partial<RunRequest> = {}): Promise<Ran> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-outputs-'));
  fs.writeFileSync(path.join(ws, 'recipe.sh'), recipe);
  const r = validateConfiguration({ name: 'outputs-test', daemon: 'local', baseImage: need('BUSYBOX_IMAGE') });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  const id = newRunId();
  const runDir = path.join(ws, '.container-exec', 'runs', id);
  const warnings: string[] = [];
  const client = createDaemonClient(local());
  try {
    const outcome = await runRecipe(
      new DockerDaemonBackend(client),
      testRunRequest({
        id,
        recipe: 'recipe.sh',
        config: r.config,
        image: need('BUSYBOX_IMAGE'),
        workspaceDir: ws,
        outputsDir: runDir,
        ...opts,
      }),
      { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: (t) => warnings.push(t) },
    );
    return { outcome, warnings, ws, id, runDir };
  } finally {
    client.dispose();
  }
}

const runContainers = (id: string) => runContainersOn(local(), id);

const count = (text: string, what: string) => text.split(what).length - 1;

describe('outputs on a real daemon: odd entries are skipped, caps keep the container for a later fetch', function () {
  this.timeout(60000);

  it('links in, links out, a FIFO and 50 files after them: the files and inside links come back, each skipped entry named once', async () => {
    const recipe = [
      'mkdir -p out/run2 out/sub',
      'echo two > out/run2/result.txt',
      'ln -s /workspace/out/run2 out/latest',
      'ln -s sub/../run2/result.txt out/rel',
      'ln -s ../recipe.sh out/up',
      'ln -s /usr/bin/python3 out/venv-python',
      'mkfifo out/pipe',
      'i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo "file $i" > out/z-$i.txt; done',
      '',
    ].join('\n');
    const r = await runSh(recipe);
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    assert.equal(r.outcome.outputsKept, undefined);
    const out = path.join(r.runDir, 'out');
    for (let i = 1; i <= 50; i++) assert.equal(fs.readFileSync(path.join(out, `z-${i}.txt`), 'utf8'), `file ${i}\n`);
    assert.equal(fs.readlinkSync(path.join(out, 'latest')), 'run2');
    assert.equal(fs.readFileSync(path.join(out, 'latest', 'result.txt'), 'utf8'), 'two\n');
    assert.equal(fs.readlinkSync(path.join(out, 'rel')), 'run2/result.txt');
    const warned = r.warnings.join('\n');
    assert.equal(r.warnings.length, 1, warned);
    for (const name of ['out/up', 'out/venv-python', 'out/pipe']) assert.equal(count(warned, `${name} (`), 1, `${name} in: ${warned}`);
    assert.match(warned, /out\/venv-python \(a link to \/usr\/bin\/python3, outside \/workspace\/out\)/);
    assert.match(warned, /out\/pipe \(a FIFO\)/);
    for (const gone of ['up', 'venv-python', 'pipe'])
      assert.ok(!fs.existsSync(path.join(out, gone)) && !isLink(path.join(out, gone)), gone);
    // nothing beside the run folder: the workspace holds the recipe and the run folder, the run folder its out/
    assert.deepEqual(fs.readdirSync(r.ws).sort(), ['.container-exec', 'recipe.sh']);
    assert.deepEqual(fs.readdirSync(path.dirname(r.runDir)), [r.id]);
    // and the run's resource samples (stats.jsonl), when any came in its short life
    assert.deepEqual(
      fs.readdirSync(r.runDir).filter((n) => n !== 'stats.jsonl'),
      ['out'],
    );
    assert.deepEqual(await runContainers(r.id), []);
    fs.rmSync(r.ws, { recursive: true, force: true });
  });

  it('a fetch cut by a cap keeps the container and says so; retrieveKeptOutputs with the caps raised brings the rest, then removes it', async () => {
    const recipe = 'mkdir -p out\ni=0; while [ $i -lt 30 ]; do i=$((i+1)); head -c 1000 /dev/zero > out/f-$i.bin; done\n';
    const r = await runSh(recipe, { outputMaxBytes: 5000, outputMaxEntries: 1000 });
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    const kept = r.outcome.outputsKept;
    assert.ok(kept, JSON.stringify(r.outcome));
    assert.equal(kept.outputPath, '/workspace/out');
    const warned = r.warnings.join('\n');
    assert.match(warned, /more than 5000 bytes \(containerExec\.outputMaxMB\)/);
    assert.match(warned, new RegExp(`Container ${kept.container} was kept on daemon "local".*"Fetch Run Outputs"`));
    assert.equal((await runContainers(r.id)).length, 1);
    const out = path.join(r.runDir, 'out');
    assert.ok(fs.readdirSync(out).length < 30);

    const client = createDaemonClient(local());
    try {
      // a cap still too low: cut again, kept again
      const again = await retrieveKeptOutputs(client, kept.container, kept.outputPath, r.runDir, { maxEntries: 10 });
      assert.deepEqual(again.capped, { cap: 'maxEntries', limit: 10 });
      assert.equal(again.removed, false);
      assert.equal((await runContainers(r.id)).length, 1);

      const all = await retrieveKeptOutputs(client, kept.container, kept.outputPath, r.runDir, { maxEntries: 1000, maxBytes: 1e6 });
      assert.equal(all.capped, undefined);
      assert.equal(all.removed, true);
      assert.equal(all.folder, out);
      assert.equal(fs.readdirSync(out).length, 30);
      for (let i = 1; i <= 30; i++) assert.equal(fs.statSync(path.join(out, `f-${i}.bin`)).size, 1000);
      assert.deepEqual(await runContainers(r.id), []);

      const gone = await retrieveKeptOutputs(client, kept.container, kept.outputPath, r.runDir);
      assert.equal(gone.gone, true);
    } finally {
      client.dispose();
      fs.rmSync(r.ws, { recursive: true, force: true });
    }
  });

  it('a fetch that fails keeps the container with the reason; retrieveKeptOutputs then brings the outputs and removes it', async () => {
    const blocked = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ce-blocked-')), 'not-a-folder');
    fs.writeFileSync(blocked, 'a file where the run folder should be');
    const r = await runSh('mkdir -p out\necho safe > out/a.txt\n', { outputsDir: blocked });
    assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
    const kept = r.outcome.outputsKept;
    assert.ok(kept, JSON.stringify(r.outcome));
    assert.match(kept.reason, /^fetching them failed: .*(EEXIST|ENOTDIR)/);
    assert.match(r.warnings.join('\n'), /Not all outputs of \/workspace\/out came back: fetching them failed.*"Fetch Run Outputs"/);
    assert.equal((await runContainers(r.id)).length, 1);
    const client = createDaemonClient(local());
    try {
      const got = await retrieveKeptOutputs(client, kept.container, kept.outputPath, r.runDir);
      assert.equal(got.removed, true);
      assert.equal(fs.readFileSync(path.join(r.runDir, 'out', 'a.txt'), 'utf8'), 'safe\n');
      assert.deepEqual(await runContainers(r.id), []);
    } finally {
      client.dispose();
      fs.rmSync(r.ws, { recursive: true, force: true });
      fs.rmSync(path.dirname(blocked), { recursive: true, force: true });
    }
  });
});

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
