// Issue 23, lesser finding: the outputs fetch's idle watchdog runs from the request, not from the first byte.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  LABELS,
  createDaemonClient,
  listContainers,
  newRunId,
  removeContainer,
  runRecipe,
  validateConfiguration,
  type RunOutcome,
} from '../../src/core';
import { need } from '../support/testbed';

/**
 * A TCP path to the local daemon that passes everything, except the answer to an archive GET: its
 * headers go through, then nothing more (the connection stays open), as a stalled daemon or proxy would.
 */
async function stallingRelay(socketPath: string) {
  const open = new Set<net.Socket>();
  let stalledAt: number | undefined;
  const server = net.createServer((down) => {
    const up = net.connect(socketPath);
    for (const s of [down, up]) {
      open.add(s);
      s.on('error', () => (down.destroy(), up.destroy()));
      s.on('close', () => (open.delete(s), down.destroy(), up.destroy()));
    }
    let archive = false;
    let head = '';
    down.on('data', (b: Buffer) => {
      if (/^GET \S*\/containers\/[^/\s]+\/archive\?/m.test(b.toString('latin1'))) archive = true;
      up.write(b);
    });
    up.on('data', (b: Buffer) => {
      if (!archive) return void down.write(b);
      if (stalledAt !== undefined) return; // silent from here on
      head += b.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      down.write(Buffer.from(head.slice(0, end + 4), 'latin1'));
      stalledAt = Date.now();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    stalledAt: () => stalledAt,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), open.forEach((s) => s.destroy()))),
  };
}

describe('issue 23 lesser finding: an outputs fetch whose daemon stalls right after the headers ends the run (relay before the local daemon)', function () {
  // the watchdog's idle time is at least 30 s (runOutputs.fetchOutputs)
  const idleMs = 30000;
  this.timeout(4 * idleMs + 30000);

  it('the run ends within 3× the idle time of the stall: the outputs stay in the kept container, with the reason', async () => {
    const local = need('DOCKER_LOCAL_HOST');
    assert.match(local, /^unix:\/\//, 'the relay reaches the local daemon by its socket');
    const relay = await stallingRelay(local.replace(/^unix:\/\//, ''));
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-stall-'));
    fs.writeFileSync(path.join(ws, 'job.sh'), 'mkdir -p out; echo result > out/result.txt\n');
    const c = validateConfiguration({ name: 'stall', daemon: 'relayed', baseImage: need('BUSYBOX_IMAGE') });
    assert.ok(c.ok, JSON.stringify(!c.ok && c.errors));
    const id = newRunId();
    const backend = new DockerDaemonBackend(createDaemonClient({ id: 'relayed', host: relay.host, timeoutMs: 5000 }), true);
    try {
      const run: Promise<RunOutcome> = runRecipe(
        backend,
        {
          id,
          recipe: 'job.sh',
          config: c.config,
          image: need('BUSYBOX_IMAGE'),
          pull: false,
          workspaceDir: ws,
          outputsDir: path.join(ws, 'run'),
          groups: [],
          interpreters: DEFAULT_INTERPRETERS,
          graceSeconds: 1,
          extensionVersion: '9.9.9-test',
        },
        { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
      );
      const hung = new Promise<never>((_, reject) => {
        const t = setInterval(() => {
          const at = relay.stalledAt();
          if (at === undefined || Date.now() - at < 3 * idleMs) return;
          clearInterval(t);
          reject(new Error(`the run did not end within ${3 * idleMs} ms of the archive stalling after its headers`));
        }, 500);
        void run.finally(() => clearInterval(t)).catch(() => undefined);
      });
      const outcome = await Promise.race([run, hung]);
      assert.ok(relay.stalledAt() !== undefined, 'the relay never stalled an archive GET');
      assert.equal(outcome.state, 'succeeded', outcome.message);
      assert.match(outcome.outputsKept?.reason ?? '', /^fetching them failed: no data from .* for 30000 ms/);
    } finally {
      backend.dispose();
      await relay.close();
      const client = createDaemonClient({ id: 'local', host: local });
      for (const x of await listContainers(client))
        if (x.labels[LABELS.run] === id) await removeContainer(client, x.id).catch(() => undefined);
      client.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
