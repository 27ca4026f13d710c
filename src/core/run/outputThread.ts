import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DaemonClient } from '../daemonClient';
import type { DaemonDescription } from '../daemonDescription';
import type { PacerOptions, Piece } from './terminalPacer';

/** Bytes of output so far, with when the first and the last came (ms since the epoch; 0: none yet). */
export interface OutputProgress {
  bytes: number;
  firstAt: number;
  lastAt: number;
}

/**
 * Output read off the caller's thread: a worker thread owns the attach stream, demultiplexes it and
 * appends every byte to `logFile`; the caller gets only the terminal's paced share and the totals.
 * For the extension host, whose event loop 100 MB of chunks (their reading, and the full garbage
 * collections their external memory forces) would stall for every extension in it.
 */
export interface OffThreadOutput {
  /** Appended (O_APPEND: the caller may append its own lines too) with every byte; flushed before the output ends. */
  logFile: string;
  /** The terminal's budget: the worker paces and skips as a TerminalPacer with these options. */
  terminal: PacerOptions;
  /** What the terminal shows, as the worker's pacer gave it (a tick's pieces, in order). */
  onPaced(pieces: Piece[]): void;
  onProgress(progress: OutputProgress): void;
}

/** What the worker is given (structured-cloned). */
export interface OutputWorkerInput {
  daemon: DaemonDescription;
  container: string;
  logFile: string;
  terminal: PacerOptions;
}

export type OutputWorkerMessage =
  | { type: 'attached' }
  | { type: 'ssh-process'; pid: number; running: boolean }
  | { type: 'paced'; pieces: Piece[]; progress: OutputProgress }
  | { type: 'end'; progress: OutputProgress }
  | { type: 'failed'; message: string; progress: OutputProgress };

/** The worker's bundle, next to this module's: dist/ in the extension (esbuild.mjs), out/src/core/run/ in the tests. */
export const OUTPUT_WORKER_FILE = path.join(__dirname, 'outputWorker.js');

/** A worker that does not end within this after `follow` aborted is terminated. */
const STOP_GRACE_MS = 2000;

/** Output bytes arrive as Uint8Array (structured clone drops Buffer's prototype): views again, no copy. */
const asBuffers = (pieces: Piece[]): Piece[] =>
  pieces.map((p) => (p.kind === 'output' ? { ...p, bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength) } : p));

/**
 * Attaches to `container` in a worker thread (its own connection to the daemon) and resolves once
 * attached, so the container may start; `output` then ends as the attach stream does (flushed to the
 * log first), rejects when it was cut or the worker failed (a clear message, never a hang), and
 * `follow` aborting ends it (the worker is terminated if it does not stop by itself).
 * Whatever the worker's client leaves when the worker is terminated before disposing it (ssh processes,
 * its ssh socket folder: made in a temporary folder of this worker's own) is ended from here, on every end.
 */
export async function readOutputOffThread(
  client: DaemonClient,
  container: string,
  follow: AbortSignal,
  sink: OffThreadOutput,
): Promise<{ output: Promise<void> }> {
  const input: OutputWorkerInput = { daemon: client.daemon, container, logFile: sink.logFile, terminal: sink.terminal };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'container-exec-output-'));
  const worker = new Worker(OUTPUT_WORKER_FILE, { workerData: input, env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp } });
  const sshProcesses = new Set<number>();
  /** The worker said it ended: its client was disposed (its own `finally`), its processes are its to reap. */
  let workerEnded = false;
  // not after the termination only: that waits for the worker's file calls in flight, which may never end
  const cleanUp = async () => {
    const terminated = worker.terminate();
    if (!workerEnded) sshProcesses.forEach(killQuietly);
    await rm(tmp, { recursive: true, force: true });
    await terminated;
    if (!workerEnded) sshProcesses.forEach(killQuietly);
  };
  let attached!: (v: { output: Promise<void> }) => void;
  let notAttached!: (e: Error) => void;
  const started = new Promise<{ output: Promise<void> }>((resolve, reject) => ((attached = resolve), (notAttached = reject)));
  let settle!: { resolve(): void; reject(e: Error): void };
  const output = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  output.catch(() => undefined); // the driver reads it; until then an early cut is not unhandled
  let done = false;
  const end = (e?: Error) => {
    if (done) return;
    done = true;
    follow.removeEventListener('abort', onAbort);
    clearTimeout(kill);
    void cleanUp().catch(() => undefined);
    if (e) {
      notAttached(e);
      settle.reject(e);
    } else settle.resolve();
  };
  let kill: NodeJS.Timeout | undefined;
  const onAbort = () => {
    worker.postMessage({ type: 'stop' });
    kill = setTimeout(
      () => end(new Error(`the output reader of ${container} on ${client.host} did not stop when asked; it was terminated`)),
      STOP_GRACE_MS,
    );
  };
  worker.on('message', (m: OutputWorkerMessage) => {
    if (m.type === 'attached') attached({ output });
    else if (m.type === 'ssh-process') {
      if (m.running) sshProcesses.add(m.pid);
      else sshProcesses.delete(m.pid);
    } else if (m.type === 'paced') {
      sink.onProgress(m.progress);
      sink.onPaced(asBuffers(m.pieces));
    } else {
      workerEnded = true;
      sink.onProgress(m.progress);
      end(m.type === 'failed' ? new Error(m.message) : undefined);
    }
  });
  worker.on('error', (e) =>
    end(new Error(`the output reader of ${container} on ${client.host} failed: ${e.message} (run.log may miss output after this point)`)),
  );
  worker.on('exit', (code) =>
    end(new Error(`the output reader of ${container} on ${client.host} exited (code ${code}) before the output ended`)),
  );
  if (follow.aborted) onAbort();
  else follow.addEventListener('abort', onAbort, { once: true });
  return started;
}

/** A process gone already is what was wanted. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid);
  } catch {
    // ESRCH: it ended
  }
}
