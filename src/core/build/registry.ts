import type { DaemonClient } from '../daemonClient';
import { pullImageStream, pushImageStream } from '../engine/images';
import { DaemonError } from '../errors';
import { onLines } from '../jsonLines';
import { redactSecrets } from '../safety';

/** How often a push or pull pings its daemon. */
const HEARTBEAT_MS = 2000;

export interface RegistryAuth {
  serveraddress: string;
  username?: string;
  password?: string;
}

/**
 * Runs a push or pull and follows its JSON stream to the end; an errorDetail fails it (dockerode would
 * not). The stream is cut when `signal` aborts or the daemon misses two pings: a layer may take
 * minutes, and through a dead network not even the connection's close arrives.
 */
async function follow(
  client: DaemonClient,
  what: string,
  open: (signal: AbortSignal) => Promise<NodeJS.ReadableStream>,
  signal: AbortSignal,
  onLine: (text: string) => void,
): Promise<void> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) ctl.abort();
  let lost: DaemonError | undefined;
  const stopHeartbeat = client.heartbeat(HEARTBEAT_MS, (e) => {
    lost = new DaemonError('unreachable', client.host, `daemon ${client.host} stopped answering during the ${what}: ${e.message}`, {
      cause: e,
    });
    ctl.abort();
  });
  try {
    const stream = await open(ctl.signal);
    let failure: string | undefined;
    onLines(stream, (line) => {
      try {
        const m = JSON.parse(line) as {
          status?: string;
          id?: string;
          progress?: string;
          error?: string;
          errorDetail?: { message?: string };
        };
        if (m.errorDetail || m.error) failure = m.errorDetail?.message ?? m.error;
        else if (m.status && !m.progress) onLine(m.id ? `${m.id}: ${m.status}` : m.status);
      } catch {
        // not JSON: ignore
      }
    });
    await client.streamEnd(what, stream, ctl.signal);
    if (failure) throw new DaemonError('api', client.host, failure);
  } catch (e) {
    if (signal.aborted) throw new DaemonError('cancelled', client.host, `${what} on ${client.host} was cancelled`);
    throw lost ?? e;
  } finally {
    stopHeartbeat();
    signal.removeEventListener('abort', onAbort);
  }
}

/** Says which registry and user failed, never the password (every occurrence replaced, in every branch). */
export function explainRegistryFailure(e: unknown, action: string, ref: string, auth: RegistryAuth | undefined): Error {
  const msg = redactSecrets((e as Error).message, [auth?.password]);
  const who = auth?.username ? ` as ${auth.username}` : ' anonymously';
  if (/unauthorized|authentication required|no basic auth credentials|denied|401/i.test(msg))
    return new Error(
      `${action} ${ref} failed: ${auth?.serveraddress ?? 'the registry'} refused${who} (${msg}). Check the registry username and password (Test Registry Login in the configuration editor).`,
      { cause: e },
    );
  if (/connection refused|no such host|i\/o timeout|connection reset/i.test(msg))
    return new Error(`${action} ${ref} failed: registry ${auth?.serveraddress ?? ''} is unreachable from the daemon (${msg})`, {
      cause: e,
    });
  return new Error(`${action} ${ref} failed: ${msg}`, { cause: e });
}

type Transfer = 'push' | 'pull';
const TRANSFER = { push: { stream: pushImageStream, action: 'Image push of' }, pull: { stream: pullImageStream, action: 'Image pull of' } };

async function transferImage(
  what: Transfer,
  client: DaemonClient,
  ref: string,
  auth: RegistryAuth | undefined,
  signal: AbortSignal,
  onLine: (text: string) => void,
): Promise<void> {
  try {
    await follow(client, what, (s) => TRANSFER[what].stream(client, ref, auth, s), signal, onLine);
  } catch (e) {
    if (e instanceof DaemonError && e.kind === 'cancelled') throw e;
    throw explainRegistryFailure(e, TRANSFER[what].action, ref, auth);
  }
}

export const pushImage = (
  client: DaemonClient,
  ref: string,
  auth: RegistryAuth | undefined,
  signal: AbortSignal,
  onLine: (text: string) => void,
) => transferImage('push', client, ref, auth, signal, onLine);

export const pullImage = (
  client: DaemonClient,
  ref: string,
  auth: RegistryAuth | undefined,
  signal: AbortSignal,
  onLine: (text: string) => void,
) => transferImage('pull', client, ref, auth, signal, onLine);
