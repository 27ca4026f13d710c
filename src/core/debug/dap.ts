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

/** Feeds chunks in, calls `onMessage` for each whole message; a malformed header throws (the stream is not DAP). */
export class DapReader {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(private readonly onMessage: (m: DapMessage) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > 1024)
          throw new Error(`not a DAP stream: no header end in ${JSON.stringify(this.buffer.subarray(0, 80).toString('latin1'))}`);
        return;
      }
      const header = this.buffer.subarray(0, end).toString('ascii');
      const m = /(?:^|\r\n)Content-Length:\s*(\d+)/i.exec(header);
      if (!m) throw new Error(`not a DAP stream: header ${JSON.stringify(header.slice(0, 80))} has no Content-Length`);
      const length = Number(m[1]);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.onMessage(JSON.parse(body) as DapMessage);
    }
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
