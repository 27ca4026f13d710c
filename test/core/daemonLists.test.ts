import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DaemonHub,
  contextDigest,
  createDaemonClient,
  discoverDaemons,
  listContainers,
  listImages,
  listVolumes,
  followEvents,
  parseDaemonDescription,
  type DaemonDescriptionInput,
  type EngineEvent,
  type HubChange,
} from '../../src/core';
import { need, startCrashDaemon, stopCrashDaemon } from '../support/testbed';
import { until } from '../support/until';

const docker = (args: string[], extraEnv: Record<string, string> = {}) =>
  execFileSync('docker', args, {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_CONFIG: fs.mkdtempSync(path.join(os.tmpdir(), 'ce-cfg-')), ...extraEnv },
  }).trim();

describe('daemon lists, contexts, events and the hub', function () {
  this.timeout(60000);
  const certs = () => need('DOCKER_TLS_CERT_PATH');
  /** [name, description, docker CLI args reaching the same engine] */
  const endpoints = (): [string, DaemonDescriptionInput, string[]][] => [
    ['unix socket', { id: 'local', host: need('DOCKER_LOCAL_HOST') }, ['-H', need('DOCKER_LOCAL_HOST')]],
    ['plain TCP', { id: 'tcp', host: need('DOCKER_TCP_HOST') }, ['-H', need('DOCKER_TCP_HOST')]],
    [
      'TLS by folder',
      { id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: certs() } },
      ['-H', need('DOCKER_TLS_SOCK')],
    ],
    [
      'TLS by files',
      {
        id: 'tls2',
        host: need('DOCKER_TLS_HOST'),
        tls: { enabled: true, ca: need('DOCKER_TLS_CA'), cert: need('DOCKER_TLS_CERT'), key: need('DOCKER_TLS_KEY') },
      },
      ['-H', need('DOCKER_TLS_SOCK')],
    ],
    ['ssh', { id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') } }, ['-H', need('DOCKER_TCP_HOST')]],
  ];

  for (const i of [0, 1, 2, 3, 4])
    it(`lists containers, images and volumes on endpoint #${i + 1} (socket, TCP, TLS folder, TLS files, ssh)`, async () => {
      const [name, d, cli] = endpoints()[i]!;
      const tag = `ce-list-${i}-${process.pid}`;
      const id = docker([
        ...cli,
        'create',
        '--name',
        tag,
        '--label',
        'container-exec.configuration=small',
        '--label',
        'container-exec.recipe=hello.py',
        need('BUSYBOX_IMAGE'),
        'true',
      ]);
      docker([...cli, 'volume', 'create', tag]);
      const client = createDaemonClient(d);
      try {
        const containers = await listContainers(client);
        const mine = containers.find((c) => c.id === id);
        assert.ok(mine, `${name}: container ${tag} not listed`);
        assert.equal(mine.name, tag);
        assert.equal(mine.state, 'created');
        assert.equal(mine.configuration, 'small');
        assert.equal(mine.recipe, 'hello.py');
        const images = await listImages(client);
        assert.ok(
          images.some((im) => im.tags.includes(need('BUSYBOX_IMAGE'))),
          `${name}: images ${images.flatMap((im) => im.tags)}`,
        );
        assert.ok((await listVolumes(client)).some((v) => v.name === tag));
      } finally {
        client.dispose();
        docker([...cli, 'rm', '-f', id]);
        docker([...cli, 'volume', 'rm', tag]);
      }
    });

  it('discovers contexts made by `docker context create` (plain TCP, and TLS with ca=,cert=,key=) and they work', async () => {
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-contexts-'));
    const env = { DOCKER_CONFIG: cfg };
    execFileSync(
      'docker',
      ['context', 'create', 'plain-tcp', '--description', 'the plain daemon', '--docker', `host=${need('DOCKER_TCP_HOST')}`],
      { env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    execFileSync(
      'docker',
      [
        'context',
        'create',
        'secure',
        '--docker',
        `host=${need('DOCKER_TLS_HOST')},ca=${need('DOCKER_TLS_CA')},cert=${need('DOCKER_TLS_CERT')},key=${need('DOCKER_TLS_KEY')}`,
      ],
      { env: { ...process.env, ...env }, stdio: 'ignore' },
    );
    fs.writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'secure' }));
    const { daemons, problems } = await discoverDaemons({ DOCKER_CONFIG: cfg }, os.homedir());
    assert.deepEqual(problems, []);
    assert.deepEqual(
      daemons.map((x) => [x.context, x.source, x.current]),
      [
        ['default', 'environment', false],
        ['plain-tcp', 'context', false],
        ['secure', 'context', true],
      ],
    );
    const plain = daemons[1]!;
    assert.equal(plain.description, 'the plain daemon');
    assert.equal(plain.daemon.tls, undefined);
    const secure = daemons[2]!;
    const tlsDir = path.join(cfg, 'contexts/tls', contextDigest('secure'), 'docker');
    assert.deepEqual(secure.daemon.tls, {
      enabled: true,
      verify: true,
      ca: `${tlsDir}/ca.pem`,
      cert: `${tlsDir}/cert.pem`,
      key: `${tlsDir}/key.pem`,
    });
    for (const x of [plain, secure]) {
      const client = createDaemonClient(x.daemon);
      assert.match((await client.version()).version, /^\d+\./);
      client.dispose();
    }
    // DOCKER_CONTEXT wins over config.json; DOCKER_HOST wins over both
    assert.equal(
      (await discoverDaemons({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'plain-tcp' })).daemons.find((x) => x.current)?.context,
      'plain-tcp',
    );
    assert.equal(
      (await discoverDaemons({ DOCKER_CONFIG: cfg, DOCKER_HOST: 'tcp://127.0.0.1:1' })).daemons.find((x) => x.current)?.context,
      'default',
    );
  });

  it('reports an unreadable context file instead of dropping it silently', async () => {
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-contexts-'));
    fs.mkdirSync(path.join(cfg, 'contexts/meta/abc'), { recursive: true });
    fs.writeFileSync(path.join(cfg, 'contexts/meta/abc/meta.json'), '{"Name": "broken"}');
    const { daemons, problems } = await discoverDaemons({ DOCKER_CONFIG: cfg });
    assert.equal(daemons.length, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.error, /not a Docker context \(Endpoints/);
  });

  it('the event stream reports a container made with the docker CLI', async () => {
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    const seen: EngineEvent[] = [];
    const ctl = new AbortController();
    const ended = followEvents(client, (e) => seen.push(e), ctl.signal);
    await new Promise((r) => setTimeout(r, 200));
    const name = `ce-evt-${process.pid}`;
    const id = docker(['-H', need('DOCKER_TCP_HOST'), 'create', '--name', name, need('BUSYBOX_IMAGE'), 'true']);
    try {
      await until('create event', 5000, () => seen.some((e) => e.type === 'container' && e.action === 'create' && e.id === id));
      assert.equal(seen.find((e) => e.id === id)!.attributes.name, name);
    } finally {
      docker(['-H', need('DOCKER_TCP_HOST'), 'rm', '-f', id]);
      ctl.abort();
    }
    await ended; // aborting ends the stream
  });

  it('hub: all daemons at once; a blackholed one never delays the others', async () => {
    const hub = new DaemonHub();
    // the blackhole's deadline is long enough that a loaded machine's ssh start (~2 s) stays well inside it:
    // what is asserted is that no daemon waits for the blackholed one, not how fast ssh starts
    const VOID_MS = 6000;
    const specs = [...endpoints().map(([, d]) => d), { id: 'void', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: VOID_MS }];
    hub.setDaemons(specs.map((d) => ({ daemon: parseDaemonDescription(d), source: 'user' as const })));
    const t0 = Date.now();
    const done: Record<string, number> = {};
    await Promise.all(hub.ids().map(async (id) => (await hub.connect(id), (done[id] = Date.now() - t0))));
    for (const id of ['local', 'tcp', 'tls', 'tls2', 'ssh']) {
      assert.equal(hub.status(id).state, 'connected', `${id}: ${hub.status(id).error?.message}`);
      assert.ok(done[id]! < done.void!, `${id} took ${done[id]} ms: it waited for the blackholed daemon (${done.void} ms)`);
    }
    assert.equal(hub.status('void').state, 'unreachable');
    assert.match(hub.status('void').error!.message, /within 6000 ms/);
    // its own deadline, bounded relative to it (a loaded machine), not an absolute figure
    assert.ok(done.void! >= VOID_MS - 50 && done.void! < 3 * VOID_MS, `void took ${done.void}`);
    hub.dispose();
  });

  it('hub live: a CLI-made container invalidates the list; a stopped daemon turns unreachable and recovers by itself (the on-demand crash daemon, issue 29 finding 9)', async () => {
    // the throwaway daemon: stopping a shared one would fail other tests running against it
    const host = startCrashDaemon();
    const TIMEOUT_MS = 2000;
    const hub = new DaemonHub({ initialBackoffMs: 200, maxBackoffMs: 1000 });
    const changes: HubChange[] = [];
    hub.onDidChange((c) => changes.push(c));
    hub.setDaemons([{ daemon: parseDaemonDescription({ id: 'crash', host, timeoutMs: TIMEOUT_MS }), source: 'user' }]);
    hub.setLive(true);
    try {
      await until('connected', 5000, () => hub.status('crash').state === 'connected');
      const before = await hub.list('crash', 'containers');
      await new Promise((r) => setTimeout(r, 300)); // the event stream opens right after connecting
      const name = `ce-live-${process.pid}`;
      const id = docker(['-H', host, 'create', '--name', name, need('BUSYBOX_IMAGE'), 'true']);
      try {
        await until('containers change', 5000, () => changes.some((c) => c.id === 'crash' && c.what === 'containers'));
        const after = await hub.list('crash', 'containers');
        assert.equal(after.length, before.length + 1);
        assert.ok(after.some((c) => c.id === id));
      } finally {
        docker(['-H', host, 'rm', '-f', id]);
      }

      await stopCrashDaemon();
      let t0 = Date.now();
      await until('unreachable', 2 * TIMEOUT_MS, () => hub.status('crash').state === 'unreachable');
      const downMs = Date.now() - t0;
      assert.match(hub.status('crash').error!.message, /No Docker socket at .*crash\/docker\.sock/);
      startCrashDaemon();
      t0 = Date.now();
      await until('recovered', 8000, () => hub.status('crash').state === 'connected');
      const upMs = Date.now() - t0;
      console.log(`      (unreachable ${downMs} ms after the stop returned; connected again ${upMs} ms after start returned)`);
    } finally {
      hub.dispose();
    }
  });
});
