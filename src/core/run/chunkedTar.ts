import { Readable } from 'node:stream';
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
 * by root), gathered into chunks of TAR_CHUNK. Every `await` of a write returns once the reader wants
 * more: at most about two chunks are held.
 */
export class ChunkedTar {
  readonly stream: Readable;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private pushed = 0;
  private wanted: (() => void) | undefined;

  constructor() {
    const wake = () => {
      const w = this.wanted;
      this.wanted = undefined;
      w?.();
    };
    this.stream = new Readable({ highWaterMark: TAR_CHUNK, read: wake });
    this.stream.on('close', wake); // a destroyed stream reads no more: the writer must not wait forever
  }

  /** Bytes handed to the reader so far. */
  sentBytes(): number {
    return this.pushed;
  }

  async header(e: TarEntry): Promise<void> {
    const size = e.type === 'file' ? (e.size ?? 0) : 0;
    const header = { ...e, size, mode: e.mode || (e.type === 'directory' ? 0o755 : 0o644), uid: 0, gid: 0 };
    const plain = headers.encode(header);
    if (plain) return this.write(plain);
    const pax = headers.encodePax({ name: header.name, linkname: header.linkname });
    const paxHeader = { ...header, name: 'PaxHeader', linkname: header.linkname && 'PaxHeader' };
    await this.write(headers.encode({ ...paxHeader, size: pax.length, type: 'pax-header' })!);
    await this.write(pax);
    await this.pad(pax.length);
    await this.write(headers.encode(paxHeader)!);
  }

  /** Body bytes of the current file; a chunk as large as TAR_CHUNK goes out as it is (no copy). */
  async write(b: Buffer): Promise<void> {
    if (b.length >= TAR_CHUNK) {
      await this.flush();
      return this.push(b);
    }
    this.parts.push(b);
    this.partBytes += b.length;
    if (this.partBytes >= TAR_CHUNK) await this.flush();
  }

  /** Zeros up to the next 512-byte block after a body of `size`. */
  pad(size: number): Promise<void> {
    return size % 512 ? this.write(ZEROS.subarray(0, 512 - (size % 512))) : Promise.resolve();
  }

  /** The end-of-archive blocks; the stream then ends. */
  async finish(): Promise<void> {
    await this.write(ZEROS);
    await this.flush();
    this.stream.push(null);
  }

  private async flush(): Promise<void> {
    if (!this.partBytes) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    await this.push(chunk);
  }

  private async push(chunk: Buffer): Promise<void> {
    if (this.stream.destroyed) return;
    this.pushed += chunk.length;
    if (!this.stream.push(chunk)) await new Promise<void>((resolve) => (this.wanted = resolve));
  }
}
