// The output worker thread on the testbed's primary daemon: what ends it (a follow abort while output
// flows, a container that is not there) and that it always ends, with a clear error (the back-end
// contract suite covers a whole run through it on every daemon kind).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createContainer,
  createDaemonClient,
  readOutputOffThread,
  removeContainer,
  startContainer,
  type OffThreadOutput,
  type OutputProgress,
} from '../../src/core';
import { need } from '../support/testbed';
import { until } from '../support/until';

describe('output worker thread (primary daemon)', function () {
  this.timeout(60000);
  const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-output-thread-'));
  const containers: string[] = [];
  after(async () => {
    for (const c of containers) await removeContainer(client, c).catch(() => undefined);
    client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const sink = (logFile: string, progress: OutputProgress[]): OffThreadOutput => ({
    logFile,
    terminal: { bytesPerSecond: 100000, queueBytes: 100000, tailBytes: 10000 },
    onPaced: () => undefined,
    onProgress: (p) => progress.push(p),
  });

  it('a follow abort while the output flows ends it within the grace period; run.log has what came', async () => {
    const name = `ce-output-thread-${Date.now()}`;
    const id = await createContainer(client, {
      name,
      Image: need('BUSYBOX_IMAGE'),
      Cmd: ['sh', '-c', 'while true; do echo "a line of output that never ends"; done'],
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: { LogConfig: { Type: 'none', Config: {} } },
    });
    containers.push(id);
    const follow = new AbortController();
    const logFile = path.join(dir, 'abort.log');
    const progress: OutputProgress[] = [];
    const { output } = await readOutputOffThread(client, id, follow.signal, sink(logFile, progress));
    await startContainer(client, id);
    while (!progress.at(-1)?.bytes) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    follow.abort();
    // "cancelled": the worker stopped by itself, before the 2 s grace after which it is terminated (another
    // message); the time bounded relative to that grace, not by an absolute figure (issue 29 finding 9)
    await assert.rejects(output, /cancelled/);
    assert.ok(Date.now() - t0 < 3 * 2000, `ended ${Date.now() - t0} ms after the abort`);
    assert.equal(fs.statSync(logFile).size, progress.at(-1)!.bytes, 'run.log flushed: every byte read is in it');
    assert.match(fs.readFileSync(logFile, 'utf8').slice(0, 200), /^a line of output that never ends\n/);
  });

  it('a container that is not there: the attach fails with the daemon’s answer, never a hang', async () => {
    const follow = new AbortController();
    await assert.rejects(
      readOutputOffThread(client, 'ce-output-thread-nothing', follow.signal, sink(path.join(dir, 'none.log'), [])),
      /no such container|not found|404/i,
    );
  });

  it('a worker terminated after its grace time leaves no running ssh process and no ssh socket folder behind (ssh daemon; run.log whose open never completes)', async () => {
    const ssh = createDaemonClient({
      id: 'ssh',
      host: need('DOCKER_SSH_HOST'),
      ssh: { configFile: need('DOCKER_SSH_CONFIG') },
      timeoutMs: 20000,
    });
    // the ssh daemon's sessions reach the plain TCP daemon: the container is made there directly
    const tcp = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    // running ones: a killed child of a terminated worker stays a zombie (its reaper was the worker's loop) until the process exits
    const sshChildren = () =>
      new Set(
        execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter(([, stat, comm]) => comm === 'ssh' && !stat!.startsWith('Z'))
          .map(([pid]) => pid!),
      );
    const before = sshChildren();
    // the worker's temporary folders (its ssh socket's) land in a folder of this test alone
    const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
    const savedTmp = process.env.TMPDIR;
    // process.env turns undefined into "undefined"
    const restoreTmp = () => (savedTmp === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = savedTmp));
    // a FIFO nobody reads: the worker's run.log never opens, as on a stalled network file system, so it cannot stop by itself
    const fifo = path.join(dir, 'stalled.log');
    execFileSync('mkfifo', [fifo]);
    let id: string | undefined;
    try {
      id = await createContainer(tcp, {
        name: `ce-output-thread-ssh-${Date.now()}`,
        Image: need('BUSYBOX_IMAGE'),
        Cmd: ['sleep', '60'],
        AttachStdout: true,
        AttachStderr: true,
      });
      const follow = new AbortController();
      process.env.TMPDIR = tmp;
      const { output } = await readOutputOffThread(ssh, id, follow.signal, sink(fifo, [])).finally(restoreTmp);
      await startContainer(tcp, id);
      assert.ok(fs.readdirSync(tmp).length > 0, 'the worker made its ssh socket folder in the test folder');
      follow.abort();
      await assert.rejects(output, /did not stop when asked; it was terminated/);
      await until('no ssh process of the worker left', 5000, () => [...sshChildren()].every((pid) => before.has(pid)));
      await until('no ssh socket folder of the worker left', 5000, () => fs.readdirSync(tmp).length === 0);
    } finally {
      restoreTmp();
      // release the blocked open (a reader appears), so no thread of the pool stays held
      fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      if (id) await removeContainer(tcp, id).catch(() => undefined);
      ssh.dispose();
      tcp.dispose();
    }
  });
});
