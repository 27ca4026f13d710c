// The benches' raw floor: Engine API calls straight over the socket (node:http, one keep-alive agent),
// no dockerode, no deadline, no parsing beyond JSON. What the daemon itself allows for the same work.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

export interface RawAnswer {
  status: number;
  body: Buffer;
}

/** One Engine client for a daemon (unix://, plain tcp://, or tcp:// with TLS from a certificate folder). */
export class RawEngine {
  private readonly agent: http.Agent;
  private readonly target: { socketPath: string } | { host: string; port: number };
  private readonly transport: typeof http | typeof https = http;

  constructor(host: string, tls?: { certPath: string }) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    this.target = host.startsWith('unix:') ? { socketPath: u.pathname } : { host: u.hostname, port: Number(u.port) };
    if (!tls) {
      this.agent = new http.Agent({ keepAlive: true });
      return;
    }
    const pem = (name: string) => fs.readFileSync(path.join(tls.certPath, name));
    this.agent = new https.Agent({ keepAlive: true, ca: pem('ca.pem'), cert: pem('cert.pem'), key: pem('key.pem') });
    this.transport = https;
  }

  /** One request; the answer read to its end. A status ≥ 400 throws (the floor must have done the work). */
  request(method: string, path: string, body?: Buffer | string, headers: http.OutgoingHttpHeaders = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      const req = this.transport.request(
        {
          ...this.target,
          agent: this.agent,
          method,
          path,
          headers: { ...(payload ? { 'Content-Length': payload.length } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks) };
            if (answer.status >= 400) reject(new Error(`raw ${method} ${path}: HTTP ${answer.status} ${answer.body.toString('utf8')}`));
            else resolve(answer);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const r = await this.request(method, path, payload, payload ? { 'Content-Type': 'application/json' } : {});
    return (r.body.length ? JSON.parse(r.body.toString('utf8')) : undefined) as T;
  }

  dispose(): void {
    this.agent.destroy();
  }
}

/** A folder as a tar in memory, owned by root as `docker cp` sends it: made before the clock starts. */
export function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-c', '-C', dir, '--owner=0', '--group=0', '.'], { maxBuffer: 2 ** 31 - 1 });
}
