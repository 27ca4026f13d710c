// The Docker-daemon back-end against the execution back-end contract, on every testbed daemon, and the registry.
import * as assert from 'node:assert/strict';
import {
  BackendRegistry,
  DOCKER_DAEMON,
  DockerDaemonBackend,
  DockerSwarmBackend,
  createDaemonClient,
  dockerDaemonProvider,
  migrateRunRecord,
  targetOf,
  type DaemonDescriptionInput,
} from '../../src/core';
import { backendContract } from '../support/backendContract';
import { need } from '../support/testbed';

const daemons: Record<string, () => DaemonDescriptionInput> = {
  socket: () => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tcp: () => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  tls: () => ({ id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } }),
  // an ssh process per connection: on this shared 2-core machine 5 s is not always enough
  ssh: () => ({ id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') }, timeoutMs: 20000 }),
};

for (const [name, daemon] of Object.entries(daemons))
  backendContract(`Docker daemon over ${name}`, {
    open: () => new DockerDaemonBackend(createDaemonClient(daemon()), true),
    image: need('BUSYBOX_IMAGE'),
    daemonId: daemon().id,
  });

// Podman's Docker-compatible API, reached like any daemon (its images are named localhost/…)
backendContract('Podman over its socket', {
  open: () => new DockerDaemonBackend(createDaemonClient({ id: 'podman', host: need('PODMAN_HOST') }), true),
  image: need('PODMAN_BUSYBOX_IMAGE'),
  daemonId: 'podman',
});

// the swarm: runs are services its manager places on any of the three nodes, reached through their daemons
const swarmNodes = (): DaemonDescriptionInput[] => [
  { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') },
  { id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') },
  { id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') },
];
backendContract('Docker Swarm through its manager', {
  open: () =>
    new DockerSwarmBackend(
      createDaemonClient(swarmNodes()[0]!),
      async () => swarmNodes().map((daemon) => ({ daemon, source: 'user' as const })),
      true,
    ),
  image: need('BUSYBOX_IMAGE'),
  daemonId: 'swarm-m',
});

describe('back-end registry', () => {
  it('opens the back-end of a target by kind; an unknown kind or id is an error naming it', async () => {
    const registry = new BackendRegistry();
    registry.register(dockerDaemonProvider(async (id) => (id === 'local' ? daemons.socket!() : undefined)));
    assert.throws(() => registry.register(dockerDaemonProvider(async () => undefined)), /kind "docker-daemon" is already registered/);
    const seen = await registry.with({ kind: DOCKER_DAEMON, id: 'local' }, async (b) => {
      await b.ping();
      return b.description;
    });
    assert.equal(seen, `daemon "local" (${need('DOCKER_LOCAL_HOST')})`);
    await assert.rejects(
      registry.open({ kind: DOCKER_DAEMON, id: 'gone' }, { context: 'configuration c', hint: 'Add it.' }),
      /^Error: Daemon not found: "gone" \(configuration c\)\. Add it\.$/,
    );
    await assert.rejects(
      registry.open({ kind: 'swarm', id: 'm1' }),
      /No back-end for targets of kind "swarm": this version knows docker-daemon/,
    );
  });
});

describe('run targets (pure)', () => {
  it("a configuration's target is its daemon; a record from before back-ends (daemon, outputsKept.daemon) reads as a Docker-daemon target", () => {
    assert.deepEqual(targetOf({ daemon: 'gpu-box' }), { kind: DOCKER_DAEMON, id: 'gpu-box' });
    const old = {
      id: 'r1',
      recipe: 'a.py',
      configuration: 'c',
      daemon: 'tls',
      containerId: 'abc',
      outputsKept: { container: 'container-exec-run-r1', daemon: 'tls', outputPath: '/workspace/out', reason: 'cap' },
    };
    assert.deepEqual(migrateRunRecord(old), {
      id: 'r1',
      recipe: 'a.py',
      configuration: 'c',
      target: { kind: DOCKER_DAEMON, id: 'tls' },
      containerId: 'abc',
      outputsKept: {
        container: 'container-exec-run-r1',
        target: { kind: DOCKER_DAEMON, id: 'tls' },
        outputPath: '/workspace/out',
        reason: 'cap',
      },
    });
    const current = { id: 'r2', target: { kind: 'swarm', id: 'm1' } };
    assert.deepEqual(migrateRunRecord(current), current);
    assert.equal(migrateRunRecord(null), null);
  });
});
