// The pack worker (a worker_threads entry, bundled as dist/packWorker.js): see packWorkspace. It reads the
// workspace's small files with synchronous calls and posts the tar in chunks of up to TAR_CHUNK; at most
// MAX_IN_FLIGHT of them wait on the main side at once (its reader acknowledges each with 'taken'). A
// large file's body is the main side's to stream ('body'), which answers 'body-sent' (or, failing, ends the worker).
// A chunk the main side has seen written to the socket comes back ('spare') to gather another in: fresh
// memory costs a page fault per 4 KB, as much as reading the files. One worker packs one upload after
// another ('pack'), kept warm between them (packWorkerPool.ts), its spare chunks kept too.
import { parentPort } from 'node:worker_threads';
import { ChunkedTar, TAR_CHUNK } from './chunkedTar';
import { packEntries, type PackEntry } from './entryPacker';

/** What the worker is given for an upload (structured-cloned). */
export interface PackWorkerInput {
  dir: string;
  entries: PackEntry[];
  extraDirs: string[];
}

export type PackWorkerMessage =
  { type: 'chunk'; bytes: Uint8Array } | { type: 'body'; entry: PackEntry } | { type: 'end' } | { type: 'failed'; message: string };

export type PackMainMessage =
  { type: 'pack'; input: PackWorkerInput } | { type: 'taken' } | { type: 'body-sent' } | { type: 'spare'; buffer: ArrayBuffer };

/** Chunks posted and not yet taken by the reader: the read-ahead, in TAR_CHUNKs. */
const MAX_IN_FLIGHT = 4;
/** Smaller chunks are copied rather than moved: the copy is cheap and a view may share its buffer. */
const MOVE_FROM = 64 * 1024;

const port = parentPort!;
let inFlight = 0;
let credit: (() => void) | undefined;
let bodySent: (() => void) | undefined;
const spares: Buffer[] = [];
port.on('message', (m: PackMainMessage) => {
  if (m.type === 'pack') pack(m.input);
  else if (m.type === 'taken') {
    inFlight--;
    const wake = credit;
    credit = undefined;
    wake?.();
  } else if (m.type === 'spare') spares.push(Buffer.from(m.buffer));
  else bodySent?.();
});

const post = (m: PackWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** A chunk gathered in a TAR_CHUNK buffer of its own moves with that buffer (the rest unused), to come back as a spare. */
async function send(chunk: Buffer): Promise<void> {
  const whole = chunk.byteOffset === 0 && chunk.buffer.byteLength === TAR_CHUNK && chunk.length >= MOVE_FROM;
  const bytes = whole ? new Uint8Array(chunk.buffer, 0, chunk.length) : new Uint8Array(chunk);
  post({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
  if (++inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => (credit = resolve));
}

const largeBody = (entry: PackEntry) =>
  new Promise<void>((resolve) => {
    bodySent = resolve;
    post({ type: 'body', entry });
  });

/** One upload, after the last has ended (the main side sends 'pack' only then). */
function pack(input: PackWorkerInput): void {
  inFlight = 0;
  const tar = new ChunkedTar(send, () => spares.pop() ?? Buffer.allocUnsafeSlow(TAR_CHUNK));
  packEntries({ tar, dir: input.dir, entries: input.entries, extraDirs: input.extraDirs, largeBody }).then(
    () => post({ type: 'end' }),
    (e: Error) => post({ type: 'failed', message: e.message }),
  );
}
