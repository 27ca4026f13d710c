import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
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

/** One `ssh … docker system dial-stdio` process seen as a socket. */
class DialStdioStream extends Duplex {
  private stderr = '';
  private gotData = false;
  private stdoutEnded = false;
  private exitCode: number | null | undefined;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly target: SshTarget,
  ) {
    super();
    child.stdout.on('data', (d: Buffer) => {
      this.gotData = true;
      if (!this.push(d)) child.stdout.pause();
    });
    // end the stream only once ssh has exited, so a failed login is reported as such, not as a hang-up
    child.stdout.on('end', () => {
      this.stdoutEnded = true;
      this.settle();
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.stdin.on('error', () => undefined); // EPIPE when ssh dies: reported through 'exit'
    child.on('error', (e: NodeJS.ErrnoException) => {
      const msg = e.code === 'ENOENT' ? `the OpenSSH client "${target.command ?? 'ssh'}" is not installed or not on PATH` : e.message;
      this.destroy(new DaemonError('ssh', target.host, `ssh to ${target.host} failed: ${msg}`, { cause: e }));
    });
    child.on('close', (code) => {
      this.exitCode = code;
      this.settle();
    });
  }
  private settle(): void {
    if (!this.stdoutEnded || this.exitCode === undefined || this.destroyed) return;
    if (this.exitCode !== 0 && !this.gotData) this.destroy(explainSshFailure(this.target, this.stderr, this.exitCode));
    else this.push(null);
  }
  override _read(): void {
    this.child.stdout.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // a write to a dead ssh is not the error to report: 'close' explains why ssh died
    this.child.stdin.write(chunk, () => cb());
  }
  override _final(cb: () => void): void {
    this.child.stdin.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    cb(err);
  }
  // the parts of net.Socket that http.Agent calls
  setTimeout(): this { return this; }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
}

/** An http.Agent whose connections are ssh processes running `docker system dial-stdio`. */
export class SshDialAgent extends http.Agent {
  constructor(private readonly target: SshTarget) {
    // keepAlive: one ssh process serves many requests; dispose() ends them
    super({ keepAlive: true, maxSockets: 4, maxFreeSockets: 1 });
  }
  override createConnection(): Socket {
    const child = spawn(this.target.command ?? 'ssh', sshArgs(this.target), { stdio: 'pipe', windowsHide: true });
    return new DialStdioStream(child, this.target) as unknown as Socket;
  }
}
