import { createWriteStream } from 'node:fs';
import { link, lstat, mkdir, symlink, unlink, utimes } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tarStream from 'tar-stream';

export interface OutputCaps {
  /** Bytes of file content; the entry that would pass it is not written and the extraction stops. */
  maxBytes?: number;
  /** Tar entries (files, folders, links...); the one after the last allowed stops the extraction. */
  maxEntries?: number;
}

export interface OutputCap {
  cap: 'maxBytes' | 'maxEntries';
  limit: number;
}

export interface SkippedEntry {
  /** The entry's name in the archive (`out/...`). */
  name: string;
  reason: string;
}

export interface ExtractedOutputs {
  entries: number;
  bytes: number;
  skipped: SkippedEntry[];
  /** The extraction stopped at this cap: later entries are still in the container. */
  capped?: OutputCap;
}

/** An archive name as relative posix parts; undefined when absolute or climbing (`..`): such a name could land anywhere. */
function safeParts(raw: string): string[] | undefined {
  if (raw.startsWith('/') || raw.includes('\0') || (path.sep === '\\' && /[\\:]/.test(raw))) return undefined;
  const parts = raw.split('/').filter((p) => p && p !== '.');
  return parts.length && !parts.includes('..') ? parts : undefined;
}

const drained = (body: Readable) =>
  new Promise<void>((resolve, reject) => {
    body.on('end', resolve).on('error', reject);
    body.resume();
  });

const lstatOrUndefined = (p: string) => lstat(p).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));

/**
 * Extracts a getArchive tar of the container folder `outputPath` (names `out/...`, as `docker cp`) into
 * `dest`, judging each entry alone so one odd entry never stops the rest: files and folders are written;
 * symlinks whose target (relative to their folder in the container, absolute ones as they are) stays in
 * `outputPath` are kept as relative links, the others are skipped; hard links only to a file already
 * written; FIFOs and devices skipped. Nothing is written outside `dest`: names that are absolute or hold
 * `..` are refused, and nothing is written through a link (every folder on the way is checked to be a
 * real folder once, so the cost stays linear in the archive). Stops at a cap, leaving the rest unread.
 */
export function extractOutputArchive(
  source: NodeJS.ReadableStream,
  dest: string,
  outputPath: string,
  caps: OutputCaps = {},
): Promise<ExtractedOutputs> {
  const extraction = new OutputExtraction(dest, outputPath, caps);
  return new Promise((resolve, reject) => {
    const extract = tarStream.extract();
    let settled = false;
    const end = (e?: Error) => {
      if (settled) return;
      settled = true;
      source.unpipe(extract);
      extract.destroy();
      if (e) reject(e);
      else resolve(extraction.result);
    };
    extract.on('entry', (header: tarStream.Headers, body: Readable, next: () => void) => {
      extraction.entry(header, body).then(
        (stop) => (stop ? end() : next()),
        (e: Error) => end(e),
      );
    });
    extract.on('finish', () => end());
    extract.on('error', end);
    source.on('error', end);
    source.pipe(extract);
  });
}

/** One archive entry on its way: its safe name, where it lands, and how to skip it (its body drained, the reason noted). */
interface Landing {
  header: tarStream.Headers;
  body: Readable;
  name: string;
  target: string;
  skip: (reason: string) => Promise<boolean>;
}

/** The state of one extraction; `entry` judges one entry and answers true to stop at a cap. */
class OutputExtraction {
  readonly result: ExtractedOutputs = { entries: 0, bytes: 0, skipped: [] };
  private readonly root: string;
  private readonly outInContainer: string;
  // archive names are relative to the output folder's parent in the container
  private readonly base: string;
  // local folders known to be real folders (made here or checked): a path under them is safe to write
  private readonly realDirs: Set<string>;
  // regular files written by this extraction, by archive name: what a hard link may point at
  private readonly files = new Set<string>();

  constructor(
    dest: string,
    private readonly outputPath: string,
    private readonly caps: OutputCaps,
  ) {
    this.root = path.resolve(dest);
    this.outInContainer = path.posix.resolve(outputPath);
    this.base = path.posix.dirname(this.outInContainer);
    this.realDirs = new Set<string>([this.root]);
  }

  private async realFolder(dir: string): Promise<boolean> {
    if (this.realDirs.has(dir)) return true;
    if (dir.length <= this.root.length || !(await this.realFolder(path.dirname(dir)))) return false;
    const st = await lstatOrUndefined(dir);
    if (!st) await mkdir(dir);
    else if (!st.isDirectory()) return false;
    this.realDirs.add(dir);
    return true;
  }

