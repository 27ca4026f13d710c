import type { BackendDescriptor, RunTarget, TargetFields } from './descriptor';
import { dockerDaemonDescriptor } from './docker/descriptor';
import { poolDescriptor } from './pool/descriptor';
import { swarmDescriptor } from './swarm/descriptor';

/** Every back-end kind, one line each; asked in order by `targetOf`, so the daemon (it takes any configuration) comes last. */
export const BACKEND_DESCRIPTORS = [
  poolDescriptor,
  swarmDescriptor,
  dockerDaemonDescriptor,
] as const satisfies readonly BackendDescriptor[];

/** The descriptor of a kind; undefined for a kind this version does not know (a record from a newer one). */
export const descriptorOf = (kind: string): BackendDescriptor | undefined =>
  (BACKEND_DESCRIPTORS as readonly BackendDescriptor[]).find((d) => d.kind === kind);

/** A configuration's target: its pool when it has one, the swarm it manages with `swarm`, else its daemon. */
export function targetOf(c: TargetFields): RunTarget {
  for (const d of BACKEND_DESCRIPTORS) {
    const id = d.selects(c);
    if (id !== undefined) return { kind: d.kind, id };
  }
  return { kind: dockerDaemonDescriptor.kind, id: c.daemon };
}

/** A target in words: `daemon "local"`, `swarm of manager "m1"`, `pool "gpu-pool"`. */
export const targetText = (t: RunTarget): string => descriptorOf(t.kind)?.targetText(t.id) ?? `${t.kind} "${t.id}"`;

/** True when the target is one daemon (not a swarm or pool of them). */
export const targetIsOneDaemon = (t: RunTarget): boolean => descriptorOf(t.kind)?.targetIsOneDaemon ?? false;

/** What a lost-run notice calls the target: "daemon" or "target". */
export const targetNoun = (t: RunTarget): string => (targetIsOneDaemon(t) ? 'daemon' : 'target');
