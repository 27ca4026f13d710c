// How a run's container is created on Podman: with the ulimits it would refuse completed from the daemon's
// defaults, and through Podman's own API when it needs CDI devices (podmanSpec.ts says why).
import type { Configuration } from '../../config/configurationSchema';
import type { DaemonClient } from '../../daemonClient';
import { createContainer, createPodmanContainer, inspectContainer, removeContainer } from '../../engine/containers';
import { endpointMemo } from '../../endpointMemo';
import { cdiDevices, podmanSpec, type CompatCreateBody } from './podmanSpec';

/** The limits Podman sets to 1048576 when a container's Ulimits name others but not these (4.3: specgen/generate/oci.go). */
const FILLED_BY_PODMAN = ['nofile', 'nproc'];

type Ulimit = { Name: string; Soft: number; Hard: number };

/** Creates a run's container on a Podman daemon; its id. */
export async function createOnPodman(client: DaemonClient, body: CompatCreateBody, c: Configuration): Promise<string> {
  // its GPUs go as CDI devices: DeviceRequests would be accepted and dropped
  const host = Object.fromEntries(Object.entries(body.HostConfig).filter(([k]) => k !== 'DeviceRequests'));
  const completed = await withDaemonUlimits(client, { ...body, HostConfig: host });
  const devices = cdiDevices(c);
  return devices.length ? createPodmanContainer(client, podmanSpec(completed, devices)) : createContainer(client, completed);
}

/**
 * Ulimits that name some limits but not nofile or nproc get those from the daemon's defaults (its
 * containers.conf `default_ulimits`), as a configuration without ulimits does: Podman would set them to
 * 1048576, above the hard limit of many hosts, and the start fails ("error setting rlimit type 6").
 */
async function withDaemonUlimits(client: DaemonClient, body: CompatCreateBody): Promise<CompatCreateBody> {
  const set = body.HostConfig.Ulimits as Ulimit[] | undefined;
  const missing = set?.length ? FILLED_BY_PODMAN.filter((n) => !set.some((u) => u.Name === n)) : [];
  if (!missing.length) return body;
  const defaults = await daemonDefaultUlimits(client, body);
  const added = defaults.filter((u) => missing.includes(u.Name));
  return added.length ? { ...body, HostConfig: { ...body.HostConfig, Ulimits: [...set!, ...added] } } : body;
}

/**
 * The ulimits the daemon gives a container created without any (not readable over the API otherwise): a
 * container made for the question, created, inspected and removed, once a minute per endpoint. It carries the
 * run's labels, so a client that dies before removing it leaves a lost run's container that cleanup finds.
 */
function daemonDefaultUlimits(client: DaemonClient, body: CompatCreateBody): Promise<Ulimit[]> {
  return endpointMemo('podman default ulimits', client.daemon, async () => {
    const name = `${body.name}-ulimits`;
    const id = await createContainer(client, { name, Image: body.Image, Cmd: ['true'], Labels: body.Labels, HostConfig: {} });
    try {
      const ulimits = (await inspectContainer(client, id)).HostConfig?.Ulimits ?? [];
      return ulimits.map((u) => ({ ...u, Name: u.Name.replace(/^RLIMIT_/, '').toLowerCase() }));
    } finally {
      await removeContainer(client, id);
    }
  });
}
