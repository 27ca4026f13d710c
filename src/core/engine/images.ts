import type { CallOptions, DaemonClient } from '../daemonClient';
import { isNotFound } from '../errors';
import { signalled, type EngineAuth, type EngineBuildOptions } from './signalled';

export type { EngineAuth, EngineBuildOptions } from './signalled';

// Typed image and registry calls of the Engine API (dockerode seen through signalled.ts, which types them).

export function inspectImage(client: DaemonClient, ref: string, opts?: CallOptions): Promise<{ Id: string; Size: number }> {
  return client.call('inspect image', (d, abortSignal) => signalled(d).getImage(ref).inspect({ abortSignal }), opts);
}

/** True when the daemon has the image; false on 404; any other failure throws. */
export async function imageExists(client: DaemonClient, ref: string, opts?: CallOptions): Promise<boolean> {
  return inspectImage(client, ref, opts).then(
    () => true,
    (e: Error) => (isNotFound(e) ? false : Promise.reject(e)),
  );
}

export async function removeImage(client: DaemonClient, id: string, opts?: CallOptions): Promise<void> {
  await client.call('remove image', (d, abortSignal) => signalled(d).getImage(id).remove({ abortSignal }), opts);
}

/** POST /build: the JSON-lines progress stream; a build takes as long as it takes, so only `signal` ends it. */
export function buildImageStream(
  client: DaemonClient,
  context: NodeJS.ReadableStream,
  o: EngineBuildOptions,
  signal: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  return client.unbounded(
    'build',
    (d, abortSignal) => signalled(d).buildImage(context, { ...o, rm: true, forcerm: true, abortSignal }),
    signal,
  );
}

/** POST /images/{ref}/push: the JSON-lines progress stream, ended by `signal`. */
export function pushImageStream(
  client: DaemonClient,
  ref: string,
  auth: EngineAuth | undefined,
  signal: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  return client.unbounded('push', (d, abortSignal) => signalled(d).getImage(ref).push({ authconfig: auth, abortSignal }), signal);
}

/** POST /images/create: the JSON-lines progress stream, ended by `signal`. */
export function pullImageStream(
  client: DaemonClient,
  ref: string,
  auth: EngineAuth | undefined,
  signal: AbortSignal,
): Promise<NodeJS.ReadableStream> {
  return client.unbounded('pull', (d, abortSignal) => signalled(d).pull(ref, { authconfig: auth, abortSignal }), signal);
}

/** POST /auth: the daemon logs in to the registry (a registry that is slow to answer gets `timeoutMs`). */
export async function checkRegistryAuth(client: DaemonClient, auth: EngineAuth, opts?: CallOptions): Promise<void> {
  await client.call('registry login', (d, abortSignal) => signalled(d).checkAuth({ ...auth, abortSignal }), opts);
}
