import { createReadStream, type Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, pipeline, type Readable } from 'node:stream';
import ignore, { type Ignore } from 'ignore';
import * as tarStream from 'tar-stream';

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

export interface PackedWorkspace {
  stream: Readable;
  sentBytes(): number;
}

/** Files up to this size are read whole (one call instead of a stream), a few ahead of the tar. */
const SMALL_FILE = 1024 * 1024;
const READ_AHEAD = 16;

/**
 * The scanned entries as one tar stream (owned by root, as `docker cp` makes them), preceded by
 * `extraDirs` (e.g. the output folder the recipe writes to, so it exists even when the workspace has
 * none). Streams: only a few small files are held at once.
 */
export function packWorkspace(dir: string, scan: WorkspaceScan, extraDirs: string[] = []): PackedWorkspace {
  const pack = tarStream.pack();
  let sent = 0;
  // counts without a 'data' listener (which would start the flow before the request reads it)
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  pipeline(pack, counted, () => undefined);
  const entry = (header: tarStream.Headers, body?: Buffer) => new Promise<void>((resolve, reject) => pack.entry(header, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve())));
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number) => {
    for (let i = from; i < scan.entries.length && reads.size < READ_AHEAD; i++)
      if (!reads.has(i) && scan.stats[i]!.isFile() && scan.stats[i]!.size <= SMALL_FILE) reads.set(i, readFile(path.join(dir, scan.entries[i]!)));
  };
  void (async () => {
    for (const d of extraDirs) await entry({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
    for (const [i, name] of scan.entries.entries()) {
      const st = scan.stats[i]!;
      const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      readAhead(i);
      if (st.isDirectory()) await entry({ ...header, type: 'directory' });
      else if (st.isSymbolicLink()) await entry({ ...header, type: 'symlink', linkname: await readlink(path.join(dir, name)) });
      else if (reads.has(i)) {
        const body = await reads.get(i)!;
        reads.delete(i);
        await entry({ ...header, type: 'file', size: body.length }, body);
      } else
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...header, type: 'file', size: st.size }, (e) => (e ? reject(e) : resolve()));
          pipeline(createReadStream(path.join(dir, name)), sink, (e) => e && reject(e));
        });
    }
    pack.finalize();
  })().catch((e: Error) => counted.destroy(e));
  return { stream: counted, sentBytes: () => sent };
}
