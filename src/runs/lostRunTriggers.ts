import { daemonTarget, swarmTarget, type DaemonHub, type RunTarget } from '../core';

/**
 * The host-side table of lost-run triggers, one line per back-end kind that has one: when a daemon
 * (re)connects, each line names the target of its kind that daemon stands for, if any, whose lost runs
 * are then offered for cleanup. A pool has none: its daemons' own lines find its runs' containers.
 */
export const LOST_RUN_TRIGGERS: ((hub: DaemonHub, daemonId: string) => Promise<RunTarget | undefined>)[] = [
  // the daemon itself may hold containers of runs lost with it
  async (_hub, id) => daemonTarget(id),
  // a swarm manager may hold the services of swarm runs lost with it (or with VS Code)
  async (hub, id) => ((await hub.list(id, 'swarm')).membership.manager ? swarmTarget(id) : undefined),
];
