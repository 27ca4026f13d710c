import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DaemonError } from './errors';
import { shellQuote } from './safety';

export interface SshTarget {
  /** The daemon's host URL, for messages. */
  host: string;
  hostname: string;
  port?: number;
  user?: string;
  /** A socket on the remote (Podman's `ssh://…/podman.sock`): bridged by the remote's `podman system dial-stdio`. */
  socketPath?: string;
  command?: string;
  configFile?: string;
  identityFile?: string;
  connectTimeoutMs: number;
  /** Told of each ssh process started (`running`) and ended: a thread that may be terminated lets its owner end them. */
  onProcess?: (pid: number, running: boolean) => void;
}

/**
 * The remote command that joins ssh's stdio to the daemon: Docker's `docker system dial-stdio` (its CLI's
 * daemon), or for a socket path (Podman's ssh form) `podman system dial-stdio` pointed at that socket. A
 * bridge per connection, as Docker's: no forwarded socket to set up, wait for and clean up on either side.
 */
export function remoteDialCommand(t: Pick<SshTarget, 'socketPath'>): string[] {
  return t.socketPath
    ? ['podman', '--url', shellQuote(`unix://${t.socketPath}`), 'system', 'dial-stdio']
    : ['docker', 'system', 'dial-stdio'];
}

/**
 * Arguments for the system OpenSSH client, so ~/.ssh/config, agents and known_hosts behave as in a
 * terminal (dockerode's own ssh2 transport ignores them). BatchMode: never wait for a password prompt.
 */
export function sshArgs(t: SshTarget): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.ceil(t.connectTimeoutMs / 1000))}`];
  if (t.configFile) args.push('-F', t.configFile);
  if (t.identityFile) args.push('-i', t.identityFile);
  if (t.port) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  args.push('--', t.hostname, ...remoteDialCommand(t));
  return args;
}

/** Turns what ssh printed on stderr into an actionable message. */
export function explainSshFailure(t: SshTarget, stderr: string, exitCode: number | null): DaemonError {
  const text = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ') || `ssh exited with code ${exitCode}`;
  let hint = '';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(text))
    hint = `the host key of ${t.hostname} is unknown or changed: connect once with "ssh ${t.hostname}" in a terminal to check and accept it`;
  else if (/Permission denied|Too many authentication failures/i.test(text))
    hint = 'authentication failed: load your key into ssh-agent or set IdentityFile in ~/.ssh/config';
  else if (/Could not resolve hostname/i.test(text)) hint = `the name ${t.hostname} does not resolve`;
  else if (/Connection refused/i.test(text)) hint = 'no ssh server answers there';
  else if (/timed out/i.test(text)) hint = 'the ssh server did not answer';
  else if (t.socketPath && /unable to connect to Podman socket/i.test(text))
    hint = `podman on ${t.hostname} cannot reach ${t.socketPath}: is the service running there (systemctl enable --now podman.socket, or --user for a rootless one) and the path right?`;
  else if (t.socketPath && /podman: (command )?not found|command not found|unknown (shorthand )?flag|unrecognized command/i.test(text))
    hint = `no podman CLI with "system dial-stdio" on ${t.hostname}: install Podman there (the remote side runs "${remoteDialCommand(t).join(' ')}")`;
  else if (/docker: (command )?not found|command not found|No such file/i.test(text))
    hint = `no docker CLI on ${t.hostname}: install Docker there (the remote side runs "docker system dial-stdio")`;
  else if (/Cannot connect to the Docker daemon|permission denied while trying to connect/i.test(text))
    hint = `ssh works but the docker CLI on ${t.hostname} cannot reach its daemon`;
  return new DaemonError('ssh', t.host, `ssh to ${t.host} failed: ${text}${hint ? ` (${hint})` : ''}`);
}

/**
 * A private unix socket whose every connection is piped into its own `ssh … docker system dial-stdio` (or
 * `podman … system dial-stdio`) process. The Docker client then talks to a plain `socketPath`: no custom
 * http.Agent, which VS Code's proxy support would replace in the extension host (it leaves socketPath requests alone).
 */
export class SshBridge {
  private server: net.Server | undefined;
  private dir: string | undefined;
  private listening: Promise<string> | undefined;
  private readonly children = new Set<ChildProcess>();
  /** Why the last ssh process failed before it carried any data; the client reports it instead of a hang-up. */
  private failure: DaemonError | undefined;

  constructor(private readonly target: SshTarget) {}

  socketPath(): Promise<string> {
    this.listening ??= (async () => {
      this.dir = await mkdtemp(path.join(os.tmpdir(), 'container-exec-ssh-')); // 0700: ours alone
      const sock = path.join(this.dir, 'docker.sock');
      // half-open: a client that ends its side (an exec's stdin) still reads what the daemon sends back
      this.server = net.createServer({ allowHalfOpen: true }, (conn) => this.bridge(conn));
      await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(sock, resolve));
      return sock;
    })();
    return this.listening;
  }

  takeFailure(): DaemonError | undefined {
    const f = this.failure;
    this.failure = undefined;
    return f;
  }

  private bridge(conn: net.Socket): void {
    const child = spawn(this.target.command ?? 'ssh', sshArgs(this.target), { stdio: 'pipe', windowsHide: true });
    this.children.add(child);
    const pid = child.pid;
    if (pid) this.target.onProcess?.(pid, true);
    let stderr = '';
    let gotData = false;
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.on('data', () => (gotData = true));
    child.stdout.pipe(conn, { end: false }); // ended on 'close', once we know why ssh stopped
    conn.pipe(child.stdin);
    child.stdin.on('error', () => undefined); // EPIPE when ssh dies: 'close' says why
    conn.on('error', () => child.kill());
    conn.on('close', () => child.exitCode === null && child.kill());
    child.on('error', (e: NodeJS.ErrnoException) => {
      const msg = e.code === 'ENOENT' ? `the OpenSSH client "${this.target.command ?? 'ssh'}" is not installed or not on PATH` : e.message;
      this.failure = new DaemonError('ssh', this.target.host, `ssh to ${this.target.host} failed: ${msg}`, { cause: e });
      conn.destroy();
    });
    child.on('close', (code) => {
      this.children.delete(child);
      if (pid) this.target.onProcess?.(pid, false);
      if (code !== 0 && code !== null && !gotData) this.failure = explainSshFailure(this.target, stderr, code);
      conn.end();
    });
  }

  /** Ends every ssh process and the socket. The bridge can start again afterwards. */
  dispose(): void {
    for (const c of this.children) c.kill();
    this.children.clear();
    this.server?.close();
    this.server = undefined;
    this.listening = undefined;
    if (this.dir) void rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
