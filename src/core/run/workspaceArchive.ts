import { readFile, readdir, lstat } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import ignore, { type Ignore } from 'ignore';
import * as tar from 'tar-fs';
import * as tarStream from 'tar-stream';

/** Never uploaded: the repository and the runs' own outputs. */
export const ALWAYS_EXCLUDED = ['.git/', '.container-exec/'];

export interface WorkspaceScan {
  /** Workspace-relative paths (posix), directories before what they hold. */
  entries: string[];
  files: number;
  bytes: number;
}

/**
 * What a run uploads: the workspace folder minus what its .gitignore files (each folder's own, as git
 * reads them) and `exclude` (gitignore syntax, relative to the folder) leave out.
 */
export async function scanWorkspace(dir: string, exclude: string[] = []): Promise<WorkspaceScan> {
  const scan: WorkspaceScan = { entries: [], files: 0, bytes: 0 };
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
      return !(child.isSocket() || child.isFIFO() || child.isBlockDevice() || child.isCharacterDevice());
    });
    // sizes of a folder's files at once: one lstat after another costs more than the upload saves
    const sizes = await Promise.all(kept.map((child) => (child.isFile() ? lstat(path.join(abs, child.name)).then((st) => st.size) : 0)));
    for (const [i, child] of kept.entries()) {
      const childRel = rel ? `${rel}/${child.name}` : child.name;
      scan.entries.push(childRel);
      if (child.isDirectory()) await walk(childRel, here);
      else {
        scan.files++;
        scan.bytes += sizes[i]!;
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

/**
 * The scanned entries as one tar stream (nothing buffered whole), preceded by `extraDirs` (e.g. the
 * output folder the recipe writes to, so it exists even when the workspace has none).
 */
export function packWorkspace(dir: string, scan: WorkspaceScan, extraDirs: string[] = []): PackedWorkspace {
  const pack = tarStream.pack();
  for (const d of extraDirs) pack.entry({ name: d, type: 'directory', mode: 0o777, mtime: new Date() });
  let sent = 0;
  // counts without a 'data' listener (which would start the flow before the request reads it)
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  // `entries` is the whole list: directories must not be walked again (ignore every child)
  tar.pack(dir, { pack, entries: scan.entries, ignore: () => true } as tar.PackOptions).pipe(counted);
  return { stream: counted, sentBytes: () => sent };
}
