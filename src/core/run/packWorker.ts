// The pack worker (a worker_threads entry, bundled as dist/packWorker.js): see packWorkspace. It reads the
// workspace's files with synchronous calls and posts the tar in chunks of up to TAR_CHUNK; at most
// MAX_IN_FLIGHT of them wait on the main side at once (its reader acknowledges each with 'taken').
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkedTar } from './chunkedTar';
import { packEntries, type PackEntry } from './entryPacker';

/** What the worker is given (structured-cloned). */
export interface PackWorkerInput {
  dir: string;
  entries: PackEntry[];
  extraDirs: string[];
}

export type PackWorkerMessage = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' } | { type: 'failed'; message: string };

/** Chunks posted and not yet taken by the reader: the read-ahead, in TAR_CHUNKs. */
const MAX_IN_FLIGHT = 4;
/** Smaller chunks are copied rather than moved: the copy is cheap and a view may share its buffer. */
const MOVE_FROM = 64 * 1024;

const port = parentPort!;
const input = workerData as PackWorkerInput;
const tar = new ChunkedTar();
let inFlight = 0;
tar.stream.on('data', (chunk: Buffer) => {
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.length >= MOVE_FROM;
  const bytes = whole ? new Uint8Array(chunk.buffer) : new Uint8Array(chunk);
  port.postMessage({ type: 'chunk', bytes } satisfies PackWorkerMessage, [bytes.buffer as ArrayBuffer]);
  if (++inFlight >= MAX_IN_FLIGHT) tar.stream.pause();
});
tar.stream.on('end', () => port.postMessage({ type: 'end' } satisfies PackWorkerMessage));
port.on('message', (m: unknown) => {
  if (m !== 'taken') return;
  inFlight--;
  if (inFlight < MAX_IN_FLIGHT && tar.stream.isPaused()) tar.stream.resume();
});
packEntries(tar, input.dir, input.entries, input.extraDirs).catch((e: Error) =>
  port.postMessage({ type: 'failed', message: e.message } satisfies PackWorkerMessage),
);
