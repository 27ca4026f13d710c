import { DaemonError } from './errors';
import { parseHost, type DaemonDescription } from './daemonDescription';
import type { TlsMaterial } from './tlsMaterial';

interface NodeishError {
  code?: string;
  statusCode?: number;
  message?: string;
  reason?: string;
  json?: { message?: string } | null;
}

const UNTRUSTED_SERVER = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** What the explanations of one failure read. */
interface Failure {
  err: unknown;
  e: NodeishError;
  host: string;
  code: string;
  msg: string;
  tls: boolean;
  socket: boolean;
  socketPath: string;
  make: (kind: DaemonError['kind'], text: string) => DaemonError;
}

/** Maps a transport or Engine API failure to a DaemonError that says what to do. */
export function explainEngineError(daemon: DaemonDescription, what: string, err: unknown, tlsUsed?: TlsMaterial): DaemonError {
  const e = (err ?? {}) as NodeishError;
  const host = daemon.host;
  const socket = /^(unix|npipe):\/\//i.test(host) ? parseHost(host) : undefined;
  const f: Failure = {
    err,
    e,
    host,
    code: e.code ?? '',
    msg: String(e.message ?? err),
    tls: daemon.tls?.enabled === true,
    socket: socket !== undefined,
    socketPath: socket && 'socketPath' in socket ? (socket.socketPath ?? host) : host,
    make: (kind, text) => new DaemonError(kind, host, text, { cause: err }),
  };
  return (
    connectionError(f) ??
    tlsError(f, daemon, tlsUsed) ??
    resetError(f, what) ??
    apiError(f, what) ??
    f.make('unreachable', `${what} on ${host} failed: ${firstLine(f.msg)}${f.code ? ` (${f.code})` : ''}`)
  );
}

/** The connection could not be made: nothing listens, no socket, no permission, no route, no name. */
function connectionError({ code, host, socket, socketPath, make }: Failure): DaemonError | undefined {
  if (code === 'ECONNREFUSED')
    return socket
      ? make('refused', `Nothing listens on ${socketPath} (connection refused): is the Docker daemon running?`)
      : make('refused', `Nothing listens at ${host} (connection refused): is the daemon running and the port right?`);
  if (code === 'ENOENT' && socket) return make('unreachable', `No Docker socket at ${socketPath}: is Docker installed and running?`);
  if (code === 'EACCES' || code === 'EPERM')
    return make(
      'permission',
      `Permission denied on ${socketPath}: add your user to the "docker" group (then log in again), or use a daemon you may reach.`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return make('unreachable', `The host name of ${host} does not resolve: check the spelling or your DNS.`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return make('unreachable', `${host} is unreachable from this machine (${code}): check the network or VPN.`);
  if (code === 'ETIMEDOUT') return make('timeout', `Connecting to ${host} timed out: is the address right and a firewall open?`);
  return undefined;
}

/** TLS failed: the server's certificate, ours, or no TLS on one side. */
function tlsError({ code, host, msg, tls, make }: Failure, daemon: DaemonDescription, tlsUsed?: TlsMaterial): DaemonError | undefined {
  if (UNTRUSTED_SERVER.has(code))
    return make(
      'tls',
      `The certificate of ${host} is not signed by the CA in ${caName(daemon)} (${code}): use the CA that signed the daemon's certificate, or turn off verify.`,
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return make(
      'tls',
      `The certificate of ${host} is not valid for it (${code}): ${firstLine(msg)}. Connect by a name the certificate lists, or renew it.`,
    );
  const alert = /certificate required|CERTIFICATE_REQUIRED|bad certificate|unknown ca|alert number (4[2-8]|116)/i.test(`${code} ${msg}`);
  if (tls && !tlsUsed?.cert && (alert || code === 'ECONNRESET'))
    return make(
      'tls',
      `${host} requires a client certificate, and none was found (looked for ${tlsUsed?.files.cert ?? 'cert.pem'}): set a certificate folder holding cert.pem and key.pem signed by the daemon's CA.`,
    );
  if (alert)
    return make(
      'tls',
      `${host} refused our client certificate ${tlsUsed?.files.cert ?? ''} (${alertName(msg)}): use a cert.pem/key.pem signed by the CA the daemon trusts.`,
    );
  if (/wrong version number|WRONG_VERSION_NUMBER|packet length too long|http request/i.test(`${code} ${msg}`) && tls)
    return make('tls', `${host} does not speak TLS: turn TLS off for this daemon (or use its TLS port).`);
  return undefined;
}

/** The daemon closed the connection midway. */
function resetError({ code, host, tls, make }: Failure, what: string): DaemonError | undefined {
  if (code !== 'ECONNRESET' && code !== 'EPIPE') return undefined;
  return make(
    'unreachable',
    `${host} closed the connection during ${what} (${code})${tls ? ': check that the daemon expects TLS and accepts this client certificate' : ''}.`,
  );
}

/** The Engine API answered with an HTTP error. */
function apiError({ e, err, host, msg, make }: Failure, what: string): DaemonError | undefined {
  if (typeof e.statusCode !== 'number') return undefined;
  const detail = e.json?.message ?? firstLine(msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/i, ''));
  if (e.statusCode === 400 && /HTTP request to an HTTPS server/i.test(msg))
    return make('tls', `${host} requires TLS: enable TLS for this daemon with its certificate folder (ca.pem, cert.pem, key.pem).`);
  return new DaemonError('api', host, `${host} refused ${what}: HTTP ${e.statusCode} ${detail}`, { cause: err, status: e.statusCode });
}

function alertName(msg: string): string {
  return /alert ([a-z ]+?)(?::|$)/i.exec(msg)?.[1]?.trim() ?? firstLine(msg);
}

function caName(d: DaemonDescription): string {
  return d.tls?.ca ?? `${d.tls?.certPath ?? '~/.docker'}/ca.pem`;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
