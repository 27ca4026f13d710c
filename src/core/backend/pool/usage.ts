import type { CallOptions, DaemonClient } from '../../daemonClient';
import { labelledContainers, type Reservation } from '../../engine/pool';
import type { DaemonInfo } from '../../engineTypes';
import { LABELS } from '../../labels';
import { usageOf, type Usage } from './budget';
import { runsAmong, type PoolContainer } from './claims';
import { loadOf, type Load } from './placement';

/**
 * One user's runs of a pool on one daemon, counted from its labelled containers (claims and run
 * containers, created or running, one per run id; claims past their age bound do not count): run id →
 * its request label. Only labels are read, so every window and machine sharing the daemon counts the same runs.
 */
export async function userRunsOn(client: DaemonClient, pool: string, user: string, opts: CallOptions = {}) {
  const listed = await labelledContainers(client, LABELS.pool, pool, opts);
  return userRunsIn(
    listed.map((c) => ({ ...c, createdMs: c.createdSec * 1000 })),
    pool,
    user,
  );
}

/** The same count from containers already at hand (a daemon's load cache). */
export function userRunsIn(containers: Iterable<PoolContainer>, pool: string, user: string) {
  return new Map([...runsAmong(containers, pool, user).runs].map(([id, r]) => [id, r.request]));
}

/** A user's usage of a pool over its daemons (an unreachable one counts nothing, as in admission). */
export async function poolUsage(clients: DaemonClient[], pool: string, user: string, opts: CallOptions = {}): Promise<Usage> {
  const all = new Map<string, string | undefined>();
  const each = await Promise.all(clients.map((c) => userRunsOn(c, pool, user, opts).catch(() => new Map<string, string | undefined>())));
  for (const m of each) for (const [k, v] of m) all.set(k, v);
  return usageOf(all.values());
}

/** A pool daemon's load as the views show it: placement's free capacity, and the runs there (all users', this user's). */
export interface DaemonLoad extends Load {
  runs: number;
  yours: number;
}

/** The load from the same reading placement ranks by (/info and the running containers' reservations). */
export function daemonLoad(
  id: string,
  info: Pick<DaemonInfo, 'cpus' | 'memTotalBytes'>,
  reservations: Reservation[],
  user: string,
): DaemonLoad {
  const runs = reservations.filter((r) => r.labels[LABELS.run]);
  return {
    ...loadOf({ id, info, reservations, placed: new Map(), userRuns: 0 }),
    runs: runs.length,
    yours: runs.filter((r) => r.labels[LABELS.user] === user).length,
  };
}

const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
const cpus = (n: number) => String(Math.round(n * 100) / 100);
/** "1.5 of 4 CPUs, 2.0 of 7.8 GB free · 2 runs (1 yours)" */
export const daemonLoadText = (l: DaemonLoad) =>
  `${cpus(l.freeCpus)} of ${l.cpus} CPUs, ${gb(l.freeMemoryBytes)} of ${gb(l.memoryBytes)} GB free · ${l.runs} run${l.runs === 1 ? '' : 's'} (${l.yours} yours)`;
