import { PassThrough } from 'node:stream';
import type { CallOptions, DaemonClient } from './daemonClient';

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
 * stdout and stderr are demultiplexed unless the container has a TTY. Resolves when the stream ends.
 */
export async function followContainerLogs(client: DaemonClient, id: string, onText: (text: string, stream: 'stdout' | 'stderr') => void, signal: AbortSignal, tail = 500): Promise<void> {
  const info = (await client.call('inspect container', (d, abortSignal) => d.getContainer(id).inspect({ abortSignal } as object), { signal })) as { Config?: { Tty?: boolean } };
  const docker = await client.docker();
  const stream = (await client.unbounded(
    'follow logs',
    (d, abortSignal) => d.getContainer(id).logs({ follow: true, stdout: true, stderr: true, tail, abortSignal } as never) as unknown as Promise<NodeJS.ReadableStream>,
    signal,
  )) as NodeJS.ReadableStream & { destroy?: () => void };
  await new Promise<void>((resolve) => {
    if (info.Config?.Tty) stream.on('data', (b: Buffer) => onText(b.toString('utf8'), 'stdout'));
    else {
      const out = new PassThrough().on('data', (b: Buffer) => onText(b.toString('utf8'), 'stdout'));
      const err = new PassThrough().on('data', (b: Buffer) => onText(b.toString('utf8'), 'stderr'));
      docker.modem.demuxStream(stream, out, err);
    }
    stream.on('end', resolve).on('close', resolve).on('error', resolve);
    signal.addEventListener('abort', () => stream.destroy?.(), { once: true });
  });
}

/** True when the daemon has the image; false on 404; any other failure throws. */
export async function imageExists(client: DaemonClient, ref: string, opts?: CallOptions): Promise<boolean> {
  return client.call('inspect image', (d, abortSignal) => d.getImage(ref).inspect({ abortSignal } as never) as unknown as Promise<unknown>, opts).then(
    () => true,
    (e: Error) => (/HTTP 404|No such image/i.test(e.message) ? false : Promise.reject(e)),
  );
}
