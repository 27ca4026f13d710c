import {
  daemonTarget,
  dockerDaemonKind,
  poolKind,
  swarmKind,
  swarmTarget,
  type BackendProvider,
  type DaemonHub,
  type RunTarget,
} from '../core';
import { budgetRefusal } from '../configurations/budgetSettings';
import type { ConfigurationsFeature } from '../configurations/configurationsFeature';
import type { DaemonsFeature } from '../daemons/daemonsFeature';

/** The host-side part of a back-end kind: how its targets are resolved from the settings, and when its lost runs are looked for. */
export interface HostBackend {
  /** The kind's provider, its target ids resolved from the daemons and configurations the user has. */
  provider(daemons: DaemonsFeature, configurations?: ConfigurationsFeature): BackendProvider;
  /** When daemon `daemonId` (re)connects: the target of this kind it stands for, whose lost runs are then offered for cleanup. */
  lostRunTarget?(hub: DaemonHub, daemonId: string): Promise<RunTarget | undefined>;
}

const dockerDaemonHost: HostBackend = {
  provider: (daemons) => dockerDaemonKind.provider(async (id) => (await daemons.spec(id))?.daemon),
  // the daemon itself may hold containers of runs lost with it
  lostRunTarget: async (_hub, id) => daemonTarget(id),
};

const swarmHost: HostBackend = {
  // a swarm is reached through its manager; its nodes' daemons are found among all the daemons known
  provider: (daemons) =>
    swarmKind.provider(
      (id) => daemons.spec(id),
      async () => (await daemons.sources()).specs,
    ),
  // a swarm manager may hold the services of swarm runs lost with it (or with VS Code)
  lostRunTarget: async (hub, id) => ((await hub.list(id, 'swarm')).membership.manager ? swarmTarget(id) : undefined),
};

// a pool target is a configuration's name: its daemons and the user's budget on it (containerExec.budgets);
// its lost runs are found through its daemons' own lines
const poolHost: HostBackend = {
  provider: (daemons, configurations) =>
    poolKind.provider(async (id) => {
      const catalog = configurations?.catalog.current();
      const config = catalog?.items.find((i) => i.config.name === id)?.config;
      if (!catalog || !config?.pool) return undefined;
      // an invalid budget refuses this pool's runs alone (the Configurations view shows it)
      const { budgets } = catalog;
      return {
        name: id,
        daemons: await Promise.all(config.pool.map(async (d) => ({ id: d, daemon: (await daemons.spec(d))?.daemon }))),
        budget: budgets.budgets.get(id),
        budgetError: budgetRefusal(budgets, id),
        stillConfigured: () => Boolean(configurations?.catalog.current().items.some((i) => i.config.name === id && i.config.pool)),
      };
    }),
};

/** One host-side table of back-end kinds, one line each (the core's list is `BACKEND_DESCRIPTORS`). */
export const HOST_BACKENDS: HostBackend[] = [dockerDaemonHost, swarmHost, poolHost];
