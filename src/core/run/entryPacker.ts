// Packing scanned entries into a ChunkedTar with synchronous reads: run in the pack worker
// (packWorker.ts), never on the extension host's thread. One open, a read and a close per small file,
// with no thread-pool round trip or promise per call: that round trip was most of a small file's cost.
import { closeSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { ChunkedTar, TAR_CHUNK } from './chunkedTar';

/** A scanned entry as the worker is given it (structured-cloned: plain data, no Stats). */
export interface PackEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  mtimeMs: number;
  /** A file's scanned size. */
  size: number;
}

export function packEntriesOf(entries: string[], stats: Stats[]): PackEntry[] {
  return entries.map((name, i) => {
    const st = stats[i]!;
    const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'file';
    return { name, type, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, size: type === 'file' ? st.size : 0 };
  });
}

/**
 * How a body larger than TAR_CHUNK goes: after its header, in place of the tar's bytes (the tar is flushed
 * first), by whoever reads the tar (packWorkspace streams it itself: a large file's chunks moved from
 * a worker cost the receiving thread full garbage collections). Rejects as a read of the file would.
 */
export type LargeBody = (e: PackEntry) => Promise<void>;

/** A small file's first `size` bytes (fewer if it shrank), read without blocking: for packing on the caller's thread. */
export type ReadSmall = (file: string, size: number) => Promise<Buffer>;

/** A file: a small one read here (by `readSmall` if given, else synchronously) (one that shrank since the scan goes with what it holds now), a large one by `largeBody`. */
async function packFile(tar: ChunkedTar, file: string, e: PackEntry, largeBody: LargeBody, readSmall?: ReadSmall): Promise<void> {
  const header = { name: e.name, mode: e.mode, mtime: new Date(e.mtimeMs), type: 'file' as const };
  if (e.size > TAR_CHUNK) {
    await tar.header({ ...header, size: e.size });
    await tar.flush();
    await largeBody(e);
    return tar.pad(e.size);
  }
  if (readSmall) {
    const body = await readSmall(file, e.size);
    await tar.header({ ...header, size: body.length });
    await tar.write(body);
    return tar.pad(body.length);
  }
  const fd = openSync(file, 'r');
  try {
    if (await tar.fileInPlace(header, e.size, (buf, offset, size) => readUpTo(fd, buf, offset, size))) return;
    const body = Buffer.allocUnsafe(e.size);
    const got = readUpTo(fd, body, 0, e.size);
    await tar.header({ ...header, size: got });
    await tar.write(body.subarray(0, got));
    await tar.pad(got);
  } finally {
    closeSync(fd);
  }
}

/** Up to `size` bytes of the file's start into `buf` at `offset`; fewer at its end. How many. */
function readUpTo(fd: number, buf: Buffer, offset: number, size: number): number {
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, offset + got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** The error of an entry that could not be packed: its name, the folder, the reason (a file that changed, said so). */
export function cannotPack(name: string, dir: string, err: unknown): Error {
  const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const changed = /size mismatch/i.test((err as Error).message) ? ' (it changed while uploading)' : '';
  return new Error(`cannot upload ${name} from ${dir}: ${why}${changed}`, { cause: err });
}

/**
 * `entries` (from `dir`), then `extraDirs` (world-writable folders), then the tar's end. An entry that
 * cannot be read stops it with an error naming the file and the folder.
 */
export async function packEntries(o: {
  tar: ChunkedTar;
  dir: string;
  entries: PackEntry[];
  extraDirs: string[];
  largeBody: LargeBody;
  readSmall?: ReadSmall;
}) {
  const { tar, dir } = o;
  for (const e of o.entries) {
    try {
      const header = { name: e.name, mode: e.mode, mtime: new Date(e.mtimeMs) };
      if (e.type === 'directory') await tar.header({ ...header, type: 'directory' });
      else if (e.type === 'symlink') await tar.header({ ...header, type: 'symlink', linkname: readlinkSync(path.join(dir, e.name)) });
      else await packFile(tar, path.join(dir, e.name), e, o.largeBody, o.readSmall);
    } catch (err) {
      throw (err as Error).message.startsWith('cannot upload ') ? err : cannotPack(e.name, dir, err);
    }
  }
  for (const d of o.extraDirs) await tar.header({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
  await tar.finish();
}
