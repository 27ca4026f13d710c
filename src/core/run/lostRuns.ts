import type { CallOptions, DaemonClient } from '../daemonClient';
import { listContainers, listImages, type ContainerSummary, type ImageSummary } from '../engine/lists';
import { LABELS, SWEEP_WORKSPACE_KIND } from '../labels';
import { workspaceLabel } from './recipe';

/** A container of a run of `mine` that no active run owns and was not kept on purpose. */
const lostContainer = (c: ContainerSummary, mine: string, activeRunIds: ReadonlySet<string>) =>
  c.labels[LABELS.workspace] === mine && c.labels[LABELS.run] && !c.labels[LABELS.kept] && !activeRunIds.has(c.labels[LABELS.run]!);

/**
 * Containers of runs of `workspaceDir` on this machine that are not among `activeRunIds` and were not
 * kept on purpose: left by runs lost with their daemon, or with VS Code (a workspace folder is open in
 * one window at most, so no other window owns them). `activeRunIds` also holds the runs whose outputs
 * are still in their container (a cut fetch): those containers are not lost, they wait for Fetch Run Outputs.
 * A sweep's seed container is one of them (its run label is the sweep's id: active while the sweep goes on).
 */
export async function findLostRunContainers(
  client: DaemonClient,
  workspaceDir: string,
  activeRunIds: ReadonlySet<string>,
  opts?: CallOptions,
): Promise<ContainerSummary[]> {
  return (await findLostLeftovers(client, workspaceDir, activeRunIds, opts)).containers;
}

/**
 * The lost run containers (findLostRunContainers) and the workspace images of this workspace's sweeps
 * that are not going on (`activeRunIds` holds the sweeps' ids too): left by a window closed mid-sweep, or
 * on a daemon lost before the sweep's end could remove them. An image a container that stays still uses
 * (a kept trial, outputs to fetch) is not lost; one only lost containers use goes once they are removed.
 */
export async function findLostLeftovers(
  client: DaemonClient,
  workspaceDir: string,
  activeRunIds: ReadonlySet<string>,
  opts?: CallOptions,
): Promise<{ containers: ContainerSummary[]; images: ImageSummary[] }> {
  const mine = workspaceLabel(workspaceDir);
  const [all, images] = await Promise.all([listContainers(client, opts), listImages(client, opts)]);
  const containers = all.filter((c) => lostContainer(c, mine, activeRunIds));
  const used = new Set(all.filter((c) => !containers.includes(c)).map((c) => c.imageId));
  return {
    containers,
    images: images.filter(
      (i) =>
        i.labels[LABELS.kind] === SWEEP_WORKSPACE_KIND &&
        i.labels[LABELS.workspace] === mine &&
        i.labels[LABELS.run] &&
        !activeRunIds.has(i.labels[LABELS.run]!) &&
        !used.has(i.id),
    ),
  };
}
