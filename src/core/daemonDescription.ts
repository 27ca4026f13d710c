import * as z from 'zod';
import { DaemonError } from './errors';

/**
 * How to reach one Docker Engine. TLS is on exactly when `tls.enabled` is true: never guessed from the
 * port (docker-modem switches to https on 2376 by itself; we don't).
 */
export const TlsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Verify the daemon's certificate against the CA (docker's --tlsverify). */
    verify: z.boolean().default(true),
    /** Folder with ca.pem, cert.pem, key.pem (DOCKER_CERT_PATH semantics); default ~/.docker. */
    certPath: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .strict();

export const SshOptionsSchema = z
  .object({
    /** The OpenSSH client to run; default `ssh` from PATH. */
    command: z.string().min(1).optional(),
    /** An ssh_config file passed as `-F`; default: the user's usual ~/.ssh/config. */
    configFile: z.string().min(1).optional(),
    /** A private key passed as `-i` (a Podman connection's identity); ssh still tries the agent and ~/.ssh/config's. */
    identityFile: z.string().min(1).optional(),
  })
  .strict();

export const DaemonDescriptionSchema = z
  .object({
    id: z.string().min(1),
    label: z.string().optional(),
    host: z.string().min(1),
    tls: TlsSchema.optional(),
    ssh: SshOptionsSchema.optional(),
    /** Deadline of each call, in ms. */
    timeoutMs: z.number().int().positive().max(600_000).default(5000),
  })
  .strict();

export type DaemonDescriptionInput = z.input<typeof DaemonDescriptionSchema>;
export type DaemonDescription = z.output<typeof DaemonDescriptionSchema>;
export type TlsOptions = z.output<typeof TlsSchema>;

export type ParsedHost =
  | { scheme: 'unix'; socketPath: string }
  | { scheme: 'npipe'; socketPath: string }
  | { scheme: 'tcp'; hostname: string; port: number }
  /** `socketPath`: a socket on the remote (Podman's `ssh://…/run/podman/podman.sock` form), reached through its `podman`. */
  | { scheme: 'ssh'; hostname: string; port?: number; user?: string; socketPath?: string };

const SSH_USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const SSH_HOSTNAME = /^[A-Za-z0-9._:][A-Za-z0-9._:-]*$/;
/** A remote socket path: it reaches the remote shell as an argument, so plain path characters only. */
const SSH_SOCKET_PATH = /^\/[A-Za-z0-9._+@/-]*$/;
const HOST_FORMS =
  'unix:///path/to/docker.sock, npipe:////./pipe/docker_engine, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT][/REMOTE/PODMAN.SOCK]';

/** Parses a DOCKER_HOST-style URL; the error names the host and the accepted forms. */
export function parseHost(host: string): ParsedHost {
  const bad = (why: string) => new DaemonError('config', host, `Invalid daemon host "${host}": ${why}. Use ${HOST_FORMS}.`);
  const m = /^([a-z]+):\/\/(.*)$/i.exec(host.trim());
  if (!m) throw bad('no scheme');
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (scheme === 'unix' || scheme === 'npipe') {
    if (!rest) throw bad('no socket path');
    return { scheme, socketPath: rest };
  }
  if (scheme !== 'tcp' && scheme !== 'ssh') throw bad(`unknown scheme "${scheme}://"`);
  let url: URL;
  try {
    // a non-special scheme keeps every port as written (http:// would drop :80) and rejects bad ports
    url = new URL(`docker-${scheme}://${rest}`);
  } catch {
    throw bad('malformed address or port');
  }
  if (!url.hostname) throw bad('no host name');
  const hasPath = url.pathname !== '/' && url.pathname !== '';
  if (hasPath && scheme === 'tcp') throw bad(`unexpected path "${url.pathname}"`);
  if (url.search || url.hash) throw bad('unexpected query or fragment');
  const port = url.port ? Number(url.port) : undefined;
  if (port === 0) throw bad('port 0 is not a port');
  if (scheme === 'tcp') {
    if (port === undefined) throw bad('tcp:// needs a port (2375 plain, 2376 TLS by convention)');
    return { scheme, hostname: bare(url.hostname), port };
  }
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  // ssh receives these as arguments; ssh_config tokens (%r, %h) may reach a shell: plain names only
  if (user !== undefined && !SSH_USER.test(user)) throw bad(`ssh user "${user}" may only use letters, digits and . _ -`);
  if (!SSH_HOSTNAME.test(bare(url.hostname)))
    throw bad(`ssh host name "${bare(url.hostname)}" may only use letters, digits and . _ - : (not starting with -)`);
  if (!hasPath) return { scheme, hostname: bare(url.hostname), port, user };
  const socketPath = url.pathname; // dot segments already resolved; %-escapes refused below
  if (!SSH_SOCKET_PATH.test(socketPath)) throw bad(`remote socket path "${socketPath}" may only use letters, digits and . _ + @ - /`);
  return { scheme, hostname: bare(url.hostname), port, user, socketPath };
}

/** Validates unknown input (settings, webview) into a description; the error lists every bad field. */
export function parseDaemonDescription(input: unknown): DaemonDescription {
  const r = DaemonDescriptionSchema.safeParse(input);
  if (!r.success) {
    const id = typeof input === 'object' && input && 'id' in input ? String((input as { id: unknown }).id) : '(no id)';
    const fields = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DaemonError('config', id, `Invalid daemon "${id}": ${fields}`);
  }
  parseHost(r.data.host);
  return r.data;
}

/** `[::1]` -> `::1`: URL keeps IPv6 brackets, sockets want the bare address. */
function bare(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, '$1');
}
