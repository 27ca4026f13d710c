// One pack worker (packWorker.ts) kept warm between uploads: a worker's start (a thread, an isolate, the
// bundle loaded) costs about 100 ms, most of a 2,000-file upload's time above the raw floor. It is started
// early by the scan once the workspace is too large to pack in-thread (warmPackWorker), reused after an
// upload that ended cleanly, and ended after IDLE_MS unused. While idle it is unref'd: it never keeps the
// process alive. One that dies while idle is forgotten: the next upload starts another.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** The pack worker's bundle, next to this module's: dist/ in the extension (esbuild.mjs), out/src/core/run/ in the tests. */
export const PACK_WORKER_FILE = path.join(__dirname, 'packWorker.js');
/** How long an unused worker is kept. */
const IDLE_MS = 30_000;

let idle: { worker: Worker; timer: NodeJS.Timeout } | undefined;

function start(): Worker {
  const worker = new Worker(PACK_WORKER_FILE);
  const forget = () => {
    if (idle?.worker !== worker) return;
    clearTimeout(idle.timer);
    idle = undefined;
  };
  // an upload adds its own listeners; these keep an idle worker's failure from throwing
  return worker.on('error', forget).on('exit', forget);
}

function park(worker: Worker): void {
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = undefined;
    void worker.terminate();
  }, IDLE_MS).unref();
  idle = { worker, timer };
}

/** Starts a worker for the next upload to take, unless one is waiting already. */
export function warmPackWorker(): void {
  if (!idle) park(start());
}

/** The waiting worker, or a new one: the caller's until it gives it back or terminates it. */
export function takePackWorker(): Worker {
  const worker = idle?.worker ?? start();
  if (idle) clearTimeout(idle.timer);
  idle = undefined;
  worker.ref();
  return worker;
}

/** A worker whose upload ended cleanly: kept for the next, or ended if another is waiting. */
export function givePackWorkerBack(worker: Worker): void {
  if (idle) void worker.terminate();
  else park(worker);
}
