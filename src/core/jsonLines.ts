/** The longest line kept: the Engine API's JSON objects are small; a longer line is junk or an attack. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface LineOptions {
  maxLineBytes?: number;
  /** Called once for each line dropped for being longer than maxLineBytes; reading goes on at the next newline. */
  onLongLine?(limitBytes: number): void;
}

export interface LineReader {
  /** Bytes held for the line not yet complete (at most maxLineBytes + one chunk). */
  readonly bufferedBytes: number;
}

const NL = 0x0a;

/**
 * Calls `onLine` with each complete, non-empty line of a text stream: the Engine API's JSON streams
 * (events, build, push, pull) put one object per line, but chunks may split or join lines. Only the
 * new bytes are searched for a newline (linear time), and lines are decoded whole (a UTF-8 character
 * split across chunks survives). A line above `maxLineBytes` is dropped, not buffered.
 */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, opts: LineOptions = {}): LineReader {
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let dropping = false;
  const emit = (tail: Buffer) => {
    const bytes = parts.length ? Buffer.concat([...parts, tail]) : tail;
    parts = [];
    partBytes = 0;
    const line = bytes.toString('utf8').trim();
    if (line) onLine(line);
  };
  const drop = () => {
    parts = [];
    partBytes = 0;
    opts.onLongLine?.(max);
  };
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, start)) {
      if (dropping) dropping = false;
      else if (partBytes + nl - start > max) drop();
      else emit(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (dropping || start === chunk.length) return;
    parts.push(chunk.subarray(start));
    partBytes += chunk.length - start;
    if (partBytes > max) {
      drop();
      dropping = true;
    }
  });
  stream.on('end', () => {
    if (!dropping && partBytes) emit(Buffer.alloc(0));
  });
  return {
    get bufferedBytes() {
      return partBytes;
    },
  };
}
