import { daemonTarget, dockerDaemonKind, type Configuration } from '../core';
import type { HostBackend } from './hostBackend';

/** The editor's check of a configuration that runs on its `daemon` (a daemon, a swarm manager). */
export const daemonFound = (c: Configuration, daemonIds: ReadonlySet<string>) =>
  daemonIds.has(c.daemon) ? [] : [{ field: 'daemon', message: `daemon not found: "${c.daemon}"` }];

export const dockerDaemonHost = {
  kind: dockerDaemonKind.descriptor.kind,
  provider: (daemons) => dockerDaemonKind.provider(async (id) => (await daemons.spec(id))?.daemon),
  // the daemon itself may hold containers of runs lost with it
  lostRunTarget: async (_hub, id) => daemonTarget(id),
  editorChecks: daemonFound,
} satisfies HostBackend;
