/** Why a daemon call failed, in words a user can act on. Every core failure is a DaemonError. */
export type DaemonErrorKind =
  | 'config' // the daemon description itself is wrong (host, TLS files)
  | 'refused' // nothing listens there
  | 'unreachable' // no socket, unknown host, network down
  | 'timeout' // no answer before the deadline
  | 'cancelled' // the caller aborted
  | 'tls' // TLS mismatch, untrusted server, client certificate refused
  | 'permission' // the socket exists but we may not use it
  | 'ssh' // the ssh transport failed (client missing, host key, auth, no docker remotely)
  | 'protocol' // the daemon answered something that is not the Engine API we expect
  | 'api'; // the Engine API answered with an error status

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  constructor(
    readonly kind: DaemonErrorKind,
    /** The daemon's host URL (or the setting's field) the error is about. */
    readonly target: string,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
  /** The HTTP status the Engine API answered with, when it answered. */
  readonly status: number | undefined;
}

/** The Engine API answered 404 (no such container, image or path). */
export const isNotFound = (e: unknown): boolean => e instanceof DaemonError && e.status === 404;

export function isDaemonError(e: unknown): e is DaemonError {
  return e instanceof DaemonError;
}

/** The user (or the caller) cancelled: not a failure to report. `Canceled` is VS Code's CancellationError. */
export const isCancellation = (e: unknown): boolean =>
  (e instanceof DaemonError && e.kind === 'cancelled') || (e instanceof Error && (e.name === 'AbortError' || e.name === 'Canceled'));
