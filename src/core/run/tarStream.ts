import { OutgoingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { TAR_CHUNK } from './chunkedTar';

/**
 * A tar as a Readable whose chunks' memory is used again. Piped into an HTTP request (the Engine call's
 * body, as dockerode does), each chunk is handed to `written` once the request's socket has taken its
 * bytes (the write's callback): the packer gathers or reads the next one into it rather than into fresh
 * memory, which costs a page fault per 4 KB, as much as reading the files did. Any other reader keeps
 * what it is given: nothing comes back, the packer allocates.
 */
export class TarStream extends Readable {
  constructor(
    read: () => void,
    private readonly written: (chunk: Buffer) => void,
  ) {
    super({ highWaterMark: TAR_CHUNK, read });
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    if (!(dest instanceof OutgoingMessage)) return super.pipe(dest, opts);
    const onData = (chunk: Buffer) => {
      if (!dest.write(chunk, (e) => e || this.written(chunk))) this.pause();
    };
    const onDrain = () => this.resume();
    const stop = () => {
      this.off('data', onData).off('end', onEnd);
      dest.off('drain', onDrain).off('close', stop);
      this.pause();
    };
    const onEnd = () => {
      stop();
      if (opts?.end !== false) dest.end();
    };
    dest.on('drain', onDrain).once('close', stop);
    this.once('end', onEnd).on('data', onData);
    return dest;
  }
}
