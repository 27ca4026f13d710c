import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import { createContainer, createDaemonClient, getArchive, packWorkspace, putArchive, removeContainer, scanWorkspace } from '../../src/core';
import { givePackWorkerBack, takePackWorker } from '../../src/core/run/packWorkerPool';
import { need } from '../support/testbed';

const MB = 1024 * 1024;

/** Every chunk of a stream, in order. */
const chunksOf = (stream: NodeJS.ReadableStream) =>
  new Promise<Buffer[]>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(chunks))
      .on('error', reject);
  });

/** The same entries through tar-stream's pack, as the upload made them before (the reference bytes). */
async function referenceTar(dir: string, entries: string[], stats: fs.Stats[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const done = chunksOf(pack);
  for (const [i, name] of entries.entries()) {
    const st = stats[i]!;
    const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
    await new Promise<void>((resolve, reject) => {
      const cb = (e?: Error | null) => (e ? reject(e) : resolve());
      if (st.isDirectory()) pack.entry({ ...header, type: 'directory' }, cb);
      else if (st.isSymbolicLink()) pack.entry({ ...header, type: 'symlink', linkname: fs.readlinkSync(path.join(dir, name)) }, cb);
      else pack.entry({ ...header, type: 'file' }, fs.readFileSync(path.join(dir, name)), cb);
    });
  }
  pack.finalize();
  return Buffer.concat(await done);
}

describe('the workspace tar (upload at the floor)', () => {
  let ws: string;
  beforeEach(() => (ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-tar-'))));
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('is byte for byte the tar tar-stream packs: long and non-ASCII names (pax), long link targets, modes, empty, small and large files', async () => {
    const deep = path.join(ws, 'd'.repeat(60), 'e'.repeat(70));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'f'.repeat(90)), 'deep\n');
    fs.writeFileSync(path.join(ws, 'ünïcode.txt'), 'ü\n');
    fs.writeFileSync(path.join(ws, 'empty'), '');
    fs.chmodSync(path.join(ws, 'empty'), 0);
    fs.writeFileSync(path.join(ws, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(ws, 'edge.bin'), Buffer.alloc(1024 * 1024, 1));
    fs.writeFileSync(path.join(ws, 'large.bin'), Buffer.alloc(3 * 1024 * 1024 + 7, 2));
    fs.symlinkSync('l'.repeat(150), path.join(ws, 'long-link'));
    fs.symlinkSync('empty', path.join(ws, 'short-link'));
    const scan = await scanWorkspace(ws);
    const ours = Buffer.concat(await chunksOf(packWorkspace(ws, scan).stream));
    assert.ok(ours.equals(await referenceTar(ws, scan.entries, scan.stats)));
  });

  it('goes out in a few chunks of up to 1 MB, not three writes per file (header, body, padding)', async () => {
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(ws, `small-${i}.txt`), Buffer.alloc(1000, i % 256));
    const packed = packWorkspace(ws, await scanWorkspace(ws));
    const chunks = await chunksOf(packed.stream);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    assert.equal(packed.sentBytes(), bytes);
    assert.ok(chunks.length <= Math.ceil(bytes / MB) + 1, `${chunks.length} chunks for ${bytes} bytes`);
  });
});

describe("the workspace tar through the Engine API (its chunks' memory used again once written)", function () {
  this.timeout(120000);
  let ws: string;
  beforeEach(() => (ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-tar-api-'))));
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('every file arrives in the container as it is here: 400 small files and two large ones, all different bytes', async () => {
    const want = new Map<string, string>();
    const write = (name: string, bytes: Buffer) => {
      fs.writeFileSync(path.join(ws, name), bytes);
      want.set(name, createHash('sha256').update(bytes).digest('hex'));
    };
    for (let i = 0; i < 400; i++) write(`small-${i}.bin`, randomBytes(30000 + i));
    for (let i = 0; i < 2; i++) write(`large-${i}.bin`, randomBytes(13 * MB + i));
    await uploadArrives(ws, want);
  });

  it('the pack worker kept warm packs the next upload (its spare chunks from the last one), and one that died while waiting is replaced', async () => {
    const want = new Map<string, string>();
    const write = (name: string, bytes: Buffer) => {
      fs.writeFileSync(path.join(ws, name), bytes);
      want.set(name, createHash('sha256').update(bytes).digest('hex'));
    };
    for (let i = 0; i < 300; i++) write(`small-${i}.bin`, randomBytes(20000 + i));
    await uploadArrives(ws, want);
    const warm = takePackWorker();
    givePackWorkerBack(warm);
    for (let i = 0; i < 300; i += 3) write(`small-${i}.bin`, randomBytes(25000 + i));
    await uploadArrives(ws, want);
    const again = takePackWorker();
    assert.equal(again.threadId, warm.threadId, 'the second upload was packed by the same worker, kept for the third');
    givePackWorkerBack(again);
    await again.terminate();
    for (let i = 1; i < 300; i += 3) write(`small-${i}.bin`, randomBytes(15000 + i));
    await uploadArrives(ws, want);
  });
});

/** `ws` uploaded to a container of the primary daemon: each file arrives with the hash `want` has for it. */
async function uploadArrives(ws: string, want: Map<string, string>): Promise<void> {
  const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST') });
  const id = await createContainer(client, { name: `ce-tar-api-${Date.now()}`, Image: need('BUSYBOX_IMAGE'), Cmd: ['true'] });
  try {
    await putArchive(client, id, packWorkspace(ws, await scanWorkspace(ws)).stream, '/tmp');
    const got = new Map<string, string>();
    const extract = tarStream.extract();
    extract.on('entry', (header, body, next) => {
      const hash = createHash('sha256');
      body
        .on('data', (c: Buffer) => hash.update(c))
        .on('end', () => {
          if (header.type === 'file') got.set(path.basename(header.name), hash.digest('hex'));
          next();
        });
    });
    const done = new Promise((resolve, reject) => extract.on('finish', resolve).on('error', reject));
    (await getArchive(client, id, '/tmp')).pipe(extract);
    await done;
    assert.equal(got.size, want.size);
    for (const [name, hash] of want) assert.equal(got.get(name), hash, `${name} differs in the container`);
  } finally {
    await removeContainer(client, id);
    client.dispose();
  }
}
