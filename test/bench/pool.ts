// `npm run bench` (plain node, testbed daemons):
//   bench pool-dispatch: twelve 2-second runs over a pool of three daemons with 2 run slots each
//     (perDaemonRuns 2), makespan against the same twelve on a pool of one daemon with 2 slots: medians of
//     3 interleaved rounds (order alternating) after a warm-up. Beside it, cli-vs-one-daemon: the same twelve
//     dispatched with the Docker CLI over the three daemons (six workers round-robin: create, cp in, start -a,
//     cp out, rm; test/bench/cliDispatch.ts) against the same one-daemon pool: what this machine allows three
//     daemons to gain, for vs-one-daemon to be read against.
//   bench placement: one placement among four daemons, one blackholed: the raw time, its deadline beside it
//     (the probe waits for it in parallel; a probe that answers before it fails the bench), median of 5 pool back-ends made one
//     after another, as a window's runs make them: they read the load caches the daemons' event streams
//     keep (src/core/backend/pool/loadCache.ts; warm from the run before, as in a window using the pool;
//     a cold cache lists and inspects the daemon's containers, as every placement did before: ~30 ms
//     more). Every placement still asks each daemon's /info within its deadline.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  PoolBackend,
  newRunId,
  runRecipe,
  validateConfiguration,
  type DaemonDescriptionInput,
  type PoolSpec,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';
import { cliDispatch } from './cliDispatch';

const daemons: Record<string, () => DaemonDescriptionInput> = {
  local: () => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tls: () => ({ id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } }),
  tcp: () => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  blackhole: () => ({ id: 'blackhole', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 }),
};
const spec = (name: string, ids: string[], perDaemonRuns?: number): PoolSpec => ({
  name,
  daemons: ids.map((id) => ({ id, daemon: daemons[id]!() })),
  budget: perDaemonRuns ? { perDaemonRuns } : undefined,
});
const config = (name: string) => {
  const r = validateConfiguration({ name, pool: ['local'], baseImage: need('BUSYBOX_IMAGE'), resources: { memory: '16m' } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
};

async function makespan(ids: string[], runs: number): Promise<number> {
  const name = `bench-pool-${ids.length}-${process.pid}`;
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-pool-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), 'sleep 2');
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: runs }, async () => {
      const backend = new PoolBackend(spec(name, ids, 2));
      const id = newRunId();
      try {
        const o = await runRecipe(
          backend,
          {
            id,
            recipe: 'job.sh',
            config: config(name),
            image: need('BUSYBOX_IMAGE'),
            pull: false,
            workspaceDir: ws,
            outputsDir: path.join(ws, id),
            groups: [],
            interpreters: DEFAULT_INTERPRETERS,
            extensionVersion: 'bench',
          },
          { signal: new AbortController().signal, onOutput: () => undefined, onStatus: () => undefined, onWarning: () => undefined },
        );
        if (o.state !== 'succeeded') throw new Error(`run ${id}: ${o.message}`);
      } finally {
        backend.dispose();
      }
    }),
  );
  fs.rmSync(ws, { recursive: true, force: true });
  return performance.now() - t0;
}

/** The same runs with the Docker CLI over the three daemons (their local sockets), six workers round-robin. */
async function cliMakespan(runs: number): Promise<number> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-pool-cli-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), 'mkdir -p out; sleep 2');
  try {
    const hosts = [need('DOCKER_LOCAL_HOST'), need('DOCKER_TCP_SOCK'), need('DOCKER_TLS_SOCK')];
    return await cliDispatch({
      hosts,
      runs,
      workers: 6,
      image: need('BUSYBOX_IMAGE'),
      workspace: ws,
      recipe: 'job.sh',
      dest: path.join(ws, 'out-back'),
    });
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function poolDispatch(): Promise<void> {
  await makespan(['local', 'tcp', 'tls'], 3); // warm-up: every daemon's image, connection and caches, not timed
  const three: number[] = [];
  const one: number[] = [];
  const cli: number[] = [];
  // interleaved rounds, the order alternating: a load that comes and goes hits both sides alike
  for (let round = 0; round < 3; round++) {
    const sides = [
      () => makespan(['local', 'tcp', 'tls'], 12).then((ms) => three.push(ms)),
      () => makespan(['local'], 12).then((ms) => one.push(ms)),
      () => cliMakespan(12).then((ms) => cli.push(ms)),
    ];
    for (const side of round % 2 ? sides.reverse() : sides) await side();
  }
  const [t, o, c] = [median(three), median(one), median(cli)];
  console.log(
    `bench pool-dispatch: vs-one-daemon=${(t / o).toFixed(2)} cli-vs-one-daemon=${(c / o).toFixed(2)} three-daemons-ms=${t.toFixed(0)} one-daemon-ms=${o.toFixed(0)} cli-three-daemons-ms=${c.toFixed(0)} (medians of ${three.length} interleaved rounds after a warm-up) runs=12 slots-per-daemon=2 goal<=0.4`,
  );
}

async function placement(): Promise<void> {
  const DEADLINE_MS = daemons.blackhole!().timeoutMs!;
  const samples: number[] = [];
  const c = config('bench-placement');
  for (let i = 0; i < 5; i++) {
    const backend = new PoolBackend(spec(`bench-placement-${process.pid}`, ['blackhole', 'local', 'tcp', 'tls']));
    const t0 = performance.now();
    const cap = await backend.probe(c, { signal: new AbortController().signal });
    samples.push(performance.now() - t0);
    if (cap.errors.length) throw new Error(cap.errors[0]!.message);
    backend.dispose();
  }
  const total = median(samples);
  // the probe must wait for the blackholed daemon's deadline: one that answered sooner stopped asking it
  if (Math.min(...samples) < DEADLINE_MS)
    throw new Error(
      `bench placement: a probe answered in ${Math.min(...samples).toFixed(0)} ms, before the blackholed daemon's ${DEADLINE_MS} ms deadline`,
    );
  console.log(
    `bench placement: total-ms=${total.toFixed(1)} blackhole-deadline-ms=${DEADLINE_MS} beyond-deadline-ms=${(total - DEADLINE_MS).toFixed(1)} daemons=4 goal: beyond-deadline<=20`,
  );
}

runBenches(poolDispatch, placement);
