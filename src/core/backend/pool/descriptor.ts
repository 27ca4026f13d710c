import type { BackendDescriptor } from '../descriptor';

/** The kind of the pool back-end: a target of this kind is a configuration's name (its `pool` of daemons). */
export const DOCKER_POOL = 'docker-pool';

/** A configuration with a `pool` (and a name) runs on the least-loaded of its daemons. */
export const poolDescriptor: BackendDescriptor = {
  kind: DOCKER_POOL,
  noun: 'pool',
  targetIsOneDaemon: false,
  targetText: (id) => `pool "${id}"`,
  selects: (c) => (c.pool?.length && c.name ? c.name : undefined),
  refusals: () => [],
};
