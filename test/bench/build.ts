// `npm run bench` (plain node, testbed's primary daemon):
//   bench build: the same context and Dockerfile built through our core vs `docker build` (legacy builder,
//     as the daemon's API does), --no-cache both, interleaved, medians of the same run; and vs the raw floor:
//     the context tar made before the clock, POST /build over the socket, its stream read to the end.
//   bench build-context: a 200 MB folder whose .dockerignore excludes most of it: what is sent.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildImage, createDaemonClient, packContext } from '../../src/core';
import { median, rotated, runBenches, spread } from '../support/bench';
import { need } from '../support/testbed';
import { RawEngine, tarOf } from './rawEngine';

/** Rounds of each (the first one a warm-up): a build's time swings by a tenth with the machine's load. */
const ROUNDS = 11;

async function buildBench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-build-'));
  fs.mkdirSync(path.join(dir, 'files'));
  const blob = Buffer.alloc(256 * 1024, 3);
  for (let i = 0; i < 80; i++) fs.writeFileSync(path.join(dir, 'files', `f${i}.bin`), blob); // 20 MB
  // labelled: each build untags the last one's image, which the bench removes with the three it tagged
  const label = `container-exec.bench=${process.pid}`;
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${need('BUSYBOX_IMAGE')}\nLABEL ${label}\nCOPY files /files\nRUN du -s /files && echo built\n`,
  );
  const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST'), timeoutMs: 60000 });
  const ours: number[] = [];
  const cli: number[] = [];
  const raw: number[] = [];
  const rawEngine = new RawEngine(need('DOCKER_LOCAL_HOST'));
  const tar = tarOf(dir);
  try {
    await rotated(ROUNDS, [
      async () => {
        const t0 = performance.now();
        const answer = await rawEngine.request('POST', '/build?t=local%2Fce-bench-raw%3A1&nocache=1', tar, {
          'Content-Type': 'application/x-tar',
        });
        raw.push(performance.now() - t0);
        if (!answer.body.includes('built') || answer.body.includes('errorDetail')) throw new Error('the raw build failed');
      },
      async () => {
        const t0 = performance.now();
        execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'build', '-q', '--no-cache', '-t', 'local/ce-bench-cli:1', dir], {
          stdio: 'ignore',
          env: { ...process.env, DOCKER_BUILDKIT: '0' },
        });
        cli.push(performance.now() - t0);
      },
      async () => {
        const t0 = performance.now();
        const packed = await packContext(dir);
        await buildImage(client, packed.stream, {
          tag: 'local/ce-bench-ours:1',
          labels: {},
          noCache: true,
          signal: new AbortController().signal,
          onLine: () => undefined,
        });
        ours.push(performance.now() - t0);
      },
    ]);
    const [o, c, w] = [median(ours.slice(1)), median(cli.slice(1)), median(raw.slice(1))];
    console.log(
      `bench build: vs-raw=${(o / w).toFixed(2)} vs-cli=${(o / c).toFixed(2)} ours-ms=${o.toFixed(0)} raw-ms=${w.toFixed(0)} cli-ms=${c.toFixed(0)} context-mb=20 ` +
        `rounds=${ROUNDS - 1} spread-ms=ours:${spread(ours.slice(1))},raw:${spread(raw.slice(1))},cli:${spread(cli.slice(1))}`,
    );
  } finally {
    const docker = (...args: string[]) => execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), ...args], { stdio: 'ignore' });
    docker('rmi', '-f', 'local/ce-bench-cli:1', 'local/ce-bench-ours:1', 'local/ce-bench-raw:1');
    docker('image', 'prune', '-f', '--filter', `label=${label}`);
    client.dispose();
    rawEngine.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function contextBench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-ctx-'));
  fs.mkdirSync(path.join(dir, 'data'));
  const mb = Buffer.alloc(1024 * 1024, 5);
  for (let i = 0; i < 195; i++) fs.writeFileSync(path.join(dir, 'data', `blob-${i}.bin`), mb);
  fs.mkdirSync(path.join(dir, 'src'));
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, 'src', `keep-${i}.bin`), mb);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY src /src\n');
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'data\n');
  try {
    const packed = await packContext(dir);
    const t0 = performance.now();
    await new Promise((r) => packed.stream.on('end', r).resume());
    console.log(
      `bench build-context: sent-mb=${(packed.sentBytes() / 1e6).toFixed(1)} total-mb=${(200 * 1.048576).toFixed(1)} pack-ms=${(performance.now() - t0).toFixed(0)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runBenches(buildBench, contextBench);
