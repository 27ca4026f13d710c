import type { Stats } from 'node:fs';
import { mkdtemp, rm, writeFile, copyFile, mkdir, readFile, readdir, lstat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import { packWorkspace, type PackedContext } from '../run/workspaceArchive';

export type { PackedContext };

/** A pass-through that counts what goes through it without a 'data' listener (which would start the flow before anyone reads). */
export function countingStream(): { stream: Transform; count(): number } {
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, count: () => n };
}

/**
 * A folder as a build context tar, honouring its .dockerignore like `docker build` (the Dockerfile and
 * .dockerignore themselves are always sent; an ignored folder is not entered). Packed as a run's
 * upload is (packWorkspace: a worker thread, large chunks), owned by root. Streams: nothing is buffered whole.
 */
export async function packContext(dir: string): Promise<PackedContext> {
  let ignore = (_rel: string) => false;
  try {
    const ig = dockerignore({ ignorecase: false }).add(await readFile(path.join(dir, '.dockerignore'), 'utf8'));
    ignore = (rel) => rel !== 'Dockerfile' && rel !== '.dockerignore' && ig.ignores(rel);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const scan = { entries: [] as string[], stats: [] as Stats[], files: 0, bytes: 0 };
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort().map((name) => (rel ? `${rel}/${name}` : name));
    const kept = names.filter((name) => !ignore(name));
    const stats = await Promise.all(kept.map((name) => lstat(path.join(dir, name))));
    for (const [i, name] of kept.entries()) {
      const st = stats[i]!;
      if (!st.isFile() && !st.isDirectory() && !st.isSymbolicLink()) continue; // sockets, pipes: not in a context
      scan.entries.push(name);
      scan.stats.push(st);
      if (st.isDirectory()) await walk(name);
    }
  };
  await walk('');
  return packWorkspace(dir, scan);
}

/**
 * A temporary context holding a generated Dockerfile, the files it copies (name -> source path) and
 * generated files (name -> content); `dispose` deletes it.
 */
export async function writeContext(
  dockerfile: string,
  files: Record<string, string>,
  contents: Record<string, string> = {},
): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'container-exec-build-'));
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  for (const [name, src] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await copyFile(src, path.join(dir, name));
  }
  for (const [name, content] of Object.entries(contents)) await writeFile(path.join(dir, name), content);
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The context a plan builds from: a custom Dockerfile's own folder, or a temporary one with the generated Dockerfile. */
export async function planContext(
  plan: { dockerfile: string; files: Record<string, string>; context?: { dir: string; dockerfile: string } },
  contents: Record<string, string> = {},
): Promise<{ packed: PackedContext; dockerfile: string; dispose: () => Promise<void> }> {
  if (plan.context)
    return { packed: await packContext(plan.context.dir), dockerfile: plan.context.dockerfile, dispose: async () => undefined };
  const ctx = await writeContext(plan.dockerfile, plan.files, contents);
  return { packed: await packContext(ctx.dir), dockerfile: 'Dockerfile', dispose: ctx.dispose };
}
