import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { StringDecoder } from 'node:string_decoder';
import type { CallOptions, DaemonClient } from '../daemonClient';
import { onLines } from '../jsonLines';
import { demuxFrames } from '../run/demux';
import { dial, signalled, type ContainerInspect } from './signalled';

export type { ContainerInspect } from './signalled';

// Typed container calls of the Engine API (dockerode seen through signalled.ts, which types them).

/** POST /containers/create; the new container's id. */
export async function createContainer(
  client: DaemonClient,
  body: Record<string, unknown> & { name: string },
  opts?: CallOptions,
): Promise<string> {
  const created = await client.call('create container', (d, abortSignal) => signalled(d).createContainer({ ...body, abortSignal }), opts);
  return created.id;
}

/**
 * POST /libpod/containers/create (Podman's own API, here at its 4.0 level, which Podman 5 still serves): a
 * SpecGenerator, for what the compat create cannot carry (CDI devices); the new container's id.
 */
export async function createPodmanContainer(client: DaemonClient, spec: Record<string, unknown>, opts?: CallOptions): Promise<string> {
  const created = await client.call(
    'create container',
    (d, abortSignal) =>
      dial<{ Id: string }>(d, {
        path: '/v4.0.0/libpod/containers/create',
        method: 'POST',
        options: { _body: spec },
        isStream: false,
        abortSignal,
        statusCodes: { 201: true, 400: 'bad parameter', 404: 'no such image', 409: 'conflict', 500: 'server error' },
      }),
    opts,
  );
  return created.Id;
}

/** PUT /containers/{id}/archive: unpacks a tar stream at `path` in the container. */
export async function putArchive(
  client: DaemonClient,
  id: string,
  tar: NodeJS.ReadableStream,
  path: string,
  opts?: CallOptions,
): Promise<void> {
  await client.call('upload workspace', (d, abortSignal) => signalled(d).getContainer(id).putArchive(tar, { path, abortSignal }), opts);
}

/** GET /containers/{id}/archive: a tar stream of `path` in the container. */
export function getArchive(client: DaemonClient, id: string, path: string, opts?: CallOptions): Promise<NodeJS.ReadableStream> {
  return client.call('fetch outputs', (d, abortSignal) => signalled(d).getContainer(id).getArchive({ path, abortSignal }), opts);
}

/** POST /commit: container `id` (stopped) as image `repo:tag`, with its config (labels, working dir); the new image's id. */
export async function commitContainer(
  client: DaemonClient,
  id: string,
  ref: { repo: string; tag: string },
  opts?: CallOptions,
): Promise<string> {
  const image = await client.call(
    'commit container',
    (d, abortSignal) =>
      signalled(d)
        .getContainer(id)
        .commit({ ...ref, pause: false, abortSignal }),
    opts,
  );
  return image.Id;
}

/** POST /containers/{id}/attach: the multiplexed stdout and stderr stream. */
export function attachContainer(client: DaemonClient, id: string, opts?: CallOptions): Promise<NodeJS.ReadableStream> {
  return client.call(
    'attach',
    (d, abortSignal) => signalled(d).getContainer(id).attach({ stream: true, stdout: true, stderr: true, abortSignal }),
    opts,
  );
}

export async function startContainer(client: DaemonClient, id: string, opts?: CallOptions): Promise<void> {
  await client.call('start container', (d, abortSignal) => signalled(d).getContainer(id).start({ abortSignal }), opts);
}

/** POST /containers/{id}/wait: answers when the container exits, so only `signal` ends it. */
export function waitContainer(client: DaemonClient, id: string, signal: AbortSignal): Promise<{ StatusCode: number }> {
  return client.unbounded('wait', (d, abortSignal) => signalled(d).getContainer(id).wait({ abortSignal }), signal);
}

/** Whether container `id` was ever started (a created one has the zero time as StartedAt). */
export async function containerStarted(client: DaemonClient, id: string, opts?: CallOptions): Promise<boolean> {
  const startedAt = (await inspectContainer(client, id, opts)).State.StartedAt;
  return Boolean(startedAt) && !startedAt!.startsWith('0001-');
}

export function inspectContainer(client: DaemonClient, id: string, opts?: CallOptions): Promise<ContainerInspect> {
  return client.call('inspect container', (d, abortSignal) => signalled(d).getContainer(id).inspect({ abortSignal }), opts);
}

/** Stops like `docker stop`: SIGTERM, then SIGKILL after `graceSeconds`; the deadline allows for that wait. */
export async function stopContainer(client: DaemonClient, id: string, opts: CallOptions & { graceSeconds?: number } = {}): Promise<void> {
  const t = opts.graceSeconds ?? 10;
  await client.call('stop container', (d, abortSignal) => signalled(d).getContainer(id).stop({ t, abortSignal }), {
    timeoutMs: client.daemon.timeoutMs + t * 1000,
    ...opts,
  });
}

