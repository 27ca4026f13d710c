import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDaemonClient, DaemonError, engineCallStats, type DaemonDescriptionInput, type DaemonErrorKind } from '../../src/core';
import { until } from '../support/until';
import { need } from '../support/testbed';

/** The server version the docker CLI reports for a host: the reference our client must match. */
function cliServerVersion(args: string[]): string {
  return execFileSync('docker', [...args, 'version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_CONFIG: os.tmpdir() },
  }).trim();
}

async function expectFailure(
  d: DaemonDescriptionInput,
  kind: DaemonErrorKind,
  pattern: RegExp,
): Promise<{ error: DaemonError; ms: number }> {
  const client = createDaemonClient(d);
  const t0 = performance.now();
  try {
    const v = await client.version();
    assert.fail(`expected ${kind} error, got Docker ${v.version}`);
  } catch (e) {
    if (!(e instanceof DaemonError)) throw e;
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, pattern);
    return { error: e, ms: performance.now() - t0 };
  } finally {
    client.dispose();
  }
}

/** Open TCP sockets of this process (the deadline must destroy them). */
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('daemon client against the testbed daemons', function () {
  this.timeout(30000);
  const certs = () => need('DOCKER_TLS_CERT_PATH');

  const endpoints: [string, () => DaemonDescriptionInput, () => string[], string][] = [
    ['unix socket', () => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }), () => ['-H', need('DOCKER_LOCAL_HOST')], ''],
    ['plain TCP', () => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }), () => ['-H', need('DOCKER_TCP_HOST')], 'dockerenv.role=tcp'],
    [
      'TCP + TLS via a certificate folder',
      () => ({ id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: certs() } }),
      () => [
        '--tlsverify',
        '--tlscacert',
        `${certs()}/ca.pem`,
        '--tlscert',
        `${certs()}/cert.pem`,
        '--tlskey',
        `${certs()}/key.pem`,
        '-H',
        need('DOCKER_TLS_HOST'),
      ],
      'dockerenv.role=tls',
    ],
    [
      'TCP + TLS via individual files',
      () => ({
        id: 'tls-files',
        host: need('DOCKER_TLS_HOST'),
        tls: { enabled: true, ca: need('DOCKER_TLS_CA'), cert: need('DOCKER_TLS_CERT'), key: need('DOCKER_TLS_KEY') },
      }),
      () => [
        '--tlsverify',
        '--tlscacert',
        need('DOCKER_TLS_CA'),
        '--tlscert',
        need('DOCKER_TLS_CERT'),
        '--tlskey',
        need('DOCKER_TLS_KEY'),
        '-H',
        need('DOCKER_TLS_HOST'),
      ],
      'dockerenv.role=tls',
    ],
    // the ssh daemon forwards to the plain-TCP daemon's socket
    [
      'ssh (system OpenSSH)',
      () => ({ id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') } }),
      () => ['-H', need('DOCKER_TCP_HOST')],
      'dockerenv.role=tcp',
    ],
  ];

  for (const [name, describeDaemon, cliArgs, label] of endpoints)
    it(`${name}: ping, version and info match the docker CLI`, async () => {
      const client = createDaemonClient(describeDaemon());
      try {
        const calls = engineCallStats.calls;
        const ping = await client.ping();
        assert.ok(ping.roundTripMs > 0 && ping.roundTripMs < 5000, `round trip ${ping.roundTripMs}`);
        const v = await client.version();
        assert.equal(v.version, cliServerVersion(cliArgs()));
        assert.match(v.apiVersion, /^1\.\d+$/);
        assert.equal(v.os, 'linux');
        const info = await client.info();
        assert.equal(info.serverVersion, v.version);
        assert.ok(info.cpus >= 1 && info.memTotalBytes > 0);
        assert.ok(info.runtimes.includes('runc'), `runtimes: ${info.runtimes}`);
        if (label) assert.ok(info.labels.includes(label), `expected daemon label ${label}, got ${info.labels}`);
        assert.equal(engineCallStats.calls - calls, 3);
      } finally {
        client.dispose();
      }
    });

  it('the plain-TCP daemon lists the fake and nvidia runtimes', async () => {
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_FAKE_GPU_HOST') });
    const info = await client.info();
    assert.ok(info.runtimes.includes('fake') && info.runtimes.includes('nvidia'), `runtimes: ${info.runtimes}`);
  });

  it('TLS is never switched on by the port: a plain client on a TLS port is told to enable TLS', async () => {
    await expectFailure({ id: 'x', host: need('DOCKER_TLS_HOST') }, 'tls', /requires TLS: enable TLS/);
  });

  it('TLS endpoint without client certificates: says a client certificate is required', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-ca-only-'));
    fs.copyFileSync(need('DOCKER_TLS_CA'), path.join(dir, 'ca.pem'));
    await expectFailure(
      { id: 'x', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: dir } },
      'tls',
      /requires a client certificate/,
    );
  });

  it('wrong CA: says the server certificate is not signed by that CA, naming the file', async () => {
    const dir = need('DOCKER_TLS_WRONG_CA_CERT_PATH');
    await expectFailure(
      { id: 'x', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: dir } },
      'tls',
      new RegExp(`not signed by the CA in ${dir}/ca\\.pem`),
    );
  });

  it('a certificate folder without key.pem: the message names the missing file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-no-key-'));
    fs.copyFileSync(need('DOCKER_TLS_CA'), path.join(dir, 'ca.pem'));
    fs.copyFileSync(need('DOCKER_TLS_CERT'), path.join(dir, 'cert.pem'));
    const { error } = await expectFailure(
      { id: 'x', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: dir } },
      'config',
      /key\.pem is missing/,
    );
    assert.ok(error.message.includes(path.join(dir, 'key.pem')), error.message);
  });

  it('a TLS client on a plain port: says the daemon does not speak TLS', async () => {
    await expectFailure({ id: 'x', host: need('DOCKER_TCP_HOST'), tls: { enabled: true, certPath: certs() } }, 'tls', /does not speak TLS/);
  });

  it('nothing listening: refused at once, not after the 5 s default deadline (issue 29 finding 9)', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r)); // a port that was just free: nothing listens now
    const { ms } = await expectFailure(
      { id: 'x', host: `tcp://127.0.0.1:${port}` },
      'refused',
      /Nothing listens at tcp:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
    );
    assert.ok(ms < 5000, `took ${ms} ms: it waited for the deadline`);
  });

  it('permission denied on the socket: hints at the docker group (run as user nobody)', () => {
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../../src/core'))}).createDaemonClient({ id: 'l', host: ${JSON.stringify(need('DOCKER_LOCAL_HOST'))} })
      .ping().then(() => console.log('ok'), (e) => console.log(e.kind + ': ' + e.message))`;
    const out = execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8' }).trim();
    assert.match(out, /^permission: Permission denied on \/var\/run\/docker\.sock: add your user to the "docker" group/);
  });

  it('no socket file: says so, naming the path', async () => {
    await expectFailure(
      { id: 'x', host: 'unix:///tmp/container-exec-no-such.sock' },
      'unreachable',
      /No Docker socket at \/tmp\/container-exec-no-such\.sock/,
    );
  });

  it('blackholed address: the default 5 s deadline fires and the request is aborted, not left pending', async () => {
    const before = tcpHandles();
    const { ms } = await expectFailure(
      { id: 'x', host: need('DOCKER_BLACKHOLE_HOST') },
      'timeout',
      /did not answer version within 5000 ms/,
    );
    assert.ok(ms >= 4900 && ms < 3 * 5000, `took ${ms} ms`);
    await until('the timed-out socket closed', 2000, () => tcpHandles() === before).catch(() =>
      assert.equal(tcpHandles(), before, 'the timed-out socket is still open'),
    );
  });

  it('a daemon that accepts but never answers: the configured deadline fires', async () => {
    const sockets: net.Socket[] = [];
    let closedByClient = 0;
    const server = net.createServer((s) => {
      sockets.push(s);
      s.resume().on('end', () => closedByClient++);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const { ms } = await expectFailure({ id: 'x', host: `tcp://127.0.0.1:${port}`, timeoutMs: 800 }, 'timeout', /within 800 ms/);
      assert.ok(ms >= 780 && ms < 3 * 800, `took ${ms} ms`);
      await until('our side closed the connection', 2000, () => closedByClient === 1).catch(() =>
        assert.equal(closedByClient, 1, 'our side closed the connection'),
      );
      assert.equal(sockets.length, 1);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });

  it('an AbortSignal cancels a pending call at once', async () => {
    const client = createDaemonClient({ id: 'x', host: need('DOCKER_BLACKHOLE_HOST') });
    const before = tcpHandles();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const t0 = performance.now();
    await assert.rejects(client.ping({ signal: abort.signal }), (e: unknown) => e instanceof DaemonError && e.kind === 'cancelled');
    assert.ok(performance.now() - t0 < 5000, 'cancelled before the 5 s deadline');
    await until('the cancelled socket closed', 2000, () => tcpHandles() === before).catch(() => assert.equal(tcpHandles(), before));
  });

  it('ssh with an unknown host key: explains how to accept it', async () => {
    const cfg = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ce-ssh-')), 'ssh_config');
    fs.writeFileSync(
      cfg,
      fs.readFileSync(need('DOCKER_SSH_CONFIG'), 'utf8').replace(/UserKnownHostsFile .*/, 'UserKnownHostsFile /dev/null'),
    );
    await expectFailure(
      { id: 'x', host: need('DOCKER_SSH_HOST'), ssh: { configFile: cfg } },
      'ssh',
      /Host key verification failed.*unknown or changed/,
    );
  });

  it('ssh with a refused key: says authentication failed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-ssh-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const cfg = path.join(dir, 'ssh_config');
    fs.writeFileSync(cfg, fs.readFileSync(need('DOCKER_SSH_CONFIG'), 'utf8').replace(/IdentityFile .*/, `IdentityFile ${dir}/other`));
    await expectFailure(
      { id: 'x', host: need('DOCKER_SSH_HOST'), ssh: { configFile: cfg } },
      'ssh',
      /Permission denied.*authentication failed/,
    );
  });

  it('ssh without an OpenSSH client: says which command is missing', async () => {
    await expectFailure(
      { id: 'x', host: need('DOCKER_SSH_HOST'), ssh: { command: '/nonexistent/ssh' } },
      'ssh',
      /"\/nonexistent\/ssh" is not installed/,
    );
  });

  it('ssh: dispose ends the kept-alive ssh process', async () => {
    const client = createDaemonClient({ id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') } });
    await client.ping();
    const sshProcs = () => execFileSync('sh', ['-c', `pgrep -x ssh -P ${process.pid} || true`], { encoding: 'utf8' }).trim();
    assert.notEqual(sshProcs(), '', 'one ssh process serves the client');
    client.dispose();
    for (let i = 0; i < 40 && sshProcs(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sshProcs(), '');
  });
});
