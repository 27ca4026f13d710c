// Issue 23, finding 2: the outputs a pool run kept in its container are fetched from the daemon it landed on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  LABELS,
  PoolBackend,
  createDaemonClient,
  listContainers,
  newRunId,
  removeContainer,
  runRecipe,
  validateConfiguration,
  type DaemonDescriptionInput,
  type PoolSpec,
  type RunOutcome,
  type RunRequest,
} from '../../src/core';
import { need } from '../support/testbed';

const daemons: Record<string, () => DaemonDescriptionInput> = {
  local: () => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tcp: () => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  blackhole: () => ({ id: 'blackhole', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 }),
};
const spec = (name: string, ids: string[]): PoolSpec => ({ name, daemons: ids.map((id) => ({ id, daemon: daemons[id]!() })) });

/** A run of the pool `name` through the driver, on a pool of `ids` (one daemon: where it lands is known). */
async function runOn(name: string, ids: string[], ws: string, request: Partial<RunRequest>) {
  const c = validateConfiguration({ name, pool: ids, baseImage: need('BUSYBOX_IMAGE'), resources: { memory: '32m', cpus: 0.1 } });
  assert.ok(c.ok, JSON.stringify(!c.ok && c.errors));
  const backend = new PoolBackend(spec(name, ids));
  const id = newRunId();
  const status: string[] = [];
  try {
    const outcome: RunOutcome = await runRecipe(
      backend,
      {
        id,
        recipe: 'job.sh',
        config: c.config,
        image: need('BUSYBOX_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, 'runs', id),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 1,
        extensionVersion: '9.9.9-test',
        ...request,
      },
      {
        signal: new AbortController().signal,
        onOutput: () => undefined,
        onStatus: (t) => status.push(t),
        onWarning: (t) => status.push(`warning: ${t}`),
      },
    );
    return { id, outcome, placement: backend.placement, status };
  } finally {
    backend.dispose();
  }
}

/** Removes every container of these runs on the testbed daemons (kept ones included). */
async function removeRuns(runIds: string[]): Promise<void> {
  for (const d of ['local', 'tcp']) {
    const client = createDaemonClient(daemons[d]!());
    try {
      for (const c of await listContainers(client))
        if (runIds.includes(c.labels[LABELS.run] ?? '')) await removeContainer(client, c.id).catch(() => undefined);
    } finally {
      client.dispose();
    }
  }
}

describe('issue 23 finding 2: Fetch Run Outputs of a pool run asks the daemon it landed on (testbed)', function () {
  this.timeout(120000);
  const name = `pool-kept-${Math.random().toString(36).slice(2, 7)}`;
  let ws = '';
  const runIds: string[] = [];
  let kept: { container: string; outputPath: string; landedOn: string };

  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-pool-kept-'));
    fs.writeFileSync(path.join(ws, 'job.sh'), 'mkdir -p out; for i in 1 2 3 4 5 6 7 8; do echo $i > out/f$i.txt; done\n');
    // another run of the same pool, kept on purpose on "local": a container labelled with the pool there
    const other = await runOn(name, ['local'], ws, { keepContainer: true });
    runIds.push(other.id);
    assert.equal(other.outcome.state, 'succeeded', other.outcome.message);
    // the run whose outputs stay in its container (past the entry cap), on "tcp"
    const capped = await runOn(name, ['tcp'], ws, { outputMaxEntries: 3 });
    runIds.push(capped.id);
    assert.equal(capped.outcome.state, 'succeeded', capped.outcome.message);
    assert.ok(capped.outcome.outputsKept, capped.status.join('\n'));
    assert.equal(capped.placement?.daemon, 'tcp');
    kept = { ...capped.outcome.outputsKept, landedOn: capped.placement.daemon };
  });
  after(async () => {
    await removeRuns(runIds);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const fetchOn = async (ids: string[], landedOn: string | undefined, dest: string) => {
    const backend = new PoolBackend(spec(name, ids));
    try {
      return await backend.retrieveKeptOutputs(kept.container, kept.outputPath, dest, { landedOn, maxEntries: 1000 });
    } finally {
      backend.dispose();
    }
  };

  it('a landed daemon that does not answer is "unreachable, try again", never "gone"', async () => {
    await assert.rejects(
      fetchOn(['local', 'blackhole'], 'blackhole', path.join(ws, 'x1')),
      /Could not fetch the outputs kept on daemon "blackhole" of pool .*: .*run Fetch Run Outputs again once it answers/,
    );
  });

  it('a record without the landed daemon: gone only when every daemon answered, none having it', async () => {
    // "tcp" holds it but is not in this pool; "blackhole" does not answer: not gone
    await assert.rejects(
      fetchOn(['local', 'blackhole'], undefined, path.join(ws, 'x2')),
      /Container container-exec-run-\S+ is on no daemon of pool .* that answered; .*"blackhole".*run Fetch Run Outputs again/,
    );
    // every daemon answered, none has it: gone
    const gone = await fetchOn(['local'], undefined, path.join(ws, 'x3'));
    assert.equal(gone.gone, true);
    // every daemon asked: found on "tcp" (a cap of 3 again: it stays for the next test)
    const backend = new PoolBackend(spec(name, ['local', 'tcp']));
    try {
      const again = await backend.retrieveKeptOutputs(kept.container, kept.outputPath, path.join(ws, 'x4'), { maxEntries: 3 });
      assert.equal(again.gone, undefined, 'reported gone while on "tcp"');
      assert.equal(again.capped?.cap, 'maxEntries');
      assert.equal(again.removed, false);
    } finally {
      backend.dispose();
    }
  });

  it('with a container of the same pool on the other daemon, the outputs come from where the run landed, and it is removed', async () => {
    const dest = path.join(ws, 'fetched');
    const got = await fetchOn(['local', 'tcp'], kept.landedOn, dest);
    assert.equal(got.gone, undefined, 'reported gone while on "tcp"');
    assert.equal(got.removed, true);
    assert.deepEqual(fs.readdirSync(path.join(dest, 'out')).sort(), [
      'f1.txt',
      'f2.txt',
      'f3.txt',
      'f4.txt',
      'f5.txt',
      'f6.txt',
      'f7.txt',
      'f8.txt',
    ]);
    const left = createDaemonClient(daemons.tcp!());
    try {
      assert.equal((await listContainers(left)).filter((c) => c.labels[LABELS.run] === runIds[1]).length, 0);
    } finally {
      left.dispose();
    }
  });
});
