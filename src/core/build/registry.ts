import type { DaemonClient } from '../daemonClient';
import { DaemonError } from '../errors';
import { onLines } from '../jsonLines';
import { redactSecrets } from '../safety';

export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
}

/** Follows a push or pull JSON stream to its end; an errorDetail fails it (dockerode would not). */
function follow(client: DaemonClient, what: string, stream: NodeJS.ReadableStream & { destroy?: () => void }, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    onLines(stream, (line) => {
      try {
        const m = JSON.parse(line) as { status?: string; id?: string; progress?: string; error?: string; errorDetail?: { message?: string } };
        if (m.errorDetail || m.error) failure = m.errorDetail?.message ?? m.error;
        else if (m.status && !m.progress) onLine(m.id ? `${m.id}: ${m.status}` : m.status);
      } catch {
        // not JSON: ignore
      }
    });
    const done = () => {
      if (signal.aborted) reject(new DaemonError('cancelled', client.host, `${what} on ${client.host} was cancelled`));
      else if (failure) reject(new DaemonError('api', client.host, failure));
      else resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e: Error) => reject(new DaemonError('unreachable', client.host, `${what} stream from ${client.host} broke: ${e.message}`)));
    signal.addEventListener('abort', () => stream.destroy?.(), { once: true });
  });
}

/** Says which registry and user failed, never the password (every occurrence replaced, in every branch). */
export function explainRegistryFailure(e: unknown, action: string, ref: string, auth: RegistryAuth | undefined): Error {
  const msg = redactSecrets((e as Error).message, [auth?.password]);
  const who = auth?.username ? ` as ${auth.username}` : ' anonymously';
  if (/unauthorized|authentication required|no basic auth credentials|denied|401/i.test(msg))
    return new Error(`${action} ${ref} failed: ${auth?.serveraddress ?? 'the registry'} refused${who} (${msg}). Check the registry username and password (Test Registry Login in the configuration editor).`, { cause: e });
  if (/connection refused|no such host|i\/o timeout|connection reset/i.test(msg))
    return new Error(`${action} ${ref} failed: registry ${auth?.serveraddress ?? ''} is unreachable from the daemon (${msg})`, { cause: e });
  return new Error(`${action} ${ref} failed: ${msg}`, { cause: e });
}

export async function pushImage(client: DaemonClient, ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
  try {
    const stream = (await client.unbounded('push', (d, abortSignal) => d.getImage(ref).push({ authconfig: auth, abortSignal } as never) as unknown as Promise<NodeJS.ReadableStream>, signal)) as NodeJS.ReadableStream;
    await follow(client, 'push', stream, signal, onLine);
  } catch (e) {
    if (e instanceof DaemonError && e.kind === 'cancelled') throw e;
    throw explainRegistryFailure(e, 'Image push of', ref, auth);
  }
}

export async function pullImage(client: DaemonClient, ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
  try {
    const stream = (await client.unbounded('pull', (d, abortSignal) => d.pull(ref, { authconfig: auth, abortSignal } as never) as unknown as Promise<NodeJS.ReadableStream>, signal)) as NodeJS.ReadableStream;
    await follow(client, 'pull', stream, signal, onLine);
  } catch (e) {
    if (e instanceof DaemonError && e.kind === 'cancelled') throw e;
    throw explainRegistryFailure(e, 'Image pull of', ref, auth);
  }
}
