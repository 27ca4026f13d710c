import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import type { DaemonClient } from '../daemonClient';
import { getArchive, inspectContainer, removeContainer } from '../engine';
import { isNotFound } from '../errors';
import { LABELS } from '../labels';
import { extractOutputArchive, skippedWarning, type OutputCap, type OutputCaps } from './outputArchive';

export interface FetchOutputsOptions extends OutputCaps {
  signal?: AbortSignal;
  /** Told once, naming every entry that was skipped. */
  onWarning?(text: string): void;
}

export interface FetchedOutputs {
  /** dest/<folder name>; undefined when the container has no output folder. */
  folder?: string;
  /** Names (`out/...`) of the entries not brought back, each once. */
  skipped: string[];
  /** The fetch stopped at a cap: the rest is still in the container. */
  capped?: OutputCap;
  entries: number;
  bytes: number;
}

/** What a cap means, in words, with the setting that raises it. */
export function capText(capped: OutputCap): string {
  return capped.cap === 'maxEntries'
    ? `the output folder has more than ${capped.limit} entries (containerExec.outputMaxEntries)`
    : `the output folder holds more than ${capped.limit >= 1e6 ? `${Math.round(capped.limit / 1e6)} MB` : `${capped.limit} bytes`} (containerExec.outputMaxMB)`;
}

/**
 * Copies the container's output folder into `dest` (as `docker cp`: dest/<folder name>/...), each entry
 * judged alone (see extractOutputArchive). The headers have the daemon's deadline; the body an idle one,
 * running from the headers (not from the first byte).
 */
export async function fetchOutputs(
  client: DaemonClient,
  container: string,
  outputPath: string,
  dest: string,
  opts: FetchOutputsOptions = {},
): Promise<FetchedOutputs> {
  const idleMs = Math.max(client.daemon.timeoutMs, 30000);
  let stream: NodeJS.ReadableStream & { destroy(e?: Error): void };
  try {
    stream = (await getArchive(client, container, outputPath, { signal: opts.signal })) as typeof stream;
  } catch (e) {
    if (isNotFound(e)) return { skipped: [], entries: 0, bytes: 0 };
    throw e;
  }
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => watchdog.destroy(new Error(`no data from ${client.host} for ${idleMs} ms`)), idleMs);
  };
  const watchdog = new Transform({
    transform(chunk: Buffer, _enc, done) {
      arm();
      done(null, chunk);
    },
  });
  // armed from the answer's headers on: a daemon that sends them and then nothing is cut too
  arm();
  const onAbort = () => watchdog.destroy(new Error(`fetching ${outputPath} from ${client.host} was cancelled`));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  stream.on('error', (e: Error) => watchdog.destroy(e));
  try {
    await mkdir(dest, { recursive: true });
    const got = await extractOutputArchive(stream.pipe(watchdog), dest, outputPath, opts);
    if (got.skipped.length) opts.onWarning?.(skippedWarning(outputPath, got.skipped));
    return {
      folder: path.join(dest, path.posix.basename(outputPath)),
      skipped: got.skipped.map((s) => s.name),
      capped: got.capped,
      entries: got.entries,
      bytes: got.bytes,
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(idle);
    stream.destroy();
    watchdog.destroy();
  }
}

export interface RetrievedOutputs extends FetchedOutputs {
  /** The container was removed (it is kept when capped again, or when kept on purpose: containerExec.keepContainers). */
  removed: boolean;
  /** The container is no longer on the daemon: its outputs are gone. */
  gone?: boolean;
}

/** Fetches the outputs a run left in its kept container (a cut or failed fetch), then removes the container unless cut again. */
export async function retrieveKeptOutputs(
  client: DaemonClient,
  container: string,
  outputPath: string,
  dest: string,
  opts: FetchOutputsOptions = {},
): Promise<RetrievedOutputs> {
  let labels: Record<string, string>;
  try {
    const info = await inspectContainer(client, container, { signal: opts.signal });
    labels = info.Config.Labels ?? {};
  } catch (e) {
    if (isNotFound(e)) return { skipped: [], entries: 0, bytes: 0, removed: false, gone: true };
    throw e;
  }
  const fetched = await fetchOutputs(client, container, outputPath, dest, opts);
  if (fetched.capped || labels[LABELS.kept]) return { ...fetched, removed: false };
  try {
    await removeContainer(client, container, { signal: opts.signal });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return { ...fetched, removed: true };
}
