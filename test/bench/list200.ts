// The 200-container lists of bench list-200 and bench podman-list: an engine filled to 200 containers, and
// the ways of listing it timed in interleaved rounds.
import { listContainers, type DaemonClient } from '../../src/core';
import { median } from '../support/bench';

/**
 * Creates exited containers of `image` on the client's engine until it holds 200, labelled with this process
 * (`prune` removes them); returns the count it holds.
 */
export async function fill200(client: DaemonClient, image: string): Promise<{ count: number; prune: () => Promise<unknown> }> {
  const docker = await client.docker();
  const want = Math.max(0, 200 - (await listContainers(client)).length);
  for (let i = 0; i < want; i += 20)
    await Promise.all(
      Array.from({ length: Math.min(20, want - i) }, (_, k) =>
        docker.createContainer({
          Image: image,
          Cmd: ['true'],
          Labels: { 'container-exec.bench': String(process.pid), 'container-exec.configuration': `cfg-${(i + k) % 7}` },
        }),
      ),
    );
  const prune = () => docker.pruneContainers({ filters: { label: [`container-exec.bench=${process.pid}`] } });
  return { count: (await listContainers(client)).length, prune };
}

/**
 * The median ms of each way, over 21 interleaved rounds of which the first is a warm-up, so that warm-up and
 * daemon-side caching favour none of them.
 */
export async function interleavedMedians<K extends string>(ways: Record<K, () => Promise<unknown>>): Promise<Record<K, number>> {
  const samples = Object.fromEntries(Object.keys(ways).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < 21; i++)
    for (const k of Object.keys(ways) as K[]) {
      const t0 = performance.now();
      await ways[k]();
      samples[k].push(performance.now() - t0);
    }
  return Object.fromEntries(Object.entries<number[]>(samples).map(([k, xs]) => [k, median(xs.slice(1))])) as Record<K, number>;
}
