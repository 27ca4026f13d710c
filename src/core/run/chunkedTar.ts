import * as headers from 'tar-stream/headers';

/** Pushed once this much is gathered: an upload is a few large writes, not three per file (header, body, padding). */
export const TAR_CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(1024);

export interface TarEntry {
  name: string;
  mode: number;
  mtime: Date;
  type: 'file' | 'directory' | 'symlink';
  /** A file's body size. */
  size?: number;
  linkname?: string;
}

/**
 * A tar written as tar-stream's pack writes it (same headers, pax for long or non-ASCII names, owned
 * by root), gathered into chunks of TAR_CHUNK and handed to `out` in order. Every `await` of a write
 * returns once `out` took what it had to: the writer goes at the reader's pace. A chunk handed on is
 * the reader's (it may move its memory away): the next one is gathered in a buffer of its own.
 */
export class ChunkedTar {
  private chunk: Buffer;
  private at = 0;
  private pushed = 0;

  /** `alloc`: a TAR_CHUNK buffer to gather the next chunk in (e.g. one the reader gave back once it was written). */
  constructor(
    private readonly out: (chunk: Buffer) => Promise<void>,
    private readonly alloc: () => Buffer = () => Buffer.allocUnsafeSlow(TAR_CHUNK),
  ) {
    this.chunk = alloc();
  }

  /** Bytes handed to `out` so far. */
  sentBytes(): number {
    return this.pushed;
  }

  async header(e: TarEntry): Promise<void> {
    const header = fields(e, e.type === 'file' ? (e.size ?? 0) : 0);
    const plain = headers.encode(header);
    if (plain) return this.write(plain);
    const pax = headers.encodePax({ name: header.name, linkname: header.linkname });
    const paxHeader = { ...header, name: 'PaxHeader', linkname: header.linkname && 'PaxHeader' };
    await this.write(headers.encode({ ...paxHeader, size: pax.length, type: 'pax-header' })!);
    await this.write(pax);
    await this.pad(pax.length);
    await this.write(headers.encode(paxHeader)!);
  }

  /**
   * A small file, header and body, its body read by `readInto` (up to `size` bytes into `buf` at
   * `offset`; fewer at its end) straight into the chunk gathered, with no copy. The header gives what was
   * read. False (nothing written) when its name needs a pax header or it would not fit in one chunk.
   */
  async fileInPlace(e: Omit<TarEntry, 'type' | 'size'>, size: number, readInto: (buf: Buffer, offset: number, size: number) => number) {
    const blocks = (n: number) => Math.ceil(n / 512) * 512;
    if (512 + blocks(size) > TAR_CHUNK || !headers.encode(fields({ ...e, type: 'file' }, size))) return false;
    if (this.at + 512 + blocks(size) > TAR_CHUNK) await this.flush();
    const got = readInto(this.chunk, this.at + 512, size);
    headers.encode(fields({ ...e, type: 'file' }, got))!.copy(this.chunk, this.at);
    this.chunk.fill(0, this.at + 512 + got, this.at + 512 + blocks(got));
    this.at += 512 + blocks(got);
    if (this.at === TAR_CHUNK) await this.flush();
    return true;
  }

  /** Bytes of the tar; one as large as TAR_CHUNK goes out as it is (no copy). */
  async write(b: Buffer): Promise<void> {
    if (b.length >= TAR_CHUNK) {
      await this.flush();
      return this.push(b);
    }
    for (let from = 0; from < b.length;) {
      const n = b.copy(this.chunk, this.at, from);
      this.at += n;
      from += n;
      if (this.at === TAR_CHUNK) await this.flush();
    }
  }

  /** Zeros up to the next 512-byte block after a body of `size`. */
  pad(size: number): Promise<void> {
    return size % 512 ? this.write(ZEROS.subarray(0, 512 - (size % 512))) : Promise.resolve();
  }

  /** The end-of-archive blocks, all of it handed on. */
  async finish(): Promise<void> {
    await this.write(ZEROS);
    await this.flush();
  }

  /** What is gathered, handed on now (e.g. before a body that goes another way). */
  async flush(): Promise<void> {
    if (!this.at) return;
    const chunk = this.at === TAR_CHUNK ? this.chunk : this.chunk.subarray(0, this.at);
    this.chunk = this.alloc();
    this.at = 0;
    await this.push(chunk);
  }

  private push(chunk: Buffer): Promise<void> {
    this.pushed += chunk.length;
    return this.out(chunk);
  }
}

/** A header's fields: root's, the mode given or the usual one. */
function fields(e: TarEntry, size: number) {
  return { ...e, size, mode: e.mode || (e.type === 'directory' ? 0o755 : 0o644), uid: 0, gid: 0 };
}
