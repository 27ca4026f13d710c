// Issue 23, "Secrets follow the daemon that receives them", at the driver: the registry password is asked
// for with the daemon the back-end pulls through (a pool's placed daemon, a swarm's manager), after
// placement, and a refusal fails the run before anything is pulled or created.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerSwarmBackend,
  LABELS,
  PoolBackend,
  createDaemonClient,
  imageExists,
  listContainers,
  newRunId,
  runRecipe,
  validateConfiguration,
  type ExecutionBackend,
  type PullDaemon,
} from '../../src/core';
import { need } from '../support/testbed';

describe('Secrets follow the daemon that receives them (issue 23, testbed)', function () {
  this.timeout(60000);
  // in the password-protected registry's namespace, on no daemon: a run has to pull it
  const image = () => `${need('DOCKER_AUTH_REGISTRY')}/private/ce-consent-${Date.now().toString(36)}:1`;
  const registry = () => ({ url: need('DOCKER_AUTH_REGISTRY'), username: need('DOCKER_AUTH_REGISTRY_USER') });

  /** Runs with a registryAuth that records who asks and refuses; the outcome and the daemons asked about. */
  async function refused(backend: ExecutionBackend, configInput: Record<string, unknown>, ref: string) {
    const r = validateConfiguration({ name: 'consent', baseImage: ref, registry: registry(), ...configInput });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-consent-'));
    fs.writeFileSync(path.join(ws, 'recipe.sh'), 'echo never\n');
    const asked: PullDaemon[] = [];
    const id = newRunId();
    try {
      const outcome = await runRecipe(
        backend,
        {
          id,
          recipe: 'recipe.sh',
          config: r.config,
          image: ref,
          pull: true,
          registryAuth: async (daemon) => {
            asked.push(daemon);
            throw new Error(`declined for ${daemon.id}: nothing was sent`);
          },
          workspaceDir: ws,
          outputsDir: path.join(ws, 'out'),
          groups: [],
          interpreters: DEFAULT_INTERPRETERS,
          graceSeconds: 1,
          extensionVersion: '9.9.9-test',
        },
        { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
      );
      return { outcome, asked, id };
    } finally {
      backend.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }

  async function nothingOn(host: string, ref: string, runId: string) {
    const c = createDaemonClient({ id: 'check', host });
    try {
      assert.equal(await imageExists(c, ref), false, `${ref} was pulled on ${host}`);
      assert.deepEqual(
        (await listContainers(c)).filter((x) => x.labels[LABELS.run] === runId),
        [],
      );
    } finally {
      c.dispose();
    }
  }

  it('a pool asks with the daemon placement chose (not the configuration\'s "daemon"); a refusal pulls nothing there', async () => {
    const ref = image();
    const backend = new PoolBackend({
      name: `consent-${Date.now().toString(36)}`,
      daemons: [{ id: 'tcp', daemon: { id: 'tcp', host: need('DOCKER_TCP_HOST') } }],
    });
    const { outcome, asked, id } = await refused(backend, { pool: ['tcp'] }, ref);
    assert.deepEqual(
      asked.map((d) => [d.id, d.host]),
      [['tcp', need('DOCKER_TCP_HOST')]],
    );
    assert.match(asked[0]!.why ?? '', /placement chose it for this run of pool "consent-/);
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.failure, 'permission');
    assert.equal(outcome.message, 'declined for tcp: nothing was sent');
    await nothingOn(need('DOCKER_TCP_HOST'), ref, id);
  });

  it('a swarm asks with its manager (the daemon that pulls); a refusal pulls nothing there', async () => {
    const ref = image();
    const manager = { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') };
    const backend = new DockerSwarmBackend(createDaemonClient(manager), async () => [{ daemon: manager, source: 'user' as const }], true);
    const { outcome, asked, id } = await refused(backend, { daemon: 'swarm-m', swarm: {} }, ref);
    assert.deepEqual(
      asked.map((d) => [d.id, d.host]),
      [['swarm-m', need('DOCKER_SWARM_MANAGER_HOST')]],
    );
    assert.match(asked[0]!.why ?? '', /the manager of the swarm "swarm-m" pulls the image/);
    assert.equal(outcome.failure, 'permission');
    await nothingOn(need('DOCKER_SWARM_MANAGER_HOST'), ref, id);
  });
});
