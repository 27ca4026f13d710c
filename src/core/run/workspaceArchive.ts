import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream';
import ignore, { type Ignore } from 'ignore';
import * as tarStream from 'tar-stream';
import { countingStream, type PackedContext } from '../build/buildContext';

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
 * The scanned entries as one tar stream (owned by root, as `docker cp` makes them), followed by
 * `extraDirs` (e.g. the output folder, world-writable so a non-root recipe can write to it even when
 * the workspace has one). Streams: only a few small files are held at once.
 */
export function packWorkspace(dir: string, scan: WorkspaceScan, extraDirs: string[] = []): PackedWorkspace {
  const pack = tarStream.pack();
  const counted = countingStream();
  const stop = new AbortController();
  let failure: Error | undefined;
  pipeline(pack, counted.stream, () => stop.abort());
  const entry = (header: tarStream.Headers, body?: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry(header, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve())));
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number) => {
    for (let i = from; i < scan.entries.length && reads.size < READ_AHEAD; i++)
      if (!reads.has(i) && scan.stats[i]!.isFile() && scan.stats[i]!.size <= SMALL_FILE) {
        const read = readFile(path.join(dir, scan.entries[i]!), { signal: stop.signal });
        read.catch(() => undefined); // awaited in turn; a read never reached must not be an unhandled rejection
        reads.set(i, read);
      }
  };
  const produce = async () => {
    for (const [i, name] of scan.entries.entries()) {
      if (stop.signal.aborted) return;
      const st = scan.stats[i]!;
      const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      readAhead(i);
      try {
        if (st.isDirectory()) await entry({ ...header, type: 'directory' });
        else if (st.isSymbolicLink()) await entry({ ...header, type: 'symlink', linkname: await readlink(path.join(dir, name)) });
        else if (reads.has(i)) {
          const body = await reads.get(i)!;
          reads.delete(i);
          await entry({ ...header, type: 'file', size: body.length }, body);
        } else if (st.size > 0)
          await new Promise<void>((resolve, reject) => {
            const sink = pack.entry({ ...header, type: 'file', size: st.size }, (e) => (e ? reject(e) : resolve()));
            // no further than the scanned size: a file still growing (a log) keeps the tar consistent
            pipeline(createReadStream(path.join(dir, name), { end: st.size - 1, signal: stop.signal }), sink, (e) => e && reject(e));
          });
        else await entry({ ...header, type: 'file' });
      } catch (e) {
        throw new Error(
          `cannot upload ${name} from ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}${/size mismatch/i.test((e as Error).message) ? ' (it changed while uploading)' : ''}`,
          { cause: e },
        );
      }
    }
    for (const d of extraDirs) await entry({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
    pack.finalize();
  };
  produce().catch((e: Error) => {
    if (stop.signal.aborted) return;
    failure = e;
    counted.stream.destroy(e);
  });
  return {
    stream: counted.stream,
    sentBytes: counted.count,
    failure: () => failure,
    destroy: () => {
      stop.abort();
      pack.destroy();
    },
  };
}
