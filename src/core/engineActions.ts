import { StringDecoder } from 'node:string_decoder';
import type { CallOptions, DaemonClient } from './daemonClient';
import { demuxFrames } from './run/demux';

/** The Engine API answered 404 (no such container, image or path). */
export const isNotFound = (e: unknown): boolean => /HTTP 404|No such image/i.test((e as Error).message);

/** Stops like `docker stop`: SIGTERM, then SIGKILL after `graceSeconds`; the deadline allows for that wait. */
export async function stopContainer(client: DaemonClient, id: string, opts: CallOptions & { graceSeconds?: number } = {}): Promise<void> {
  const t = opts.graceSeconds ?? 10;
  await client.call('stop container', (d, abortSignal) => d.getContainer(id).stop({ t, abortSignal } as object), { timeoutMs: client.daemon.timeoutMs + t * 1000, ...opts });
}

export async function removeContainer(client: DaemonClient, id: string, opts?: CallOptions): Promise<void> {
  await client.call('remove container', (d, abortSignal) => d.getContainer(id).remove({ force: true, v: true, abortSignal } as object), opts);
}

export async function removeImage(client: DaemonClient, id: string, opts?: CallOptions): Promise<void> {
  await client.call('remove image', (d, abortSignal) => d.getImage(id).remove({ abortSignal } as object), opts);
}

/**
 * Follows a container's logs (last `tail` lines, then new ones) until it stops or `signal` aborts;
 * stdout and stderr are demultiplexed unless the container has a TTY. Resolves when the stream ends
 * or `signal` aborts; rejects when it is cut or corrupt.
 */
export async function followContainerLogs(client: DaemonClient, id: string, onText: (text: string, stream: 'stdout' | 'stderr') => void, signal: AbortSignal, tail = 500): Promise<void> {
  const info = (await client.call('inspect container', (d, abortSignal) => d.getContainer(id).inspect({ abortSignal } as object), { signal })) as { Config?: { Tty?: boolean } };
  const stream = await client.unbounded(
    'follow logs',
    (d, abortSignal) => d.getContainer(id).logs({ follow: true, stdout: true, stderr: true, tail, abortSignal } as never) as unknown as Promise<NodeJS.ReadableStream>,
    signal,
  );
  const decoders = { 1: new StringDecoder('utf8'), 2: new StringDecoder('utf8') };
  if (info.Config?.Tty) stream.on('data', (b: Buffer) => onText(decoders[1].write(b), 'stdout'));
  else demuxFrames(stream, (payload, fd) => onText(decoders[fd].write(payload), fd === 1 ? 'stdout' : 'stderr'));
  // a cut stream (the daemon went away) or a corrupt one is an error the caller shows; a cancel is not
  await client.streamEnd('logs', stream, signal).catch((e: Error) => {
    if (!signal.aborted) throw e;
  });
}

/** True when the daemon has the image; false on 404; any other failure throws. */
export async function imageExists(client: DaemonClient, ref: string, opts?: CallOptions): Promise<boolean> {
  return client.call('inspect image', (d, abortSignal) => d.getImage(ref).inspect({ abortSignal } as never) as unknown as Promise<unknown>, opts).then(
    () => true,
    (e: Error) => (isNotFound(e) ? false : Promise.reject(e)),
  );
}