export async function removeContainer(client: DaemonClient, id: string, opts?: CallOptions): Promise<void> {
  await client.call(
    'remove container',
    (d, abortSignal) => signalled(d).getContainer(id).remove({ force: true, v: true, abortSignal }),
    opts,
  );
}

/**
 * Follows a container's logs (last `tail` lines, then new ones) until it stops or `signal` aborts;
 * stdout and stderr are demultiplexed unless the container has a TTY. Resolves when the stream ends
 * or `signal` aborts; rejects when it is cut or corrupt.
 */
export async function followContainerLogs(
  client: DaemonClient,
  id: string,
  onText: (text: string, stream: 'stdout' | 'stderr') => void,
  signal: AbortSignal,
  tail = 500,
): Promise<void> {
  const info = (await client.call('inspect container', (d, abortSignal) => signalled(d).getContainer(id).inspect({ abortSignal }), {
    signal,
  })) as { Config?: { Tty?: boolean } };
  const stream = await client.unbounded(
    'follow logs',
    (d, abortSignal) => signalled(d).getContainer(id).logs({ follow: true, stdout: true, stderr: true, tail, abortSignal }),
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

/** An exec made in a container: start it once (hijacked: the connection becomes its stdio), then ask its state. */
export interface ExecInstance {
  start(o: { stdin: boolean; tty: boolean }, opts?: CallOptions): Promise<Duplex>;
  inspect(opts?: CallOptions): Promise<{ Running: boolean; ExitCode: number | null }>;
  /** POST /exec/{id}/resize: a tty's new size. */
  resize(columns: number, rows: number, opts?: CallOptions): Promise<void>;
}

/** POST /containers/{id}/exec. */
export async function createExec(
  client: DaemonClient,
  id: string,
  body: { Cmd: string[]; AttachStdin: boolean; Tty: boolean; Env?: string[]; WorkingDir?: string },
  opts?: CallOptions,
): Promise<ExecInstance> {
  const exec = await client.call(
    'create exec',
    (d, abortSignal) =>
      signalled(d)
        .getContainer(id)
        .exec({ AttachStdout: true, AttachStderr: true, ...body, abortSignal }),
    opts,
  );
  return {
    start: ({ stdin, tty }, o) =>
      client.call('start exec', (_d, abortSignal) => exec.start({ hijack: true, stdin, Tty: tty, abortSignal }), o),
    inspect: (o) => client.call('inspect exec', (_d, abortSignal) => exec.inspect({ abortSignal }), o),
    resize: async (w, h, o) => {
      await client.call('resize exec', (d, abortSignal) => resizeExec(d, exec.id, w, h, abortSignal), o);
    },
  };
}

/** POST /exec/{id}/resize. Docker answers 200, Podman 201 (dockerode takes 201 for an error). */
function resizeExec(d: Docker, id: string, w: number, h: number, abortSignal: AbortSignal): Promise<unknown> {
  return dial(d, {
    path: `/exec/${encodeURIComponent(id)}/resize?`,
    method: 'POST',
    options: { w, h },
    isStream: false,
    abortSignal,
    statusCodes: { 200: true, 201: true, 404: 'no such exec', 500: 'container not running' },
  });
}

/** GET /containers/{id}/stats?stream=false: one stats object (unparsed: the caller's zod schema reads it), within the call's deadline. */
export function containerStatsSnapshot(client: DaemonClient, id: string, opts?: CallOptions): Promise<unknown> {
  return client.call('stats', (d, abortSignal) => signalled(d).getContainer(id).stats({ stream: false, abortSignal }), opts);
}

/** Stats streams open now and ever opened (tests check that none outlives its run). */
export const statsStreams = { open: 0, opened: 0 };

/**
 * Follows GET /containers/{id}/stats (streamed: about one object a second) and hands each parsed JSON
 * object to `onStats` until the stream ends or `signal` aborts (both resolve). Rejects when it is refused
 * or cut. No deadline here: the caller bounds the wait for the first object and the gaps between them.
 */
export async function followContainerStats(
  client: DaemonClient,
  id: string,
  onStats: (raw: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const stream = await client.unbounded(
    'stats',
    (d, abortSignal) => signalled(d).getContainer(id).stats({ stream: true, abortSignal }),
    signal,
  );
  statsStreams.open++;
  statsStreams.opened++;
  onLines(stream, (line) => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return; // not JSON: the next line may be
    }
    onStats(raw);
  });
  await client
    .streamEnd('stats', stream, signal)
    .catch((e: Error) => {
      if (!signal.aborted) throw e;
    })
    .finally(() => statsStreams.open--);
}
