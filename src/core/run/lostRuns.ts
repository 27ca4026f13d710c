import type { CallOptions, DaemonClient } from '../daemonClient';
import { listContainers, type ContainerSummary } from '../engine/lists';
import { LABELS } from '../labels';
import { workspaceLabel } from './recipe';

/**
 * Containers of runs of `workspaceDir` on this machine that are not among `activeRunIds` and were not
 * kept on purpose: left by runs lost with their daemon, or with VS Code (a workspace folder is open in
 * one window at most, so no other window owns them). `activeRunIds` also holds the runs whose outputs
 * are still in their container (a cut fetch): those containers are not lost, they wait for Fetch Run Outputs.
 */
export async function findLostRunContainers(
  client: DaemonClient,
  workspaceDir: string,
  activeRunIds: ReadonlySet<string>,
  opts?: CallOptions,
): Promise<ContainerSummary[]> {
  const mine = workspaceLabel(workspaceDir);
  return (await listContainers(client, opts)).filter(
    (c) =>
      c.labels[LABELS.workspace] === mine && c.labels[LABELS.run] && !c.labels[LABELS.kept] && !activeRunIds.has(c.labels[LABELS.run]!),
  );
}
