/**
 * Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream, 0, 0, 0, size BE)
 * and calls `onFrame` for each payload in the order the daemon sent them. One function, not two
 * PassThrough streams, so stdout and stderr can never overtake each other. Payloads are views of the
 * chunks they arrived in; only a frame split across chunks is copied.
 */
export function demuxFrames(stream: NodeJS.ReadableStream, onFrame: (payload: Buffer, fd: 1 | 2) => void): void {
  const queue: Buffer[] = [];
  let queued = 0;
  /** Removes the first n bytes of the queue. */
  const take = (n: number): Buffer => {
    queued -= n;
    const first = queue[0]!;
    if (first.length >= n) {
      if (first.length === n) queue.shift();
      else queue[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; ) {
      const b = queue[0]!;
      const k = Math.min(b.length, n - at);
      b.copy(out, at, 0, k);
      at += k;
      if (k === b.length) queue.shift();
      else queue[0] = b.subarray(k);
    }
    return out;
  };
  let header: Buffer | undefined;
  stream.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    for (;;) {
      if (!header) {
        if (queued < 8) return;
        header = take(8);
      }
      const size = header.readUInt32BE(4);
      if (queued < size) return;
      const fd = header[0] === 2 ? 2 : 1;
      header = undefined;
      if (size) onFrame(take(size), fd);
    }
  });
}
