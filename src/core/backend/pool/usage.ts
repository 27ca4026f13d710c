import type { CallOptions, DaemonClient } from '../../daemonClient';
import { labelledContainers } from '../../engine/pool';
import { LABELS } from '../../labels';
import { usageOf, type Usage } from './budget';

/**
 * One user's runs of a pool on one daemon, counted from its labelled containers (claims and run
 * containers, created or running, one per run id): run id → its request label. Only labels are read,
 * so every window and machine sharing the daemon counts the same runs.
 */
export async function userRunsOn(client: DaemonClient, pool: string, user: string, opts: CallOptions = {}) {
  return userRunsIn(await labelledContainers(client, LABELS.pool, pool, opts), pool, user);
}

/** The same count from containers already at hand (a daemon's load cache). */
export function userRunsIn(containers: Iterable<{ state: string; labels: Record<string, string> }>, pool: string, user: string) {
  const runs = new Map<string, string | undefined>();
  for (const c of containers)
    if (
      c.labels[LABELS.pool] === pool &&
      c.labels[LABELS.user] === user &&
      (c.state === 'created' || c.state === 'running') &&
      c.labels[LABELS.run]
    )
      runs.set(c.labels[LABELS.run]!, c.labels[LABELS.request]);
  return runs;
}

/** A user's usage of a pool over its daemons (an unreachable one counts nothing, as in admission). */
export async function poolUsage(clients: DaemonClient[], pool: string, user: string, opts: CallOptions = {}): Promise<Usage> {
  const all = new Map<string, string | undefined>();
  const each = await Promise.all(clients.map((c) => userRunsOn(c, pool, user, opts).catch(() => new Map<string, string | undefined>())));
  for (const m of each) for (const [k, v] of m) all.set(k, v);
  return usageOf(all.values());
}
