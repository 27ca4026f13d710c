// The output worker (a worker_threads entry, bundled as dist/outputWorker.js): see readOutputOffThread.
// It attaches to the container with its own DaemonClient, appends every byte to run.log, and posts the
// terminal's paced share every tick; its garbage collections and CPU are not the extension host's.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { DaemonClient } from '../daemonClient';
import { attachContainer } from '../engine/containers';
import { demuxFrames } from './demux';
import type { OutputProgress, OutputWorkerInput, OutputWorkerMessage } from './outputThread';
import { TerminalPacer, type Piece } from './terminalPacer';

/** What run.log may hold unwritten before the output's reading waits for it (the daemon's writes then wait). */
const LOG_BUFFER_BYTES = 1024 * 1024;
/** How often the terminal's share is posted: a message per chunk would cost more than the data. */
const TICK_MS = 16;

const port = parentPort!;
const post = (m: OutputWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function main(input: OutputWorkerInput, stop: AbortController, progress: OutputProgress): Promise<void> {
  // the main side ends what the client leaves running if this thread is terminated before its `finally`
  const client = new DaemonClient(input.daemon, { onProcess: (pid, running) => post({ type: 'ssh-process', pid, running }) });
  try {
    const stream = await attachContainer(client, input.container, { signal: stop.signal });
    const log = createWriteStream(input.logFile, { flags: 'a', highWaterMark: LOG_BUFFER_BYTES });
    let logError: Error | undefined;
    log.on('error', (e) => {
      logError = new Error(`run.log (${input.logFile}) could not be written: ${e.message}`);
      (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
    });
    let drained: Promise<unknown> | undefined;
    const pacer = new TerminalPacer(input.terminal);
    demuxFrames(stream, (payload, fd) => {
      progress.firstAt ||= Date.now();
      progress.lastAt = Date.now();
      progress.bytes += payload.length;
      pacer.output(payload, fd === 2 ? 'stderr' : 'stdout');
      if (!log.write(payload)) return (drained ??= once(log, 'drain').finally(() => (drained = undefined)));
    });
    // each piece in a buffer of its own, moved (not cloned: a view would clone its whole 64 KiB chunk)
    const show = () => {
      const pieces = pacer.take();
      if (!pieces.length) return;
      const transfer: ArrayBuffer[] = [];
      const own = pieces.map((p): Piece => {
        if (p.kind !== 'output') return p;
        const bytes = new Uint8Array(p.bytes);
        transfer.push(bytes.buffer);
        return { ...p, bytes: bytes as Buffer };
      });
      post({ type: 'paced', pieces: own, progress }, transfer);
    };
    const tick = setInterval(show, TICK_MS);
    post({ type: 'attached' });
    let cut: unknown;
    await client.streamEnd('output', stream, stop.signal).catch((e: unknown) => (cut = e));
    // the terminal's last share (the tail after a skip: about a second of budget at most), then the end,
    // so the run's status lines come after it
    pacer.finish();
    while (pacer.pending && !stop.signal.aborted) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      show();
    }
    clearInterval(tick);
    log.end();
    await finished(log).catch(() => undefined);
    if (logError ?? cut) throw logError ?? cut;
  } finally {
    client.dispose();
  }
}

const stop = new AbortController();
port.on('message', (m: { type?: string }) => m.type === 'stop' && stop.abort());
const progress: OutputProgress = { bytes: 0, firstAt: 0, lastAt: 0 };
main(workerData as OutputWorkerInput, stop, progress).then(
  () => post({ type: 'end', progress }),
  (e: Error) => post({ type: 'failed', message: e.message, progress }),
);
