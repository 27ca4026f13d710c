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
import { until } from '../support/until';

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

  it('following logs stops when the signal aborts (issue 29 finding 6): only then, while the container still writes, and quietly', async () => {
    const id = docker('run', '-d', need('BUSYBOX_IMAGE'), 'sh', '-c', 'while true; do echo tick; sleep 0.1; done');
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    const ctl = new AbortController();
    let ticks = 0;
    let settled: string | undefined;
    try {
      const following = followContainerLogs(client, id, (text) => (ticks += text.split('tick').length - 1), ctl.signal).then(
        () => (settled = 'resolved'),
        (e: Error) => (settled = `rejected: ${e.message}`),
      );
      await until('the first lines followed', 10000, () => ticks >= 3);
      assert.equal(settled, undefined, 'the follow was still open before the abort');
      ctl.abort();
      await until('the follow to end after the abort', 10000, () => settled);
      assert.equal(settled, 'resolved', 'a cancel is not an error');
      // the container goes on writing (the daemon's own log shows more lines): none of them reaches the caller
      const seen = ticks;
      const logged = () => docker('logs', id).split('\n').length;
      const atStop = logged();
      await until('the container writing more lines', 10000, () => logged() >= atStop + 5);
      assert.equal(docker('inspect', '-f', '{{.State.Running}}', id), 'true', 'the stop was the abort, not the container ending');
      assert.equal(ticks, seen, 'no line after the follow ended');
      await following;
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
