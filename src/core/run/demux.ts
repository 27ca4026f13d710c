/**
 * The largest frame accepted. Docker writes one frame per read of the container's output: a 10 MB
 * single write arrives as 32 KiB frames through attach and 16 KiB ones through json-file logs
 * (measured, Docker 20.10). A far bigger announced size means the stream is corrupt or not
 * multiplexed (a TTY container's raw output read as frames), and must not be buffered.
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream, 0, 0, 0, size BE)
 * and calls `onFrame` for each payload in the order the daemon sent them. One function, not two
 * PassThrough streams, so stdout and stderr can never overtake each other. Payloads are views of the
 * chunks they arrived in; only a frame split across chunks is copied. A header announcing more than
 * `maxFrameBytes` destroys the stream with an error saying so (its 'error' event ends the reader).
 * `onFrame` may return a promise: reading pauses until it settles (the frames of the chunk at hand
 * still come, in order).
 */
export function demuxFrames(
  stream: NodeJS.ReadableStream,
  onFrame: (payload: Buffer, fd: 1 | 2) => unknown,
  maxFrameBytes = MAX_FRAME_BYTES,
): void {
  // back-pressure: a frame whose consumer answers with a promise (its log is behind) pauses the reading
  // until every such promise settled, so the daemon's writes wait instead of the host buffering them
  let waiting = 0;
  const settled = () => {
    if (--waiting === 0) stream.resume();
  };
  const deliver = (payload: Buffer, fd: 1 | 2) => {
    const held = onFrame(payload, fd);
    if (!(held instanceof Promise)) return;
    if (waiting++ === 0) stream.pause();
    held.then(settled, settled);
  };
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
    let used = 0; // chunks consumed, dropped at once: shifting each is quadratic when a frame spans many small chunks
    for (let at = 0; at < n;) {
      const b = queue[used]!;
      const k = Math.min(b.length, n - at);
      b.copy(out, at, 0, k);
      at += k;
      if (k === b.length) used++;
      else queue[used] = b.subarray(k);
    }
    queue.splice(0, used);
    return out;
  };
  let header: Buffer | undefined;
  let broken = false;
  stream.on('data', (chunk: Buffer) => {
    if (broken) return;
    queue.push(chunk);
    queued += chunk.length;
    for (;;) {
      if (!header) {
        if (queued < 8) return;
        header = take(8);
      }
      const size = header.readUInt32BE(4);
      if (size > maxFrameBytes) {
        broken = true;
        queue.length = 0;
        const e = new Error(
          `a frame header of the container's output announced ${size} bytes, more than the limit of ${maxFrameBytes} bytes: the stream is corrupt or not multiplexed (a container with a TTY?), so it was closed`,
        );
        const s = stream as NodeJS.ReadableStream & { destroy?(e: Error): void };
        if (s.destroy) s.destroy(e);
        else s.emit('error', e);
        return;
      }
      if (queued < size) return;
      const fd = header[0] === 2 ? 2 : 1;
      header = undefined;
      if (size) deliver(take(size), fd);
    }
  });
}
