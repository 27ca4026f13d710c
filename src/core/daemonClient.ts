import { finished } from 'node:stream';
import Docker from 'dockerode';
import { DaemonError, isDaemonError } from './errors';
import { parseDaemonDescription, parseHost, type DaemonDescription, type DaemonDescriptionInput } from './daemonDescription';
import { signalled } from './engine/signalled';
import { explainEngineError } from './explainError';
import {
  InfoAnswer,
  VersionAnswer,
  parseEngineAnswer,
  toInfo,
  engineLabel,
  toVersion,
  type DaemonInfo,
  type DaemonVersion,
  type PingResult,
} from './engineTypes';
import { SshBridge, type SshTarget } from './sshTransport';
import { loadTlsMaterial, type TlsMaterial } from './tlsMaterial';
import { heartbeat } from './heartbeat';
import { endpointMemo } from './endpointMemo';

/** Counts Engine API calls made by this process: lets tests prove nothing talks to Docker too early. */
export const engineCallStats = { calls: 0 };

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the daemon's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/**
 * A connection to one daemon. Every call has a deadline (the daemon's timeoutMs) and honours an
 * AbortSignal: when either fires, the HTTP request is destroyed, not left pending.
 */
export class DaemonClient {
  private dockerPromise: Promise<Docker> | undefined;
  private sshBridge: SshBridge | undefined;
  private tls: TlsMaterial | undefined;

  constructor(
    readonly daemon: DaemonDescription,
    private readonly hooks: Pick<SshTarget, 'onProcess'> = {},
  ) {}

  get host(): string {
    return this.daemon.host;
  }

  /** The dockerode instance (built lazily: reading TLS files is I/O). Use it through `call`. */
  docker(): Promise<Docker> {
    this.dockerPromise ??= this.createDocker();
    this.dockerPromise.catch(() => (this.dockerPromise = undefined)); // a fixed cert folder works on retry
    return this.dockerPromise;
  }

  private async createDocker(): Promise<Docker> {
    const d = this.daemon;
    const h = parseHost(d.host);
    // Every option spelled out: docker-modem fills gaps from DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.
    const base: Docker.DockerOptions = {
      socketPath: undefined,
      host: undefined,
      port: undefined,
      protocol: 'http',
      ca: undefined,
      cert: undefined,
      key: undefined,
      timeout: undefined,
    };
    switch (h.scheme) {
      case 'unix':
      case 'npipe':
        if (d.tls?.enabled)
          throw new DaemonError(
            'config',
            d.host,
            `TLS is enabled for ${d.host}, but a ${h.scheme} socket does not use TLS: turn TLS off for this daemon.`,
          );
        return new Docker({ ...base, socketPath: h.socketPath });
      case 'tcp': {
        if (!d.tls?.enabled) return new Docker({ ...base, host: h.hostname, port: h.port });
        const m = (this.tls = await loadTlsMaterial(d.host, d.tls));
        return new Docker({
          ...base,
          host: h.hostname,
          port: h.port,
          protocol: 'https',
          ca: m.ca,
          cert: m.cert,
          key: m.key,
          ...({ rejectUnauthorized: m.rejectUnauthorized } as object),
          ...(m.rejectUnauthorized ? {} : { checkServerIdentity: () => undefined }),
        });
      }
      case 'ssh':
        if (d.tls?.enabled)
          throw new DaemonError(
            'config',
            d.host,
            `TLS is enabled for ${d.host}, but ssh:// carries its own encryption: turn TLS off for this daemon.`,
          );
        this.sshBridge ??= new SshBridge({
          host: d.host,
          hostname: h.hostname,
          port: h.port,
          user: h.user,
          socketPath: h.socketPath,
          command: d.ssh?.command,
          configFile: d.ssh?.configFile,
          identityFile: d.ssh?.identityFile,
          connectTimeoutMs: d.timeoutMs,
          onProcess: this.hooks.onProcess,
        });
        return new Docker({ ...base, socketPath: await this.sshBridge.socketPath() });
    }
  }

  /**
   * Runs one Engine call with this daemon's deadline and the caller's signal; failures become DaemonErrors.
   * `fn` must pass the signal to dockerode (`abortSignal`) so that aborting destroys the request.
   */
  async call<T>(what: string, fn: (docker: Docker, signal: AbortSignal) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.daemon.timeoutMs;
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const onCallerAbort = () => ctl.abort();
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const stopped = (): DaemonError =>
      timedOut
        ? new DaemonError(
            'timeout',
            this.host,
            `${this.host} did not answer ${what} within ${timeoutMs} ms: is the address right and the daemon up? (timeoutMs sets the deadline)`,
          )
        : new DaemonError('cancelled', this.host, `${what} on ${this.host} was cancelled`);
    // settles even if a transport ignored the signal; the request itself is destroyed through ctl.signal
    const aborted = new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => reject(stopped()), { once: true }));
    aborted.catch(() => undefined);
    try {
      if (opts.signal?.aborted) throw stopped();
      const docker = await Promise.race([this.docker(), aborted]);
      engineCallStats.calls++;
      return await Promise.race([fn(docker, ctl.signal), aborted]);
    } catch (e) {
      if (ctl.signal.aborted) throw stopped();
      throw this.explain(what, e);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /**
   * A request without deadline, ended only by `signal`: for endpoints that send nothing, not even
   * headers, until they have something to say (GET /events answers at the first event), and for
   * answers that come when a container exits (wait). Raced with the signal as `call` is: dockerode
   * ignores an abort once the response has begun, and a vanished daemon's answer never completes.
   */
  async unbounded<T>(what: string, fn: (docker: Docker, signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const cancelled = () => new DaemonError('cancelled', this.host, `${what} on ${this.host} was cancelled`);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', (onAbort = () => reject(cancelled())), { once: true }),
    );
    aborted.catch(() => undefined);
    try {
      if (signal.aborted) throw cancelled();
      const docker = await Promise.race([this.docker(), aborted]);
      engineCallStats.calls++;
      const answer = fn(docker, signal);
      // a stream that arrives after the abort won the race is nobody's: close it
      answer.then(
        (v) => signal.aborted && (v as { destroy?: () => void } | undefined)?.destroy?.(),
        () => undefined,
      );
      return await Promise.race([answer, aborted]);
    } catch (e) {
      if (signal.aborted) throw cancelled();
      throw this.explain(what, e);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /**
   * Resolves when a response body from this daemon has been read to its end. Rejects when `signal`
   * aborts (the stream is destroyed: its request with it), when the stream fails, and when it closes
   * without its end: the daemon died or the connection broke, which Node reports as a bare 'close'.
   */
  streamEnd(what: string, stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
    const s = stream as NodeJS.ReadableStream & { destroy?(e?: Error): void };
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => s.destroy?.();
      const stop = finished(s, { writable: false }, (e) => {
        stop();
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(new DaemonError('cancelled', this.host, `${what} on ${this.host} was cancelled`));
        else if (!e) resolve();
        else if (isDaemonError(e)) reject(e);
        // Node says 'premature close', or 'aborted' (ECONNRESET) for an HTTP body cut short
        else if (['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE'].includes((e as NodeJS.ErrnoException).code ?? ''))
          reject(
            new DaemonError(
              'unreachable',
              this.host,
              `the ${what} stream from ${this.host} was cut before its end (${e.message}): the daemon stopped or the connection broke`,
              { cause: e },
            ),
          );
        else reject(new DaemonError('unreachable', this.host, `the ${what} stream from ${this.host} broke: ${e.message}`, { cause: e }));
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Pings the daemon every `everyMs` while a long request runs and calls `onLost` once after two
   * failures in a row: through a dead network a request may never end, not even with a 'close'.
   * Returns the function that stops it.
   */
  heartbeat(everyMs: number, onLost: (e: DaemonError) => void): () => void {
    return heartbeat<DaemonError>(() => this.ping(), everyMs, onLost);
  }

  /** A failed ssh process explains a hang-up better than the hang-up does. */
  private explain(what: string, e: unknown): DaemonError {
    return this.sshBridge?.takeFailure() ?? (isDaemonError(e) ? e : explainEngineError(this.daemon, what, e, this.tls));
  }

  async ping(opts?: CallOptions): Promise<PingResult> {
    const t0 = performance.now();
    await this.call('ping', (docker, abortSignal) => signalled(docker).ping({ abortSignal }), opts);
    return { ok: true, roundTripMs: performance.now() - t0 };
  }

  /** Test Connection: ping (round trip) and version, and the words users see for them. */
  async check(opts?: CallOptions): Promise<DaemonVersion & { roundTripMs: number; summary: string }> {
    const { roundTripMs } = await this.ping(opts);
    const v = await this.version(opts);
    return { ...v, roundTripMs, summary: `${engineLabel(v)} (API ${v.apiVersion}, ${v.os}/${v.arch}), ${roundTripMs.toFixed(1)} ms` };
  }

  async version(opts?: CallOptions): Promise<DaemonVersion> {
    const raw = await this.call('version', (docker, abortSignal) => signalled(docker).version({ abortSignal }), opts);
    return toVersion(parseEngineAnswer(this.host, '/version', VersionAnswer, raw));
  }

  /**
   * Which engine answers (Docker, or Podman's Docker-compatible API): asked once a minute per endpoint
   * (`endpointMemo`), since an endpoint's engine does not change while it answers; a failed ask is asked again.
   */
  engine(opts: CallOptions = {}): Promise<DaemonVersion> {
    return this.raced(
      'version',
      endpointMemo('version', this.daemon, () => this.version({ timeoutMs: opts.timeoutMs })),
      opts.signal,
    );
  }

  async info(opts?: CallOptions): Promise<DaemonInfo> {
    const raw = await this.call('info', (docker, abortSignal) => signalled(docker).info({ abortSignal }), opts);
    return toInfo(parseEngineAnswer(this.host, '/info', InfoAnswer, raw));
  }

  /**
   * /info as of at most a minute ago, shared by the endpoint's clients: what a run's probe reads (CPUs,
   * memory, runtimes) changes only when the daemon is reconfigured. Live figures (the Daemons view) use `info`.
   */
  stableInfo(opts: CallOptions = {}): Promise<DaemonInfo> {
    return this.raced(
      'info',
      endpointMemo('info', this.daemon, () => this.info({ timeoutMs: opts.timeoutMs })),
      opts.signal,
    );
  }

  /** A shared answer, abandoned (not cancelled) when this caller's signal aborts. */
  private raced<T>(what: string, answer: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return answer;
    const cancelled = () => new DaemonError('cancelled', this.host, `${what} on ${this.host} was cancelled`);
    if (signal.aborted) return Promise.reject(cancelled());
    let onAbort: () => void;
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', (onAbort = () => reject(cancelled())), { once: true }),
    );
    return Promise.race([answer, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Ends kept-alive ssh processes. The client stays usable: the next call reconnects. */
  dispose(): void {
    this.sshBridge?.dispose();
    this.dockerPromise = undefined;
  }
}

/** Validates a description (settings, webview: untrusted) and returns its client. */
export function createDaemonClient(input: DaemonDescriptionInput | DaemonDescription): DaemonClient {
  return new DaemonClient(parseDaemonDescription(input));
}
