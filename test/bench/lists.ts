// `npm run bench` (plain node, testbed daemons):
//   bench list-200: containers + images of a daemon holding 200 containers, through our core vs raw HTTP
//     from Node vs `docker ps -a` + `docker images` run at once, medians of interleaved rounds after a warm-up one.
//   bench refresh-4-blackhole: four daemons, one blackholed: time until the three reachable ones are
//     connected and listed, vs the same for a single daemon; and when the blackholed one is marked. The daemons'
//     states are checked: a figure from a daemon that did not connect (or a blackhole that did) fails the bench.
//     Its raw floor: the same requests over plain node:http, three daemons at once against the slowest alone.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  createDaemonClient,
  DaemonHub,
  listContainers,
  listImages,
  parseDaemonDescription,
  type DaemonDescriptionInput,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';
import { fill200, interleavedMedians } from './list200';
import { RawEngine } from './rawEngine';

const execFileAsync = promisify(execFile);

async function list200(): Promise<void> {
  const host = need('DOCKER_TCP_HOST');
  const client = createDaemonClient({ id: 'tcp', host, timeoutMs: 30000 });
  const rawEngine = new RawEngine(host);
  const { count, prune } = await fill200(client, need('BUSYBOX_IMAGE'));
  try {
    if (count < 200) throw new Error(`only ${count} containers`);
    const ours = () => Promise.all([listContainers(client), listImages(client)]);
    const raw = () => Promise.all([rawEngine.json('GET', '/containers/json?all=1'), rawEngine.json('GET', '/images/json')]);
    // the two commands at once, as a user's two terminals (and our two lists) would run them
    const cli = () => Promise.all([execFileAsync('docker', ['-H', host, 'ps', '-a']), execFileAsync('docker', ['-H', host, 'images'])]);
    const { ours: oursMs, raw: rawMs, cli: cliMs } = await interleavedMedians({ raw, ours, cli });
    console.log(
      `bench list-200: vs-raw=${(oursMs / rawMs).toFixed(2)} vs-cli=${(oursMs / cliMs).toFixed(2)} ours-ms=${oursMs.toFixed(1)} raw-ms=${rawMs.toFixed(1)} cli-ms=${cliMs.toFixed(1)} containers=${count}`,
    );
  } finally {
    await prune();
    client.dispose();
    rawEngine.dispose();
  }
}

const REFRESH_ROUNDS = 25;

async function refreshBlackhole(): Promise<void> {
  const reachable: DaemonDescriptionInput[] = [
    { id: 'local', host: need('DOCKER_LOCAL_HOST') },
    { id: 'tcp', host: need('DOCKER_TCP_HOST') },
    { id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } },
  ];
  const blackhole: DaemonDescriptionInput = { id: 'void', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 };
  /** Fresh hub: connect every daemon and list containers + images of the connected ones. */
  const refresh = async (daemons: DaemonDescriptionInput[], measured: string[]) => {
    const hub = new DaemonHub();
    hub.setDaemons(daemons.map((d) => ({ daemon: parseDaemonDescription(d), source: 'user' as const })));
    const t0 = performance.now();
    const done: Record<string, number> = {};
    await Promise.all(
      hub.ids().map(async (id) => {
        if ((await hub.connect(id)).state === 'connected') await Promise.all([hub.list(id, 'containers'), hub.list(id, 'images')]);
        done[id] = performance.now() - t0;
      }),
    );
    // the figures mean something only if each daemon ended as it must: the reachable connected, the blackholed not
    for (const id of hub.ids()) {
      const want = id === 'void' ? 'unreachable' : 'connected';
      if (hub.status(id).state !== want)
        throw new Error(
          `bench refresh-4-blackhole: ${id} ended ${hub.status(id).state}, not ${want}: ${hub.status(id).error?.message ?? ''}`,
        );
    }
    hub.dispose();
    return {
      reachableMs: Math.max(...measured.map((id) => done[id]!)),
      blackholeMs: done.void,
    };
  };
  // the raw floor: the same three requests per daemon over plain node:http, each daemon's agent kept warm (as
  // node's global agent keeps ours), three daemons at once against the slowest alone
  const raws = new Map(reachable.map((d) => [d.id, new RawEngine(d.host, d.tls?.enabled ? { certPath: d.tls.certPath! } : undefined)]));
  const rawRefresh = async (ids: string[]) => {
    const t0 = performance.now();
    await Promise.all(
      ids.map(async (id) => {
        const raw = raws.get(id)!;
        await raw.request('GET', '/_ping');
        await Promise.all([raw.json('GET', '/containers/json?all=1'), raw.json('GET', '/images/json')]);
      }),
    );
    return performance.now() - t0;
  };
  const rawSingles: Record<string, number[]> = { local: [], tcp: [], tls: [] };
  const rawThrees: number[] = [];
  await refresh(reachable, ['local', 'tcp', 'tls']); // warm-up
  await rawRefresh(['local', 'tcp', 'tls']);
  // "single" = the slowest of the three refreshed alone: perfect parallelism would match it
  const singles: Record<string, number[]> = { local: [], tcp: [], tls: [] };
  const fours: number[] = [];
  const holes: number[] = [];
  // a refresh takes a few ms, where one scheduling hiccup doubles a sample: many rounds, medians
  for (let i = 0; i < REFRESH_ROUNDS; i++) {
    for (const d of reachable) singles[d.id]!.push((await refresh([d], [d.id])).reachableMs);
    for (const d of reachable) rawSingles[d.id]!.push(await rawRefresh([d.id]));
    rawThrees.push(await rawRefresh(['local', 'tcp', 'tls']));
    const r = await refresh([...reachable, blackhole], ['local', 'tcp', 'tls']);
    fours.push(r.reachableMs);
    holes.push(r.blackholeMs!);
  }
  const perDaemon = Object.fromEntries(Object.entries(singles).map(([id, xs]) => [id, median(xs)]));
  const single = Math.max(...Object.values(perDaemon));
  const four = median(fours);
  const sum = Object.values(perDaemon).reduce((a, b) => a + b, 0);
  const rawSingle = Math.max(...Object.values(rawSingles).map(median));
  const rawThree = median(rawThrees);
  for (const raw of raws.values()) raw.dispose();
  console.log(
    `bench refresh-4-blackhole: vs-single=${(four / single).toFixed(2)} raw-vs-single=${(rawThree / rawSingle).toFixed(2)} vs-raw=${(four / rawThree).toFixed(2)} ` +
      `vs-sequential=${(four / sum).toFixed(2)} three-reachable-ms=${four.toFixed(1)} raw-three-ms=${rawThree.toFixed(1)} raw-single-ms=${rawSingle.toFixed(1)} ` +
      `single-ms=${single.toFixed(1)} (${Object.entries(perDaemon)
        .map(([id, ms]) => `${id}=${ms.toFixed(1)}`)
        .join(' ')}) blackhole-ms=${median(holes).toFixed(0)} blackhole-deadline-ms=1500`,
  );
}

runBenches(list200, refreshBlackhole);
