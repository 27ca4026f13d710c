import * as fs from 'node:fs';
import { type Stats } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import ignore, { type Ignore } from 'ignore';
import { ChunkedTar, TAR_CHUNK } from './chunkedTar';
import { cannotPack, packEntries, packEntriesOf, type PackEntry } from './entryPacker';
import type { PackMainMessage, PackWorkerInput, PackWorkerMessage } from './packWorker';
import { givePackWorkerBack, takePackWorker, warmPackWorker } from './packWorkerPool';
import { TarStream } from './tarStream';

/** Never uploaded: the repository and the runs' own outputs. */
export const ALWAYS_EXCLUDED = ['.git/', '.container-exec/'];
export { PACK_WORKER_FILE } from './packWorkerPool';

export interface WorkspaceScan {
  /** Workspace-relative paths (posix), directories before what they hold. */
  entries: string[];
  /** lstat of each entry, same order. */
  stats: Stats[];
  files: number;
  bytes: number;
}

/**
 * What a run uploads: the workspace folder minus what its .gitignore files (each folder's own, as git
 * reads them) and `exclude` (gitignore syntax, relative to the folder) leave out.
 */
export async function scanWorkspace(dir: string, exclude: string[] = []): Promise<WorkspaceScan> {
  const scan: WorkspaceScan = { entries: [], stats: [], files: 0, bytes: 0 };
  const root = ignore().add([...ALWAYS_EXCLUDED, ...exclude]);
  let warmed = false;
  // each .gitignore applies to its own folder's subtree, with paths relative to that folder
  const walk = async (rel: string, rules: { base: string; ig: Ignore }[]): Promise<void> => {
    const abs = path.join(dir, rel);
    const gitignore = await readFile(path.join(abs, '.gitignore'), 'utf8').catch(() => undefined);
    const here = gitignore === undefined ? rules : [...rules, { base: rel, ig: ignore().add(gitignore) }];
    const children = await readdir(abs, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : 1));
    const kept = children.filter((child) => {
      const childRel = rel ? `${rel}/${child.name}` : child.name;
      const probe = child.isDirectory() ? `${childRel}/` : childRel;
      if (root.ignores(probe) || here.some((r) => r.ig.ignores(r.base ? probe.slice(r.base.length + 1) : probe))) return false;
      return child.isFile() || child.isDirectory() || child.isSymbolicLink();
    });
    // a folder's entries are stat'ed at once: one lstat after another costs more than the upload saves
    const stats = await Promise.all(kept.map((child) => lstatOf(path.join(abs, child.name))));
    for (const [i, child] of kept.entries()) {
      const childRel = rel ? `${rel}/${child.name}` : child.name;
      scan.entries.push(childRel);
      scan.stats.push(stats[i]!);
      if (child.isDirectory()) await walk(childRel, here);
      else {
        scan.files++;
        if (child.isFile()) scan.bytes += stats[i]!.size;
        // too much to pack in-thread: the worker starts while the scan goes on, off the upload's path
        if (!warmed && (scan.files > IN_THREAD_FILES || stats[i]!.size > TAR_CHUNK)) {
          warmed = true;
          warmPackWorker();
        }
      }
    }
  };
  await walk('', []);
  return scan;
}

/** fs.lstat through its callback: measured, a quarter less CPU per entry than fs/promises' for 2,000 files. */
const lstatOf = promisify(fs.lstat);

/** A tar on its way to the daemon: a build context or a workspace. */
export interface PackedContext {
  stream: Readable;
  /** Bytes sent so far (the tar as it streams). */
  sentBytes(): number;
}

export interface PackedWorkspace extends PackedContext {
  /** Why packing stopped (a file that cannot be read, named), if it did. */
  failure(): Error | undefined;
  /** Stops reading files (the upload failed or was cancelled). */
  destroy(): void;
}

