import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { DaemonError, createDaemonClient, demuxFrames } from '../../src/core';
import { MAX_LINE_BYTES, onLines } from '../../src/core/jsonLines';

const tick = () => new Promise((r) => setImmediate(r));

describe('bounded JSON-lines reader (pure)', () => {
  it('a 32 MB line without a newline takes bounded memory, is dropped with one warning, and the lines after it arrive', async () => {
    const MB = 1024 * 1024;
    const before = '{"stream":"Step 1/2 : FROM x\\n"}\n';
    const after = ['{"stream":"after the long line"}', '{"aux":{"ID":"sha256:1"}}'];
    // a build stream: a line, 32 MB without a newline in 64 KB chunks (fresh buffers, as a socket gives), then two lines
    function* chunks() {
      yield Buffer.from(before + '{"stream":"');
      for (let i = 0; i < 512; i++) yield Buffer.alloc(64 * 1024, 'x');
      yield Buffer.from(`"}\n${after[0]}\n${after[1]}`);
    }
    const stream = Readable.from(chunks(), { objectMode: false });
    const lines: string[] = [];
    const warnings: number[] = [];
    let maxBuffered = 0;
    const reader = onLines(stream, (l) => lines.push(l), { onLongLine: (max) => warnings.push(max) });
    stream.on('data', () => (maxBuffered = Math.max(maxBuffered, reader.bufferedBytes)));
    await new Promise((resolve) => stream.on('end', resolve));
    assert.ok(maxBuffered <= 2 * MB, `buffered up to ${maxBuffered} bytes`);
    assert.ok(maxBuffered > MAX_LINE_BYTES - 64 * 1024, `the long line was buffered up to the limit only (${maxBuffered} bytes)`);
    assert.deepEqual(warnings, [MAX_LINE_BYTES]);
    assert.deepEqual(lines, [before.trim(), ...after]);
    assert.equal(reader.bufferedBytes, 0);
  });

  it('a line without a newline is read in linear time (issue 29 finding 9: 4× the bytes take < 8× the time, not an absolute bound)', () => {
    // the reader alone, fed synchronously: a Readable's own buffering and GC would dominate and blur the ratio
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const read = (mb: number) => {
      const feed = new EventEmitter();
      const t0 = performance.now();
      onLines(feed as unknown as NodeJS.ReadableStream, () => undefined, { onLongLine: () => undefined });
      feed.emit('data', Buffer.from('{"stream":"'));
      for (let i = 0; i < mb * 16; i++) feed.emit('data', chunk);
      feed.emit('data', Buffer.from('"}\n{"after":1}\n'));
      feed.emit('end');
      return performance.now() - t0;
    };
    read(32); // warm-up: the first round also compiles the code
    const small: number[] = [];
    const big: number[] = [];
    for (let i = 0; i < 5; i++) {
      small.push(read(32));
      big.push(read(128));
    } // interleaved: load hits both alike
    const [s, b] = [Math.min(...small), Math.min(...big)];
    assert.ok(b < 8 * s, `128 MB took ${b.toFixed(2)} ms, 32 MB ${s.toFixed(2)} ms: worse than linear (quadratic would be 16×)`);
  });

  it('splits and joins lines whatever the chunk boundaries, keeps a UTF-8 character split across chunks, drops a long line that ends in its chunk', async () => {
    const text = 'a1\r\n\n  b2 ü\n' + 'y'.repeat(40) + '\nc3 €\nlast';
    const bytes = Buffer.from(text);
    for (const step of [1, 2, 3, 5, 16, bytes.length]) {
      const s = new PassThrough();
      const lines: string[] = [];
      let warned = 0;
      onLines(s, (l) => lines.push(l), { maxLineBytes: 32, onLongLine: () => warned++ });
      for (let i = 0; i < bytes.length; i += step) s.write(bytes.subarray(i, i + step));
      s.end();
      await new Promise((r) => s.on('end', r).resume());
      assert.deepEqual(lines, ['a1', 'b2 ü', 'c3 €', 'last'], `chunks of ${step}`);
      assert.equal(warned, 1, `chunks of ${step}`);
    }
  });
});

