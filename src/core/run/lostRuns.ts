import type { CallOptions, DaemonClient } from '../daemonClient';
import { listContainers, type ContainerSummary } from '../engineLists';
import { LABELS } from '../labels';

/** Containers made by runs (labelled with a run id) that are not among `activeRunIds`: left by runs lost with their daemon. */
export async function findLostRunContainers(client: DaemonClient, activeRunIds: ReadonlySet<string>, opts?: CallOptions): Promise<ContainerSummary[]> {
  return (await listContainers(client, opts)).filter((c) => c.labels[LABELS.run] && !activeRunIds.has(c.labels[LABELS.run]!));
}
