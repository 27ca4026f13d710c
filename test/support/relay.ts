// A TCP relay in front of a real daemon, for fault tests: it forwards every byte both ways, except that a
// rule may silence the response to a request (the connection stays open, the client hears nothing more)
// or cut the connection. The daemon behind it is real; only the wire misbehaves.
import * as net from 'node:net';

/**
 * What the relay does with the response to one request (`method`, `path` from its request line):
 * undefined forwards it, a number forwards that many bytes of it then nothing (silent, open), 'cut' closes.
 */
export type RelayRule = (method: string, path: string) => number | 'cut' | undefined;

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/g;

export class Relay {
  /** When a response first went silent (its allowance of bytes passed), as Date.now(). */
  silencedAt: number | undefined;
  /** The most connections open through the relay at once (Node opens one per request in flight). */
  maxOpen = 0;
  private open = 0;
  private frozen = false;
  private readonly sockets = new Set<net.Socket>();
  private silenced: (() => void) | undefined;
  /** Resolves when a response first goes silent. */
  readonly firstSilence = new Promise<void>((resolve) => (this.silenced = resolve));

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
  ) {}

  /** A relay on 127.0.0.1 in front of `upstream` (`tcp://host:port` or `unix:///path`), applying `rule`. */
  static async start(upstream: string, rule: RelayRule): Promise<Relay> {
    const connectUp = (): net.Socket => {
      if (upstream.startsWith('unix://')) return net.connect(upstream.slice('unix://'.length));
      const u = new URL(upstream.replace(/^tcp:/, 'http:'));
      return net.connect(Number(u.port), u.hostname);
    };
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new Relay(server, `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    server.on('connection', (client) => relay.pipe(client, connectUp(), rule));
    return relay;
  }

  private pipe(client: net.Socket, up: net.Socket, rule: RelayRule): void {
    this.maxOpen = Math.max(this.maxOpen, ++this.open);
    client.on('close', () => this.open--);
    for (const s of [client, up]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    // the rule of the latest request on this connection (Node sends the next request only after the previous response)
    let allowance: number | undefined;
    client.on('data', (chunk: Buffer) => {
      if (this.frozen) return;
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        const r = rule(m[1]!, m[2]!);
        if (r === 'cut') {
          client.destroy();
          return;
        }
        allowance = r;
      }
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => {
      if (this.frozen) return;
      if (allowance === undefined) {
        client.write(chunk);
        return;
      }
      if (allowance > 0) client.write(chunk.subarray(0, allowance));
      allowance = Math.max(0, allowance - chunk.length);
      if (allowance === 0 && this.silencedAt === undefined) {
        this.silencedAt = Date.now();
        this.silenced?.();
      }
    });
  }

  /** From now on every byte either way is dropped, connections stay open and new ones are accepted: a frozen daemon (SIGSTOP) as its clients see it. */
  freeze(): void {
    this.frozen = true;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
