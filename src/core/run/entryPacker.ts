// Packing scanned entries into a ChunkedTar with synchronous reads: run in the pack worker
// (packWorker.ts), never on the extension host's thread. One open, a few reads and a close per file,
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
 * A file's bytes up to its scanned size, written as they are read (TAR_CHUNK at a time, each read into a
 * buffer of its own, handed on without a copy). A file up to TAR_CHUNK is read whole before its header,
 * so one that shrank since the scan goes with what it holds now; a larger one that shrank fails
 * ("size mismatch", as tar-stream said); one that grew goes up to its scanned size.
 */
async function packFile(tar: ChunkedTar, file: string, e: PackEntry): Promise<void> {
  const header = { name: e.name, mode: e.mode, mtime: new Date(e.mtimeMs), type: 'file' as const };
  const fd = openSync(file, 'r');
  try {
    if (e.size <= TAR_CHUNK) {
      const body = readUpTo(fd, e.size, 0);
      await tar.header({ ...header, size: body.length });
      await tar.write(body);
      return await tar.pad(body.length);
    }
    await tar.header({ ...header, size: e.size });
    for (let at = 0; at < e.size;) {
      const piece = readUpTo(fd, Math.min(TAR_CHUNK, e.size - at), at);
      if (!piece.length) throw new Error('size mismatch');
      at += piece.length;
      await tar.write(piece);
    }
    await tar.pad(e.size);
  } finally {
    closeSync(fd);
  }
}

/** Up to `size` bytes from `position`; fewer at the end of the file. */
function readUpTo(fd: number, size: number, position: number): Buffer {
  const body = Buffer.allocUnsafeSlow(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, body, got, size - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === size ? body : body.subarray(0, got);
}

/**
 * `entries` (from `dir`), then `extraDirs` (world-writable folders), then the tar's end. A file that
 * cannot be read stops it with an error naming the file and the folder.
 */
export async function packEntries(tar: ChunkedTar, dir: string, entries: PackEntry[], extraDirs: string[]): Promise<void> {
  for (const e of entries) {
    try {
      const header = { name: e.name, mode: e.mode, mtime: new Date(e.mtimeMs) };
      if (e.type === 'directory') await tar.header({ ...header, type: 'directory' });
      else if (e.type === 'symlink') await tar.header({ ...header, type: 'symlink', linkname: readlinkSync(path.join(dir, e.name)) });
      else await packFile(tar, path.join(dir, e.name), e);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const changed = /size mismatch/i.test((err as Error).message) ? ' (it changed while uploading)' : '';
      throw new Error(`cannot upload ${e.name} from ${dir}: ${why}${changed}`, { cause: err });
    }
  }
  for (const d of extraDirs) await tar.header({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
  await tar.finish();
}