/** Up to this many files, all small, are packed on the caller's thread: a worker's start costs more than they do. */
const IN_THREAD_FILES = 64;
/** A large file is read this much at a time: a few reads ahead of the socket. */
const LARGE_READ = 4 * TAR_CHUNK;

/**
 * The scanned entries as one tar stream (owned by root, as `docker cp` makes them), followed by
 * `extraDirs` (e.g. the output folder, world-writable so a non-root recipe can write to it even when
 * the workspace has one). A worker thread (packWorker.ts) reads the small files with synchronous calls
 * and packs them: their per-file calls and garbage stay off the caller's thread (the extension host's);
 * a large file's body is streamed from here. Goes in chunks of TAR_CHUNK or more, a few read ahead.
 */
export function packWorkspace(dir: string, scan: WorkspaceScan, extraDirs: string[] = []): PackedWorkspace {
  const small = scan.files <= IN_THREAD_FILES && scan.stats.every((st) => !st.isFile() || st.size <= TAR_CHUNK);
  if (small) return packInThread(dir, scan, extraDirs);
  const input: PackWorkerInput = { dir, entries: packEntriesOf(scan.entries, scan.stats), extraDirs };
  const worker = takePackWorker();
  const stop = new AbortController();
  let failure: Error | undefined;
  let sent = 0;
  /** Chunks of the worker's pushed and not yet acknowledged to it: the reader wanted no more then. */
  let owed = 0;
  let wanted: (() => void) | undefined;
  let terminated = false;
  const acknowledge = () => {
    for (; owed > 0 && !stop.signal.aborted; owed--) worker.postMessage({ type: 'taken' } satisfies PackMainMessage);
  };
  // chunks written after the tar's end still go back: the worker keeps them for its next upload
  const memory = reusedMemory((buffer) => terminated || worker.postMessage({ type: 'spare', buffer } satisfies PackMainMessage, [buffer]));
  const stream = new TarStream(() => {
    acknowledge();
    const w = wanted;
    wanted = undefined;
    w?.();
  }, memory.written);
  const push = (chunk: Buffer) => {
    sent += chunk.length;
    return stream.push(chunk);
  };
  /** The worker is no longer this upload's: kept for the next once the tar ended cleanly, else ended. */
  const end = (clean = false) => {
    if (stop.signal.aborted) return;
    stop.abort();
    wanted?.();
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (clean) return givePackWorkerBack(worker);
    terminated = true;
    void worker.terminate();
  };
  const fail = (e: Error) => {
    if (stop.signal.aborted) return;
    failure = e;
    end();
    stream.destroy(e);
  };
  stream.on('close', () => end());
  /** Resolves once the reader wants more (at once if it does, or if the tar is over). */
  const pushed = (chunk: Buffer) =>
    push(chunk) || stop.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => (wanted = resolve));
  const sendBody = (e: PackEntry) =>
    streamBody(path.join(dir, e.name), e.size, { push: pushed, buffer: memory.bodyBuffer, signal: stop.signal }).then(() =>
      worker.postMessage({ type: 'body-sent' } satisfies PackMainMessage),
    );
  const onMessage = (m: PackWorkerMessage) => {
    if (stop.signal.aborted) return;
    if (m.type === 'chunk') {
      owed++;
      memory.moved(m.bytes.buffer as ArrayBuffer);
      if (push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength))) acknowledge();
    } else if (m.type === 'body')
      sendBody(m.entry).catch((err: unknown) => stop.signal.aborted || fail(cannotPack(m.entry.name, dir, err)));
    else if (m.type === 'end') {
      stream.push(null);
      end(true);
    } else fail(new Error(m.message));
  };
  const onError = (e: Error) => fail(new Error(`cannot upload from ${dir}: the packing thread failed: ${e.message}`));
  const onExit = (code: number) =>
    fail(new Error(`cannot upload from ${dir}: the packing thread exited (code ${code}) before the tar ended`));
  worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  worker.postMessage({ type: 'pack', input } satisfies PackMainMessage);
  return {
    stream,
    sentBytes: () => sent,
    failure: () => failure,
    destroy: () => {
      end();
      stream.destroy();
    },
  };
}