  /** Makes room for a non-folder at `target`; false when a folder is there (it is never replaced by a file or a link). */
  private async clear(target: string): Promise<boolean> {
    const st = await lstatOrUndefined(target);
    if (st?.isDirectory()) return false;
    if (st) await unlink(target);
    return true;
  }

  async entry(header: tarStream.Headers, body: Readable): Promise<boolean> {
    const { caps, result } = this;
    const size = header.type === 'file' || header.type === 'contiguous-file' ? (header.size ?? 0) : 0;
    if (caps.maxEntries !== undefined && result.entries >= caps.maxEntries)
      return Boolean((result.capped = { cap: 'maxEntries', limit: caps.maxEntries }));
    if (caps.maxBytes !== undefined && result.bytes + size > caps.maxBytes)
      return Boolean((result.capped = { cap: 'maxBytes', limit: caps.maxBytes }));
    result.entries++;
    const shown = header.name.replace(/\/+$/, '');
    const skip = async (reason: string) => {
      result.skipped.push({ name: shown, reason });
      await drained(body);
      return false;
    };
    const parts = safeParts(header.name);
    if (!parts) return skip('its name leads out of the output folder');
    const name = parts.join('/');
    const target = path.join(this.root, ...parts);
    if (!(await this.realFolder(path.dirname(target)))) return skip('a folder on its way is a link or a file here');
    const landing: Landing = { header, body, name, target, skip };

    switch (header.type) {
      case 'directory':
        return this.writeFolder(landing);
      case 'file':
      case 'contiguous-file':
        return this.writeFile(landing, size);
      case 'symlink':
        return this.writeSymlink(landing);
      case 'link':
        return this.writeHardLink(landing);
      case 'fifo':
        return skip('a FIFO');
      case 'character-device':
      case 'block-device':
        return skip('a device file');
      default:
        return skip(`an entry of type ${header.type ?? 'unknown'}`);
    }
  }

  private async writeFolder({ header, body, name, target }: Landing): Promise<boolean> {
    const st = await lstatOrUndefined(target);
    if (st && !st.isDirectory()) await unlink(target);
    if (!st?.isDirectory()) await mkdir(target, { mode: ((header.mode ?? 0o755) & 0o777) | 0o700 });
    this.files.delete(name);
    this.realDirs.add(target);
    return drained(body).then(() => false);
  }

  private async writeFile({ header, body, name, target, skip }: Landing, size: number): Promise<boolean> {
    if (!(await this.clear(target))) return skip('a folder of that name came first');
    // wx: never opens an existing path, so never follows a link put there meanwhile
    await pipeline(body, createWriteStream(target, { flags: 'wx', mode: ((header.mode ?? 0o644) & 0o777) | 0o600 }));
    if (header.mtime) await utimes(target, header.mtime, header.mtime);
    this.result.bytes += size;
    this.files.add(name);
    return false;
  }

  private async writeSymlink({ header, body, name, target, skip }: Landing): Promise<boolean> {
    const to = header.linkname ?? '';
    const from = path.posix.dirname(path.posix.join(this.base, name));
    const resolved = path.posix.resolve(from, to);
    if (resolved !== this.outInContainer && !resolved.startsWith(`${this.outInContainer}/`))
      return skip(`a link to ${to}, outside ${this.outputPath}`);
    if (!(await this.clear(target))) return skip('a folder of that name came first');
    try {
      // relative and normalized: it climbs only through real folders of the output folder
      await symlink((path.posix.relative(from, resolved) || '.').split('/').join(path.sep), target);
    } catch (e) {
      return skip(`the link could not be made here: ${(e as Error).message}`);
    }
    this.files.delete(name);
    return drained(body).then(() => false);
  }

  private async writeHardLink({ header, body, name, target, skip }: Landing): Promise<boolean> {
    const to = header.linkname ?? '';
    const source = safeParts(to);
    if (!source || !this.files.has(source.join('/'))) return skip(`a hard link to ${to}, not a file of ${this.outputPath}`);
    if (!(await this.clear(target))) return skip('a folder of that name came first');
    try {
      await link(path.join(this.root, ...source), target);
    } catch (e) {
      return skip(`the hard link could not be made here: ${(e as Error).message}`);
    }
    this.files.add(name);
    return drained(body).then(() => false);
  }
}

/** One line naming each skipped entry once (the first 100; the rest counted). */
export function skippedWarning(outputPath: string, skipped: readonly SkippedEntry[]): string {
  const shown = skipped.slice(0, 100).map((s) => `${s.name} (${s.reason})`);
  const more = skipped.length > shown.length ? `; and ${skipped.length - shown.length} more` : '';
  return `Skipped ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} of ${outputPath} that cannot come back safely: ${shown.join('; ')}${more}.`;
}
