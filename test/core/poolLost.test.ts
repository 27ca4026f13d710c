// A pool's lost-run cleanup on the real engines: the pool names each leftover `<daemon id>/<its id there>`, and a
// daemon id may itself hold a slash (a user's "lab/gpu1", a Podman connection named "lab/p"): removeLost must still
// find that daemon, not the part before the first slash.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LABELS, PoolBackend, newRunId, workspaceLabel } from '../../src/core';
import { need, podmanBusyboxImage, podmanHost } from '../support/testbed';

/** Each member: its id (with a slash), its engine's CLI and an image there. */
const members = [
  {
    id: 'lab/local',
    host: () => need('DOCKER_LOCAL_HOST'),
    cli: () => ['docker', '-H', need('DOCKER_LOCAL_HOST')],
    image: () => need('BUSYBOX_IMAGE'),
  },
  { id: 'podman:lab/p', host: podmanHost, cli: () => ['podman', '--url', podmanHost()], image: podmanBusyboxImage },
];
const cli = (m: (typeof members)[number], ...args: string[]) => {
  const [cmd, ...pre] = m.cli();
  return execFileSync(cmd!, [...pre, ...args], { encoding: 'utf8' }).trim();
};

describe('pool: lost-run cleanup when a daemon id holds a slash (Docker and Podman of the testbed)', function () {
  this.timeout(60000);

  it('findLost names each leftover by its daemon; removeLost removes it there, on Docker and on Podman', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-lost-'));
    const runId = newRunId();
    const labels = ['--label', `${LABELS.workspace}=${workspaceLabel(ws)}`, '--label', `${LABELS.run}=${runId}`];
    const created = members.map((m) => cli(m, 'create', ...labels, m.image(), 'true'));
    const backend = new PoolBackend({
      name: `pool-lost-${Math.random().toString(36).slice(2, 7)}`,
      daemons: members.map((m) => ({ id: m.id, daemon: { id: m.id, host: m.host(), timeoutMs: 30000 } })),
    });
    const left = () => members.map((m) => cli(m, 'ps', '-a', '-q', '--filter', `label=${LABELS.run}=${runId}`));
    try {
      const lost = (await backend.findLost(ws, new Set())).filter((l) => l.runId === runId);
      assert.deepEqual(lost.map((l) => l.id).sort(), members.map((m, i) => `${m.id}/${created[i]}`).sort());
      for (const l of lost) await backend.removeLost(l);
      assert.deepEqual(left(), ['', '']);
    } finally {
      backend.dispose();
      for (const [i, m] of members.entries()) if (cli(m, 'ps', '-a', '-q', '--filter', `id=${created[i]}`)) cli(m, 'rm', '-f', created[i]!);
    }
  });
});
