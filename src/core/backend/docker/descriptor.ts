import * as z from 'zod';
import type { BackendDescriptor } from '../descriptor';

/** The kind of the Docker-daemon back-end: a target of this kind is a daemon id. */
export const DOCKER_DAEMON = 'docker-daemon';

/** A daemon as a run target (old records, a daemon's lost runs). */
export const daemonTarget = (id: string) => ({ kind: DOCKER_DAEMON, id });

/** `daemon`: the daemon id runs go to (a swarm's manager on a swarm configuration). */
export const dockerDaemonFields = {
  daemon: z.string().min(1).default('local'),
};

/** The default back-end: any configuration no other kind selects runs on its `daemon`. */
export const dockerDaemonDescriptor = {
  kind: DOCKER_DAEMON,
  noun: 'daemon',
  targetIsOneDaemon: true,
  targetText: (id) => `daemon "${id}"`,
  selects: (c) => c.daemon,
  schema: dockerDaemonFields,
  refusals: () => [],
} satisfies BackendDescriptor;
