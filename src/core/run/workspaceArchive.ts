import * as fs from 'node:fs';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { PackedContext } from '../build/buildContext';
import { ChunkedTar, TAR_CHUNK } from './chunkedTar';

/** Never uploaded: the repository and the runs' own outputs. */
export const ALWAYS_EXCLUDED = ['.git/', '.container-exec/'];

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
    const stats = await Promise.all(kept.map((child) => lstat(path.join(abs, child.name))));
    for (const [i, child] of kept.entries()) {
      const childRel = rel ? `${rel}/${child.name}` : child.name;
      scan.entries.push(childRel);
      scan.stats.push(stats[i]!);
      if (child.isDirectory()) await walk(childRel, here);
      else {
        scan.files++;
        if (child.isFile()) scan.bytes += stats[i]!.size;
      }
    }
  };
  await walk('', []);
  return scan;
}

export interface PackedWorkspace extends PackedContext {
  /** Why packing stopped (a file that cannot be read, named), if it did. */
  failure(): Error | undefined;
  /** Stops reading files (the upload failed or was cancelled). */
  destroy(): void;
}

/** Files up to this size are read whole (one call instead of a stream), a few ahead of the tar. */
const SMALL_FILE = 1024 * 1024;
const READ_AHEAD = 16;

/**
 * A small file's first `size` bytes (its scanned size) with a plain open, read, close: the promise API's
 * FileHandle and readFile's fstat cost more than the read for the thousands of files a workspace holds.
 * Fewer bytes when it shrank since the scan; a file still growing keeps the tar consistent, as a large one.
 */
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

/** A large file's bytes up to its scanned size, in TAR_CHUNK reads; a file that shrank fails ("size mismatch", as tar-stream said). */
async function streamScanned(tar: ChunkedTar, file: string, size: number, signal: AbortSignal): Promise<void> {
  let got = 0;
  for await (const chunk of createReadStream(file, { end: size - 1, highWaterMark: TAR_CHUNK, signal }) as AsyncIterable<Buffer>) {
    got += chunk.length;
    await tar.write(chunk);
  }
  if (got !== size) throw new Error('size mismatch');
}

/**
 * The scanned entries as one tar stream (owned by root, as `docker cp` makes them), followed by
 * `extraDirs` (e.g. the output folder, world-writable so a non-root recipe can write to it even when
 * the workspace has one). Streams in large chunks: only a few small files are held at once.
 */
export function packWorkspace(dir: string, scan: WorkspaceScan, extraDirs: string[] = []): PackedWorkspace {
  const tar = new ChunkedTar();
  const stop = new AbortController();
  let failure: Error | undefined;
  tar.stream.on('close', () => stop.abort());
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number) => {
    for (let i = from; i < scan.entries.length && reads.size < READ_AHEAD; i++)
      if (!reads.has(i) && scan.stats[i]!.isFile() && scan.stats[i]!.size <= SMALL_FILE) {
        const read = readScanned(path.join(dir, scan.entries[i]!), scan.stats[i]!.size, stop.signal);
        read.catch(() => undefined); // awaited in turn; a read never reached must not be an unhandled rejection
        reads.set(i, read);
      }
  };
  const entry = async (i: number) => {
    const name = scan.entries[i]!;
    const st = scan.stats[i]!;
    const header = { name, mode: st.mode & 0o7777, mtime: st.mtime };
    if (st.isDirectory()) return tar.header({ ...header, type: 'directory' });
    if (st.isSymbolicLink()) return tar.header({ ...header, type: 'symlink', linkname: await readlink(path.join(dir, name)) });
    if (reads.has(i)) {
      const body = await reads.get(i)!;
      reads.delete(i);
      await tar.header({ ...header, type: 'file', size: body.length });
      await tar.write(body);
      return tar.pad(body.length);
    }
    await tar.header({ ...header, type: 'file', size: st.size });
    await streamScanned(tar, path.join(dir, name), st.size, stop.signal);
    await tar.pad(st.size);
  };
  const produce = async () => {
    for (let i = 0; i < scan.entries.length; i++) {
      if (stop.signal.aborted) return;
      readAhead(i);
      try {
        await entry(i);
      } catch (e) {
        const name = scan.entries[i]!;
        throw new Error(
          `cannot upload ${name} from ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}${/size mismatch/i.test((e as Error).message) ? ' (it changed while uploading)' : ''}`,
          { cause: e },
        );
      }
    }
    for (const d of extraDirs) await tar.header({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
    await tar.finish();
  };
  produce().catch((e: Error) => {
    if (stop.signal.aborted) return;
    failure = e;
    tar.stream.destroy(e);
  });
  return {
    stream: tar.stream,
    sentBytes: () => tar.sentBytes(),
    failure: () => failure,
    destroy: () => {
      stop.abort();
      tar.stream.destroy();
    },
  };
}
