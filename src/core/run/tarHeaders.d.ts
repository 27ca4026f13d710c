// tar-stream's own header encoder (the module its pack uses): the workspace tar keeps its exact bytes.
declare module 'tar-stream/headers' {
  export interface EncodedHeader {
    name: string;
    mode: number;
    uid: number;
    gid: number;
    size: number;
    mtime: Date;
    type: 'file' | 'directory' | 'symlink' | 'pax-header';
    linkname?: string;
  }
  /** 512 bytes, or null when the name or link needs a pax header. */
  export function encode(header: EncodedHeader): Buffer | null;
  export function encodePax(o: { name?: string; linkname?: string }): Buffer;
}