describe('demultiplexing Docker frames: limits (pure)', () => {
  const frame = (fd: number, body: Buffer | string, size = Buffer.byteLength(body)) => {
    const h = Buffer.alloc(8);
    h[0] = fd;
    h.writeUInt32BE(size, 4);
    return Buffer.concat([h, Buffer.from(body)]);
  };

  it('a header announcing 1 GB ends the stream with an error; the frames before it arrive, split headers and payloads too', async () => {
    const all = Buffer.concat([
      frame(1, 'before\n'),
      frame(2, 'z'.repeat(5000)),
      frame(1, '', 1024 * 1024 * 1024),
      Buffer.from('garbage that is never read'),
    ]);
    for (const step of [1, 3, 8, 13, 4096, all.length]) {
      const s = new PassThrough();
      const got: string[] = [];
      demuxFrames(s, (p, fd) => got.push(`${fd}:${p.toString().slice(0, 10)}:${p.length}`));
      const failed = new Promise<Error>((resolve) => s.on('error', resolve));
      for (let i = 0; i < all.length && !s.destroyed; i += step) s.write(all.subarray(i, i + step));
      const e = await failed;
      assert.match(
        e.message,
        /announced 1073741824 bytes, more than the limit of 67108864 bytes: the stream is corrupt or not multiplexed/,
      );
      assert.deepEqual(got, ['1:before\n:7', `2:${'z'.repeat(10)}:5000`], `chunks of ${step}`);
      assert.ok(s.destroyed);
    }
  });

  it('a frame up to the limit is passed whole', async () => {
    const s = new PassThrough();
    const got: number[] = [];
    demuxFrames(s, (p) => got.push(p.length), 100000);
    let failed: Error | undefined;
    s.on('error', (e) => (failed = e));
    const all = Buffer.concat([frame(1, Buffer.alloc(100000, 1)), frame(2, 'ok')]);
    for (let i = 0; i < all.length; i += 30000) s.write(all.subarray(i, i + 30000));
    await tick();
    assert.equal(failed, undefined);
    assert.deepEqual(got, [100000, 2]);
  });

  it('a consumer answering with a promise pauses the reading until it settles; frames keep their order', async () => {
    const s = new PassThrough();
    const got: string[] = [];
    let release: () => void = () => undefined;
    demuxFrames(s, (p, fd) => {
      got.push(`${fd}:${p.toString()}`);
      // the first frame's consumer is behind (its log): reading waits for it
      if (got.length === 1) return new Promise<void>((r) => (release = r));
    });
    s.write(Buffer.concat([frame(1, 'a'), frame(2, 'b')]));
    s.write(frame(1, 'c'));
    await tick();
    // the frames of the chunk at hand came; the next chunk waits
    assert.deepEqual(got, ['1:a', '2:b']);
    assert.ok(s.isPaused());
    release();
    await tick();
    assert.ok(!s.isPaused());
    assert.deepEqual(got, ['1:a', '2:b', '1:c']);
  });
});

describe('daemon client: streams and waits end on abort and on a cut connection (pure)', () => {
  const client = createDaemonClient({ id: 'nowhere', host: 'unix:///nonexistent/docker.sock' });

  it('unbounded settles on abort even when the request never does (a wait on a vanished daemon)', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const t0 = Date.now();
    await assert.rejects(
      client.unbounded('wait', () => new Promise<never>(() => undefined), ctl.signal),
      (e: DaemonError) => e.kind === 'cancelled' && /wait on unix:\/\/\/nonexistent\/docker\.sock was cancelled/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 1000);
  });

  it('a stream answer arriving after the abort is destroyed', async () => {
    const ctl = new AbortController();
    const late = new PassThrough();
    let arrive!: (s: PassThrough) => void;
    const answer = client.unbounded('logs', () => new Promise<PassThrough>((r) => (arrive = r)), ctl.signal);
    await tick();
    ctl.abort();
    await assert.rejects(answer, /cancelled/);
    arrive(late);
    await tick();
    assert.ok(late.destroyed);
  });

  it('streamEnd: the end resolves; a close without end and an error reject naming the daemon; an abort destroys the stream', async () => {
    const never = new AbortController().signal;
    const ended = new PassThrough();
    const done = client.streamEnd('build', ended, never);
    ended.resume();
    ended.end('x');
    await done;

    const cut = new PassThrough();
    const failing = client.streamEnd('build', cut, never);
    cut.resume();
    cut.write('half');
    cut.destroy();
    await assert.rejects(
      failing,
      (e: DaemonError) =>
        e.kind === 'unreachable' && /the build stream from unix:\/\/\/nonexistent\/docker\.sock was cut before its end/.test(e.message),
    );

    const broken = new PassThrough();
    const erring = client.streamEnd('logs', broken, never);
    broken.destroy(new Error('a frame header announced too much'));
    await assert.rejects(erring, /the logs stream from unix:\/\/\/nonexistent\/docker\.sock broke: a frame header announced too much/);

    const ctl = new AbortController();
    const followed = new PassThrough();
    const aborted = client.streamEnd('events', followed, ctl.signal);
    ctl.abort();
    await assert.rejects(aborted, (e: DaemonError) => e.kind === 'cancelled');
    assert.ok(followed.destroyed);
  });
});
