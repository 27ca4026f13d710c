import * as assert from 'node:assert/strict';
import { DaemonError, localDaemonFromEnvironment, parseDaemonDescription, parseHost } from '../../src/core';

describe('daemon description', () => {
  it('parses every host form', () => {
    assert.deepEqual(parseHost('unix:///var/run/docker.sock'), { scheme: 'unix', socketPath: '/var/run/docker.sock' });
    assert.deepEqual(parseHost('npipe:////./pipe/docker_engine'), { scheme: 'npipe', socketPath: '//./pipe/docker_engine' });
    assert.deepEqual(parseHost('tcp://10.1.2.3:2376'), { scheme: 'tcp', hostname: '10.1.2.3', port: 2376 });
    assert.deepEqual(parseHost('tcp://docker.example:80'), { scheme: 'tcp', hostname: 'docker.example', port: 80 });
    assert.deepEqual(parseHost('tcp://[::1]:2375'), { scheme: 'tcp', hostname: '::1', port: 2375 });
    assert.deepEqual(parseHost('ssh://me@build-box:2222'), { scheme: 'ssh', hostname: 'build-box', port: 2222, user: 'me' });
    assert.deepEqual(parseHost('ssh://build-box'), { scheme: 'ssh', hostname: 'build-box', port: undefined, user: undefined });
    assert.deepEqual(parseHost('ssh://core@box:2222/run/user/1000/podman/podman.sock'), {
      scheme: 'ssh',
      hostname: 'box',
      port: 2222,
      user: 'core',
      socketPath: '/run/user/1000/podman/podman.sock',
    });
  });

  for (const [host, why] of [
    ['localhost:2375', 'no scheme'],
    ['http://localhost:2375', 'unknown scheme "http://"'],
    ['tcp://localhost', 'tcp:// needs a port'],
    ['tcp://localhost:99999', 'malformed address or port'],
    ['tcp://localhost:abc', 'malformed address or port'],
    ['tcp://localhost:2375/v1.41', 'unexpected path'],
    ['unix://', 'no socket path'],
    ['ssh://box/run/podman;reboot', 'remote socket path "/run/podman;reboot"'],
    ['ssh://box/run/a%20b.sock', 'remote socket path "/run/a%20b.sock"'],
  ] as const)
    it(`rejects ${host}: ${why}`, () => {
      assert.throws(
        () => parseHost(host),
        (e: unknown) =>
          e instanceof DaemonError &&
          e.kind === 'config' &&
          e.message.includes(`"${host}"`) &&
          e.message.includes(why) &&
          e.message.includes('tcp://HOST:PORT'),
      );
    });

  it('reports every invalid field of a description, naming the daemon', () => {
    assert.throws(
      () => parseDaemonDescription({ id: 'gpu-box', host: 'tcp://h:1', timeoutMs: -5, tls: { enabled: true, colour: 'red' } }),
      (e: unknown) =>
        e instanceof DaemonError && /Invalid daemon "gpu-box"/.test(e.message) && /timeoutMs/.test(e.message) && /tls/.test(e.message),
    );
  });

  it('defaults: 5 s deadline, TLS verified when enabled', () => {
    const d = parseDaemonDescription({ id: 'x', host: 'tcp://h:2376', tls: {} });
    assert.equal(d.timeoutMs, 5000);
    assert.deepEqual(d.tls, { enabled: true, verify: true });
  });

  it('reads the local daemon from DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH like the docker CLI', () => {
    assert.equal(localDaemonFromEnvironment({}, 'linux').host, 'unix:///var/run/docker.sock');
    assert.equal(localDaemonFromEnvironment({}, 'win32').host, 'npipe:////./pipe/docker_engine');
    assert.deepEqual(
      localDaemonFromEnvironment({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, 'linux').tls,
      {
        enabled: true,
        verify: true,
        certPath: '/certs',
      },
    );
    // port 2376 alone does not turn TLS on
    assert.equal(localDaemonFromEnvironment({ DOCKER_HOST: 'tcp://h:2376' }, 'linux').tls, undefined);
  });
});
