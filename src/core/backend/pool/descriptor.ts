import * as z from 'zod';
import type { BackendDescriptor, Refusal } from '../descriptor';

/** The kind of the pool back-end: a target of this kind is a configuration's name (its `pool` of daemons). */
export const DOCKER_POOL = 'docker-pool';

/** `pool`: a pool of daemon ids instead of one daemon: each run is placed on the least-loaded one that can take it. */
export const poolFields = {
  pool: z
    .array(z.string().min(1, { error: 'pool: a daemon id must not be empty' }), {
      error: 'pool must be a list of daemon ids like ["local", "gpu-box"]',
    })
    .min(1, { error: 'pool must name at least one daemon' })
    .refine((ids) => new Set(ids).size === ids.length, { message: 'pool names a daemon twice' })
    .optional(),
};

/**
 * Exactly one of `daemon` and `pool`: the parsed configuration always has a daemon (its default), so
 * only the entry as written tells whether both were given.
 */
function daemonAndPool(raw: Record<string, unknown>): Refusal[] {
  if (raw.daemon === undefined || raw.pool === undefined) return [];
  const name = typeof raw.name === 'string' && raw.name ? JSON.stringify(raw.name) : '(unnamed)';
  return [
    {
      field: 'daemon',
      message: `daemon and pool: configuration ${name} gives both "daemon" (${JSON.stringify(raw.daemon)}) and "pool" (${JSON.stringify(raw.pool)}): give exactly one (a pool places each run on one of its daemons, a daemon takes every run), and remove the other`,
    },
  ];
}

/** A configuration with a `pool` (and a name) runs on the least-loaded of its daemons. */
export const poolDescriptor = {
  kind: DOCKER_POOL,
  noun: 'pool',
  targetIsOneDaemon: false,
  targetText: (id) => `pool "${id}"`,
  selects: (c) => (c.pool?.length && c.name ? c.name : undefined),
  schema: poolFields,
  refusals: () => [],
  entryRefusals: daemonAndPool,
} satisfies BackendDescriptor;
