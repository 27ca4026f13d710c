import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  createDaemonClient,
  followContainerLogs,
  listContainers,
  listImages,
  removeContainer,
  removeImage,
  stopContainer,
} from '../../src/core';
import { need } from '../support/testbed';

describe('container and image actions (plain TCP daemon)', function () {
  this.timeout(30000);
  const cli = () => ['-H', need('DOCKER_TCP_HOST')];
  const docker = (...args: string[]) => execFileSync('docker', [...cli(), ...args], { encoding: 'utf8' }).trim();

  it('follows the logs of a running container, stdout and stderr apart, until it stops', async () => {
    const id = docker('run', '-d', need('BUSYBOX_IMAGE'), 'sh', '-c', 'echo out-1; echo err-1 >&2; sleep 1; echo out-2');
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    const got: string[] = [];
    try {
      await followContainerLogs(client, id, (text, stream) => got.push(`${stream}:${text.trim()}`), new AbortController().signal);
      assert.deepEqual(got.sort(), ['stderr:err-1', 'stdout:out-1', 'stdout:out-2']);
    } finally {
      client.dispose();
      docker('rm', '-f', id);
    }
  });

  it('following logs stops when the signal aborts', async () => {
    const id = docker('run', '-d', need('BUSYBOX_IMAGE'), 'sleep', '30');
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    const ctl = new AbortController();
    try {
      const following = followContainerLogs(client, id, () => undefined, ctl.signal);
      setTimeout(() => ctl.abort(), 300);
      const t0 = Date.now();
      await following.catch(() => undefined);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      client.dispose();
      docker('rm', '-f', id);
    }
  });

  it('stops and removes a container, removes an image', async () => {
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    const id = docker('run', '-d', need('BUSYBOX_IMAGE'), 'sleep', '30');
    const tag = `local/ce-action-test:${process.pid}`;
    docker('tag', need('BUSYBOX_IMAGE'), tag);
    try {
      await stopContainer(client, id, { graceSeconds: 1 }); // busybox sleep as PID 1 ignores SIGTERM
      assert.equal((await listContainers(client)).find((c) => c.id === id)?.state, 'exited');
      await removeContainer(client, id);
      assert.equal(
        (await listContainers(client)).some((c) => c.id === id),
        false,
      );
      await removeImage(client, tag);
      assert.equal(
        (await listImages(client)).some((i) => i.tags.includes(tag)),
        false,
      );
      assert.ok(
        (await listImages(client)).some((i) => i.tags.includes(need('BUSYBOX_IMAGE'))),
        'only the tag went',
      );
    } finally {
      client.dispose();
      execFileSync('docker', [...cli(), 'rm', '-f', id], { stdio: 'ignore' });
    }
  });
});
