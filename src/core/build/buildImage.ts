import type { Readable } from 'node:stream';
import type { DaemonClient } from '../daemonClient';
import { buildImageStream, inspectImage } from '../engine/images';
import { DaemonError } from '../errors';
import { onLines } from '../jsonLines';

export interface BuildLine {
  kind: 'step' | 'output' | 'error' | 'status';
  text: string;
  /** For steps: "Step 3/7". */
  step?: { n: number; of: number };
}

export interface BuildResult {
  imageId: string;
  tag: string;
  durationMs: number;
}

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/**
 * Builds `context` (a tar stream) on the daemon and reports every line. The JSON stream is read to
 * the end and an `errorDetail` fails the build (dockerode would call it a success). `signal` aborts
 * the request; the daemon then stops the build and `forcerm` removes its intermediate containers. The
 * build fails (naming the daemon) when the stream is cut or the daemon misses two pings `heartbeatMs` apart.
 */
export async function buildImage(
  client: DaemonClient,
  context: Readable,
  o: {
    tag: string;
    labels: Record<string, string>;
    buildArgs?: Record<string, string>;
    dockerfile?: string;
    noCache?: boolean;
    signal: AbortSignal;
    onLine: (l: BuildLine) => void;
    heartbeatMs?: number;
  },
): Promise<BuildResult> {
  const t0 = performance.now();
  // a daemon that stops answering fails the build: a RUN step may send nothing for minutes, and
  // through a dead network not even the connection's close arrives
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  if (o.signal.aborted) ctl.abort();
  let lost: DaemonError | undefined;
  const stopHeartbeat = client.heartbeat(o.heartbeatMs ?? 2000, (e) => {
    lost = new DaemonError('unreachable', client.host, `daemon ${client.host} stopped answering during the build: ${e.message}`, {
      cause: e,
    });
    ctl.abort();
  });
  let imageId = '';
  let failure: string | undefined;
  try {
    // a Dockerfile the daemon cannot parse is refused at once (HTTP 400), before any stream
    const stream = await buildImageStream(
      client,
      context as NodeJS.ReadableStream,
      { t: o.tag, labels: o.labels, buildargs: o.buildArgs ?? {}, dockerfile: o.dockerfile ?? 'Dockerfile', nocache: o.noCache ?? false },
      ctl.signal,
    ).catch((e: unknown) => {
      throw e instanceof DaemonError && e.kind === 'api'
        ? new BuildError(explainBuildFailure(e.message.replace(/^.*refused build: HTTP \d+ /, '')), { cause: e })
        : e;
    });
    const handle = (line: string) => {
      let m: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.errorDetail || m.error) {
        failure = m.errorDetail?.message ?? m.error ?? 'build failed';
        o.onLine({ kind: 'error', text: failure });
      } else if (m.aux?.ID) imageId = m.aux.ID;
      else if (m.stream !== undefined) {
        for (const text of m.stream.split('\n').filter((t) => t.trim())) {
          const step = /^Step (\d+)\/(\d+) :/.exec(text);
          o.onLine(step ? { kind: 'step', text, step: { n: Number(step[1]), of: Number(step[2]) } } : { kind: 'output', text });
        }
      } else if (m.status) o.onLine({ kind: 'status', text: m.status });
    };
    onLines(stream, handle, {
      onLongLine: (max) => o.onLine({ kind: 'status', text: `(a line of the build stream longer than ${max / 1048576} MiB was skipped)` }),
    });
    await client.streamEnd('build', stream, ctl.signal);
  } catch (e) {
    throw lost ?? e;
  } finally {
    stopHeartbeat();
    o.signal.removeEventListener('abort', onAbort);
    context.destroy(); // the build is over: whatever still packs the context (a worker thread) stops
  }
  if (o.signal.aborted) throw new DaemonError('cancelled', client.host, `build on ${client.host} was cancelled`);
  if (failure) throw new BuildError(explainBuildFailure(failure));
  if (!imageId) {
    // older daemons announce the image only as "Successfully built <id>"
    const inspect = await inspectImage(client, o.tag);
    imageId = inspect.Id;
  }
  return { imageId, tag: o.tag, durationMs: performance.now() - t0 };
}

/** Adds what to do to the daemon's words. */
export function explainBuildFailure(message: string): string {
  if (/returned a non-zero code/i.test(message)) return `${message} — a RUN step failed: its output is just above.`;
  if (/dockerfile parse error|unknown instruction/i.test(message))
    return `${message} — the Dockerfile has a syntax error (check the prepend/append fragments).`;
  if (/pull access denied|repository does not exist|manifest unknown|manifest .* not found|no such host|not found/i.test(message))
    return `${message} — the FROM image is missing: build or pull it on this daemon first, or push it to the configuration's registry.`;
  return message;
}