/**
 * The memory of an upload's chunks, used again once written (TarStream): a chunk the worker moved whole
 * (a TAR_CHUNK buffer) goes back to it through `giveBack`; a buffer a large file was read into is read into again.
 */
function reusedMemory(giveBack: (buffer: ArrayBuffer) => void) {
  const moved = new WeakSet<ArrayBuffer>();
  const bodies = new WeakSet<ArrayBuffer>();
  const spareBodies: Buffer[] = [];
  return {
    moved: (buffer: ArrayBuffer) => buffer.byteLength === TAR_CHUNK && moved.add(buffer),
    written: (chunk: Buffer) => {
      const buffer = chunk.buffer as ArrayBuffer;
      if (bodies.has(buffer)) spareBodies.push(Buffer.from(buffer));
      else if (moved.has(buffer)) giveBack(buffer);
    },
    bodyBuffer: () => {
      const b = spareBodies.pop() ?? Buffer.allocUnsafeSlow(LARGE_READ);
      bodies.add(b.buffer as ArrayBuffer);
      return b;
    },
  };
}

/**
 * A large file's body up to its scanned size, read into `o.buffer()`s (LARGE_READ each) at the pace of
 * `o.push`; a file that shrank fails ("size mismatch"). Stops once `o.signal` is aborted.
 */
async function streamBody(
  file: string,
  size: number,
  o: { push: (chunk: Buffer) => Promise<void>; buffer: () => Buffer; signal: AbortSignal },
): Promise<void> {
  const fh = await open(file, 'r');
  try {
    for (let got = 0; got < size && !o.signal.aborted;) {
      const buf = o.buffer();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - got), got);
      if (bytesRead === 0) throw new Error('size mismatch');
      got += bytesRead;
      await o.push(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/** A few small files packed on this thread, each read with a plain open, read, close (no worker to start). */
function packInThread(dir: string, scan: WorkspaceScan, extraDirs: string[]): PackedWorkspace {
  const stop = new AbortController();
  let failure: Error | undefined;
  let wanted: (() => void) | undefined;
  const wake = () => {
    const w = wanted;
    wanted = undefined;
    w?.();
  };
  const stream = new Readable({ highWaterMark: TAR_CHUNK, read: wake });
  stream.on('close', () => (stop.abort(), wake()));
  const out = (chunk: Buffer) =>
    stream.push(chunk) || stop.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => (wanted = resolve));
  const tar = new ChunkedTar(out);
  const entries = packEntriesOf(scan.entries, scan.stats);
  const readSmall = (file: string, size: number) => readScanned(file, size, stop.signal);
  const largeBody = () => Promise.reject(new Error('a large file in an in-thread pack'));
  packEntries({ tar, dir, entries, extraDirs, largeBody, readSmall }).then(
    () => stop.signal.aborted || stream.push(null),
    (e: Error) => {
      if (stop.signal.aborted) return;
      failure = e;
      stream.destroy(e);
    },
  );
  return {
    stream,
    sentBytes: () => tar.sentBytes(),
    failure: () => failure,
    destroy: () => stream.destroy(),
  };
}

/** A small file's first `size` bytes (fewer if it shrank since the scan) with a plain open, read, close. */
function readScanned(file: string, size: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    fs.open(file, 'r', (e, fd) => {
      if (e) return reject(e);
      const body = Buffer.allocUnsafe(size);
      const end = (err: Error | null, got: number) => fs.close(fd, () => (err ? reject(err) : resolve(body.subarray(0, got))));
      const next = (got: number) =>
        got === size
          ? end(null, got)
          : fs.read(fd, body, got, size - got, got, (err, n) => (err ? end(err, 0) : n === 0 ? end(null, got) : next(got + n)));
      next(0);
    });
  });
}
