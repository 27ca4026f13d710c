import { createDaemonClient, type DaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import type { DaemonSource } from '../../daemonHub';
import { swarmMembership, type SwarmMembership } from '../../engine/swarm';
import { untilAborted } from '../../untilAborted';

/** How long a daemon's swarm membership, once asked, is taken as known (a daemon seldom leaves or joins a swarm). */
const MEMBERSHIP_FRESH_MS = 30000;
const memberships = new Map<string, { at: number; answer: Promise<SwarmMembership> }>();

/**
 * A daemon's swarm membership (its /info: slow, ~100-300 ms with runs starting), asked once for every run
 * starting meanwhile and remembered for MEMBERSHIP_FRESH_MS while it is an active one; a remembered one is
 * still pinged (a cheap call): a daemon that does not answer now is no node a run can be reached on.
 */
export async function membershipOf(client: DaemonClient, opts: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<SwarmMembership> {
  const key = JSON.stringify(client.daemon);
  let entry = memberships.get(key);
  const remembered = !opts.fresh && entry && Date.now() - entry.at < MEMBERSHIP_FRESH_MS;
  if (!remembered) {
    // asked without any one run's signal, as it is shared (the call has its deadline): each stops at its own
    const asked = { at: Date.now(), answer: swarmMembership(client) };
    const forget = () => memberships.get(key) === asked && memberships.delete(key);
    asked.answer.then((m) => m.state !== 'active' && forget(), forget);
    memberships.set(key, (entry = asked));
  }
  const [membership] = await Promise.all([
    untilAborted(entry!.answer, opts.signal),
    remembered ? client.ping({ signal: opts.signal }) : undefined,
  ]);
  return membership;
}

/** A daemon the extension knows, and the settings (or discovery) its definition came from. */
export interface KnownDaemon {
  daemon: DaemonDescriptionInput | DaemonDescription;
  source: DaemonSource;
}

/** A node whose daemon the extension reaches: the task container's calls go through it. */
export interface NodeDaemon {
  client: DaemonClient;
  /** The client is this back-end's (not the manager's): disposed with it. */
  owned: boolean;
}

/** Node id → its daemon; and the nodes some daemon claims but that no run may use, with why. */
export interface NodeDaemons {
  reach: Map<string, NodeDaemon>;
  refused: Map<string, string>;
}

/**
 * Whether a daemon may stand for a node of a swarm: /info's node id is the daemon's own word, so a
 * daemon from workspace settings (a repository's input) may not receive the workspace and images of a
 * swarm the user configured; it may for a swarm whose manager the workspace itself defines.
 */
export const mayServeNode = (source: DaemonSource, managerSource: DaemonSource): boolean =>
  source !== 'workspace' || managerSource === 'workspace';

/** Two entries with the same connection are one daemon (only their ids differ). */
const endpoint = (c: DaemonClient) => JSON.stringify([c.daemon.host, c.daemon.tls, c.daemon.ssh]);
const named = (c: DaemonClient) => `daemon "${c.daemon.id}" (${c.host})`;

/**
 * The daemons of the manager's swarm's nodes, among `known` (each asked its /info, except the manager's
 * own entry). The manager stands for its own node. A node claimed by two daemons with different
 * connections is refused, naming both (the extension cannot tell which one is that node), as is one
 * claimed only by daemons that may not serve it (mayServeNode).
 */
export async function findNodeDaemons(
  manager: DaemonClient,
  managerSource: DaemonSource,
  known: KnownDaemon[],
  fresh: boolean,
): Promise<NodeDaemons> {
  const { nodeId: own } = await membershipOf(manager, { fresh });
  const claims = new Map<string, { client: DaemonClient; trusted: boolean }[]>();
  await Promise.all(
    known
      .filter((k) => k.daemon.id !== manager.daemon.id)
      .map(async (k) => {
        const client = createDaemonClient(k.daemon);
        const nodeId = await membershipOf(client, { fresh }).then(
          (m) => m.nodeId,
          () => undefined,
        );
        if (!nodeId) return client.dispose();
        const trusted = mayServeNode(k.source, managerSource);
        claims.set(nodeId, [...(claims.get(nodeId) ?? []), { client, trusted }]);
      }),
  );
  const reach = new Map<string, NodeDaemon>();
  const refused = new Map<string, string>();
  if (own) reach.set(own, { client: manager, owned: false });
  for (const [nodeId, all] of claims) {
    const trusted = all.filter((c) => c.trusted).map((c) => c.client);
    const distinct = [...new Map(trusted.map((c) => [endpoint(c), c])).values()];
    const chosen = nodeId === own ? undefined : distinct.length === 1 ? distinct[0] : undefined;
    if (chosen) reach.set(nodeId, { client: chosen, owned: true });
    else if (nodeId !== own && distinct.length > 1)
      refused.set(
        nodeId,
        `${distinct.map(named).join(' and ')} each say they are that node: the extension cannot tell which one is; remove the wrong entry from containerExec.daemons`,
      );
    else if (nodeId !== own && all.length)
      refused.set(
        nodeId,
        `${all.map((c) => named(c.client)).join(' and ')} from workspace settings say${all.length > 1 ? '' : 's'} it is that node, but workspace settings cannot name the nodes of a swarm whose manager is not theirs; define that daemon in user settings`,
      );
    for (const c of all) if (c.client !== chosen) c.client.dispose();
  }
  return { reach, refused };
}
