/**
 * Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream, 0, 0, 0, size BE)
 * and calls `onFrame` for each payload in the order the daemon sent them. One function, not two
 * PassThrough streams, so stdout and stderr can never overtake each other.
 */
export function demuxFrames(stream: NodeJS.ReadableStream, onFrame: (payload: Buffer, fd: 1 | 2) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 8) {
      const size = buf.readUInt32BE(at + 4);
      if (buf.length - at - 8 < size) break;
      if (size) onFrame(buf.subarray(at + 8, at + 8 + size), buf[at] === 2 ? 2 : 1);
      at += 8 + size;
    }
    buf = buf.subarray(at);
    // keep only the unfinished frame (copied, so the chunk it came from can be freed)
    pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  });
}
