import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DaemonError } from './errors';

export interface SshTarget {
  /** The daemon's host URL, for messages. */
  host: string;
  hostname: string;
  port?: number;
  user?: string;
  command?: string;
  configFile?: string;
  connectTimeoutMs: number;
  /** Told of each ssh process started (`running`) and ended: a thread that may be terminated lets its owner end them. */
  onProcess?: (pid: number, running: boolean) => void;
}

/**
 * Arguments for the system OpenSSH client, so ~/.ssh/config, agents and known_hosts behave as in a
 * terminal (dockerode's own ssh2 transport ignores them). BatchMode: never wait for a password prompt.
 */
export function sshArgs(t: SshTarget): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.ceil(t.connectTimeoutMs / 1000))}`];
  if (t.configFile) args.push('-F', t.configFile);
  if (t.port) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  args.push('--', t.hostname, 'docker', 'system', 'dial-stdio');
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
  else if (/docker: (command )?not found|command not found|No such file/i.test(text))
    hint = `no docker CLI on ${t.hostname}: install Docker there (the remote side runs "docker system dial-stdio")`;
  else if (/Could not resolve hostname/i.test(text)) hint = `the name ${t.hostname} does not resolve`;
  else if (/Connection refused/i.test(text)) hint = 'no ssh server answers there';
  else if (/timed out/i.test(text)) hint = 'the ssh server did not answer';
  else if (/Cannot connect to the Docker daemon|permission denied while trying to connect/i.test(text))
    hint = `ssh works but the docker CLI on ${t.hostname} cannot reach its daemon`;
  return new DaemonError('ssh', t.host, `ssh to ${t.host} failed: ${text}${hint ? ` (${hint})` : ''}`);
}

/**
 * A private unix socket whose every connection is piped into its own `ssh … docker system dial-stdio`
 * process. The Docker client then talks to a plain `socketPath`: no custom http.Agent, which VS Code's
 * proxy support would replace in the extension host (it leaves socketPath requests alone).
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
