/** Debug Adapter Protocol messages over a byte stream: `Content-Length: N\r\n\r\n` + N bytes of JSON. */

export interface DapMessage {
  seq: number;
  type: 'request' | 'response' | 'event';
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  arguments?: Record<string, unknown>;
  body?: Record<string, unknown>;
  [key: string]: unknown;
}

export const encodeDap = (m: unknown): Buffer => {
  const json = Buffer.from(JSON.stringify(m), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${json.length}\r\n\r\n`, 'ascii'), json]);
};

/** The largest DAP message taken from the container (its Content-Length): more is not a debugger talking. */
export const MAX_DAP_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A header longer than this is not DAP. */
const MAX_HEADER_BYTES = 1024;
const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');

/**
 * Feeds chunks in, calls `onMessage` for each whole message; a malformed header or a Content-Length over
 * MAX_DAP_MESSAGE_BYTES throws (the stream is not DAP). Linear in the bytes fed: a body's chunks are kept
 * in a list and joined once when it is whole; a header is looked for in its first bytes only.
 */
export class DapReader {
  /** The start of a header cut by a chunk's end (at most MAX_HEADER_BYTES). */
  private head: Buffer = Buffer.alloc(0);
  /** The body being read: its length, and its chunks so far. */
  private body: { length: number; chunks: Buffer[]; got: number } | undefined;
  constructor(private readonly onMessage: (m: DapMessage) => void) {}

  push(chunk: Buffer): void {
    let rest = chunk;
    while (rest.length) {
      if (this.body) rest = this.readBody(this.body, rest);
      else {
        const after = this.readHeader(rest);
        if (after === undefined) return;
        rest = after;
      }
    }
    // an empty body is whole at once
    if (this.body?.length === 0) this.readBody(this.body, rest);
  }

  /** Takes what the body still needs from `rest`; returns what is left of it. */
  private readBody(body: { length: number; chunks: Buffer[]; got: number }, rest: Buffer): Buffer {
    const part = rest.subarray(0, body.length - body.got);
    if (part.length) body.chunks.push(part);
    body.got += part.length;
    if (body.got === body.length) {
      this.body = undefined;
      const bytes = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.length);
      this.onMessage(JSON.parse(bytes.toString('utf8')) as DapMessage);
    }
    return rest.subarray(part.length);
  }

  /** Reads a header from the bytes held and `rest`; returns what follows it, or undefined when it is not whole yet. */
  private readHeader(rest: Buffer): Buffer | undefined {
    const held = this.head.length;
    // only the first bytes can hold a header: never a scan or a copy of a whole chunk
    const window = held ? Buffer.concat([this.head, rest.subarray(0, MAX_HEADER_BYTES + HEADER_END.length)]) : rest;
    const end = window.subarray(0, MAX_HEADER_BYTES + HEADER_END.length).indexOf(HEADER_END);
    if (end < 0) {
      if (window.length > MAX_HEADER_BYTES)
        throw new Error(`not a DAP stream: no header end in ${JSON.stringify(window.subarray(0, 80).toString('latin1'))}`);
      this.head = Buffer.from(window);
      return undefined;
    }
    const header = window.subarray(0, end).toString('ascii');
    const m = /(?:^|\r\n)Content-Length:\s*(\d+)/i.exec(header);
    if (!m) throw new Error(`not a DAP stream: header ${JSON.stringify(header.slice(0, 80))} has no Content-Length`);
    const length = Number(m[1]);
    if (length > MAX_DAP_MESSAGE_BYTES)
      throw new Error(
        `not a DAP stream: a message of ${length} bytes (its Content-Length) is over the ${MAX_DAP_MESSAGE_BYTES / 1024 / 1024} MB a DAP message may have`,
      );
    this.head = Buffer.alloc(0);
    this.body = { length, chunks: [], got: 0 };
    return rest.subarray(end + HEADER_END.length - held);
  }
}

/**
 * What the client's `launch` of a `container-exec` session becomes for debugpy (pydevd, in-process): an
 * `attach` to the recipe waiting under debugpy, or a `launch` when it should stop on entry (pydevd stops
 * on the recipe's first line only for a launch; it starts nothing either way).
 */
export const debuggeeCommand = (launch: Record<string, unknown>): 'launch' | 'attach' =>
  launch.stopOnEntry === true ? 'launch' : 'attach';

/** The arguments of that request: the workspace folder mapped to /workspace. */
export function attachArguments(launch: Record<string, unknown>, localRoot: string, remoteRoot: string): Record<string, unknown> {
  return {
    justMyCode: launch.justMyCode ?? true,
    pathMappings: [{ localRoot, remoteRoot }],
    // the run's own stream carries the output (run.log, Debug Console): debugpy must not copy it again
    redirectOutput: false,
    ...(launch.__sessionId ? { __sessionId: launch.__sessionId } : {}),
    ...(launch.subProcess !== undefined ? { subProcess: launch.subProcess } : {}),
    ...(launch.stopOnEntry === true ? { stopOnEntry: true } : {}),
  };
}
