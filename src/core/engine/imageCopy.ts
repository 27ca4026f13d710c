// Image copies daemon to daemon (GET /images/get streamed into POST /images/load), for pools and swarms
// alike: without a registry this is how an image reaches the daemon a run landed on.
import type { Readable } from 'node:stream';
import type { DaemonClient } from '../daemonClient';
import { dial, signalled } from './signalled';

/** How often both daemons of a copy are pinged: a frozen one answers no ping while its stream just stops. */
const COPY_HEARTBEAT_MS = 2000;
/** A copy's save may pass no bytes for this many times the slower daemon's timeoutMs (its answer's headers included). */
const COPY_IDLE_FACTOR = 4;

/** How long a copy from `from` to `to` may pass no bytes before it fails. */
export const copyIdleMs = (from: DaemonClient, to: DaemonClient) => COPY_IDLE_FACTOR * Math.max(from.daemon.timeoutMs, to.daemon.timeoutMs);

/** GET /images/get: the image as a tar stream (`docker save`). The body has no deadline: the caller's signal ends it. */
async function saveImage(client: DaemonClient, ref: string, signal: AbortSignal, timeoutMs: number): Promise<Readable> {
  return (await client.call(
    'save image',
    (d, abortSignal) =>
      dial<Readable>(d, {
        path: '/images/get?',
        method: 'GET',
        options: { names: ref },
        isStream: true,
        abortSignal,
        statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
      }),
    // the daemon exports the image before it answers: the headers come after that
    { signal, timeoutMs },
  )) as Readable;
}

/** POST /images/load (`docker load`) of `tar`; resolves when the daemon loaded it, rejects with the daemon's error. */
async function loadImage(client: DaemonClient, ref: string, tar: Readable, signal: AbortSignal): Promise<void> {
  const answer = await client.unbounded(
    'load image',
    (d, abortSignal) => signalled(d).loadImage(tar, { quiet: true, abortSignal }),
    signal,
  );
  let text = '';
  answer.on('data', (b: Buffer) => (text += b.toString()));
  await client.streamEnd('image load', answer, signal);
  const error = /"error(?:Detail)?"\s*:\s*(?:\{[^}]*"message"\s*:\s*)?"([^"]+)"/.exec(text)?.[1];
  if (error) throw new Error(`${client.host} refused the image ${ref}: ${error}`);
}

/**
 * Streams image `ref` from one daemon to another, reporting bytes as they pass. Every request takes
 * `signal`; the copy fails when the save passes no bytes for copyIdleMs or either daemon misses two
 * pings (a frozen daemon or a silent connection sends no 'close'), and when a stream is cut on either
 * side, naming the image, both daemons and why.
 */
export async function copyImage(
  from: DaemonClient,
  to: DaemonClient,
  ref: string,
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const idleMs = copyIdleMs(from, to);
  const ctl = new AbortController();
  let why: Error | undefined;
  const fail = (e: Error) => {
    why ??= e;
    ctl.abort();
  };
  const onAbort = () => ctl.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) ctl.abort();
  const stopBeats = [from, to].map((c) =>
    c.heartbeat(COPY_HEARTBEAT_MS, (e) => fail(new Error(`${c.host} stopped answering during the copy (${e.message})`))),
  );
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => fail(new Error(`${from.host} sent no bytes for ${idleMs} ms`)), idleMs);
  };
  let bytes = 0;
  let sent: Promise<void> = Promise.resolve();
  try {
    const saved = await saveImage(from, ref, ctl.signal, idleMs);
    arm();
    saved.on('data', (b: Buffer) => {
      arm();
      onBytes((bytes += b.length));
    });
    sent = from.streamEnd(`image save of ${ref}`, saved, ctl.signal);
    // all sent: the target is loading (watched by its heartbeat); a cut save ends the load (it sees a truncated tar)
    sent.then(
      () => clearTimeout(idle),
      () => ctl.abort(),
    );
    await loadImage(to, ref, saved, ctl.signal);
    await sent;
  } catch (e) {
    if (signal.aborted) throw e;
    // a cut save may show as the load's error first: its own error says more, give it a moment to come
    const saveError = await Promise.race([
      sent.then(
        () => undefined,
        (se: Error) => se,
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
    ]);
    const cause = why ?? saveError;
    if (cause)
      throw new Error(
        `Copying image ${ref} from ${from.host} to ${to.host} was cut after ${(bytes / 1e6).toFixed(1)} MB: ${cause.message}`,
        {
          cause: e,
        },
      );
    throw e instanceof Error ? e : new Error(String(e));
  } finally {
    ctl.abort(); // whatever still streams (a save whose load failed) is nobody's now
    clearTimeout(idle);
    stopBeats.forEach((stop) => stop());
    signal.removeEventListener('abort', onAbort);
  }
}
