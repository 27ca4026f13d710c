// `npm run bench` (plain node, the testbed's rootful Podman 4.3.1), medians of interleaved rounds in the same run:
//   bench podman-run: the trivial recipe of run-trivial through runRecipe on the Podman socket vs the podman CLI
//     talking to the same service (--url): podman create, podman cp in, podman start -a, podman cp out, podman rm.
//   bench podman-list: containers + images of the Podman service holding 200 containers, through our core vs
//     `podman ps -a` + `podman images` run at once, and vs the same two requests in raw HTTP (Podman's own time).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import {
  DockerDaemonBackend,
  createDaemonClient,
  listContainers,
  listImages,
  validateConfiguration,
  type DaemonClient,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { podmanHost, podmanPythonImage, podmanBusyboxImage } from '../support/testbed';
import { fill200, interleavedMedians } from './list200';
import { RawEngine } from './rawEngine';
import { trivialRound, trivialWorkspace } from './trivialRun';

const podmanArgs = (args: string[]) => ['--url', podmanHost(), ...args];
const podman = (...args: string[]) => execFileSync('podman', podmanArgs(args), { encoding: 'utf8' }).trim();
const podmanAsync = (...args: string[]) => promisify(execFile)('podman', podmanArgs(args));
const ROUNDS = 7;

async function podmanRun(): Promise<void> {
  const ws = trivialWorkspace('ce-bench-podman-run-');
  const image = podmanPythonImage();
  const r = validateConfiguration({ name: 'bench', daemon: 'podman', baseImage: image });
  if (!r.ok) throw new Error('bench configuration');
  const ours: number[] = [];
  const cli: number[] = [];
  // a back-end and client of its own, as each run of the extension opens (dockerDaemonProvider)
  const open = () => new DockerDaemonBackend(createDaemonClient({ id: 'podman', host: podmanHost(), timeoutMs: 60000 }), true);
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const round = await trivialRound({ cli: podman, open, config: r.config, image, ws, engine: 'Podman' });
      cli.push(round.cli);
      ours.push(round.ours);
    }
    const [o, c] = [median(ours.slice(1)), median(cli.slice(1))];
    console.log(`bench podman-run: vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} cli-ms=${c.toFixed(0)} files=21`);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

async function podmanList(client: DaemonClient): Promise<void> {
  const rawEngine = new RawEngine(podmanHost());
  const { count, prune } = await fill200(client, podmanBusyboxImage());
  try {
    if (count < 200) throw new Error(`only ${count} containers on Podman`);
    const ours = () => Promise.all([listContainers(client), listImages(client)]);
    // the floor: the same two requests in raw HTTP on the socket (Podman's own time to build the answers)
    const raw = () => Promise.all([rawEngine.request('GET', '/containers/json?all=1'), rawEngine.request('GET', '/images/json')]);
    // the two commands at once, as a user's two terminals (and our two lists) would run them
    const cli = () => Promise.all([podmanAsync('ps', '-a'), podmanAsync('images')]);
    const { ours: o, raw: w, cli: c } = await interleavedMedians({ raw, ours, cli });
    console.log(
      `bench podman-list: vs-cli=${(o / c).toFixed(2)} vs-raw=${(o / w).toFixed(2)} ours-ms=${o.toFixed(1)} raw-ms=${w.toFixed(1)} cli-ms=${c.toFixed(1)} containers=${count}`,
    );
  } finally {
    await prune();
    rawEngine.dispose();
  }
}

const client = createDaemonClient({ id: 'podman', host: podmanHost(), timeoutMs: 60000 });
runBenches(podmanRun, async () => {
  await podmanList(client);
  client.dispose();
});
