import * as vscode from 'vscode';
import { formatBytes, swarmKind, swarmTarget, type SwarmNode, type SwarmOverview, type SwarmTask } from '../core';
import { daemonFound } from './docker';
import type { DaemonsViewPart, HostBackend } from './hostBackend';

type Part = DaemonsViewPart<SwarmRow>;
type NodeRow = { kind: 'swarm-node'; part: Part; id: string; node: SwarmNode; tasks: SwarmTask[]; runs: Map<string, string> };
type RunRow = { kind: 'swarm-run'; part: Part; id: string; run: SwarmOverview['runs'][number]; nodes: SwarmNode[] };
type SwarmRow = NodeRow | RunRow;

/** A swarm manager's group in the Daemons view: the swarm's nodes, then its runs' services. */
const swarmDaemonsView: Part = {
  group: ['swarm', 'Swarm Nodes', 'server-environment'],
  // only on a swarm manager
  shows: (hub, id) =>
    hub.list(id, 'swarm').then(
      (s) => s.membership.manager,
      () => false,
    ),
  children: async (hub, id) => {
    const swarm = await hub.list(id, 'swarm');
    const runs = new Map(swarm.runs.map((r) => [r.service.id, r.service.name]));
    const tasks = swarm.runs.flatMap((r) => r.tasks).filter((t) => t.state === 'running' || t.desiredState === 'running');
    const part = swarmDaemonsView;
    return [
      ...swarm.nodes.map((n): NodeRow => ({ kind: 'swarm-node', part, id, node: n, tasks: tasks.filter((t) => t.nodeId === n.id), runs })),
      ...swarm.runs.map((run): RunRow => ({ kind: 'swarm-run', part, id, run, nodes: swarm.nodes })),
    ];
  },
  item: (row) => (row.kind === 'swarm-node' ? swarmNodeItem(row) : swarmRunItem(row)),
};

/** A swarm node: state, availability, role, CPUs, memory, generic resources, and the run tasks on it. */
function swarmNodeItem({ node: n, tasks, runs }: NodeRow): vscode.TreeItem {
  const item = new vscode.TreeItem(`${n.hostname || '?'} (${n.id.slice(0, 12)})`);
  const generic = Object.entries(n.generic).map(([k, v]) => `${k}×${v}`);
  const role = `${n.role}${n.leader ? ' (leader)' : ''}`;
  item.description = [
    n.state,
    n.availability,
    role,
    `${n.cpus} CPUs`,
    formatBytes(n.memoryBytes),
    ...generic,
    `${tasks.length} run task${tasks.length === 1 ? '' : 's'}`,
  ].join(' · ');
  item.tooltip = [
    `Node ${n.id} at ${n.addr}: ${n.state}, ${n.availability}, ${role}`,
    `${n.cpus} CPUs, ${formatBytes(n.memoryBytes)}${generic.length ? `, ${generic.join(', ')}` : ''}`,
    ...tasks.map((t) => `run ${runs.get(t.serviceId) ?? t.serviceId}: ${t.state}`),
  ].join('\n');
  item.iconPath = new vscode.ThemeIcon(
    n.state === 'ready' ? 'server' : 'server-process',
    n.state === 'ready' && n.availability === 'active' ? undefined : new vscode.ThemeColor('list.warningForeground'),
  );
  item.contextValue = 'swarmNode';
  return item;
}

/** A run's service: its task's state and node. */
function swarmRunItem(node: RunRow): vscode.TreeItem {
  const task = node.run.tasks[0];
  const where = task && node.nodes.find((n) => n.id === task.nodeId);
  const item = new vscode.TreeItem(node.run.service.name);
  item.description = task
    ? `${task.state}${where ? ` on ${where.hostname} (${where.id.slice(0, 12)})` : ''}${task.err ? ` · ${task.err}` : ''}`
    : 'no task yet';
  item.tooltip = `Run service ${node.run.service.name} (configuration ${node.run.service.labels['container-exec.configuration'] ?? '?'}, recipe ${node.run.service.labels['container-exec.recipe'] ?? '?'})${task ? `\nTask ${task.id.slice(0, 12)}: ${task.state} — ${task.err || task.message}` : ''}`;
  item.iconPath = new vscode.ThemeIcon(task?.state === 'running' ? 'play-circle' : 'clock');
  item.contextValue = 'swarmRun';
  return item;
}

export const swarmHost = {
  kind: swarmKind.descriptor.kind,
  // a swarm is reached through its manager; its nodes' daemons are found among all the daemons known
  provider: (daemons) =>
    swarmKind.provider(
      (id) => daemons.spec(id),
      async () => (await daemons.sources()).specs,
    ),
  // a swarm manager may hold the services of swarm runs lost with it (or with VS Code)
  lostRunTarget: async (hub, id) => ((await hub.list(id, 'swarm')).membership.manager ? swarmTarget(id) : undefined),
  daemonsView: swarmDaemonsView,
  // a swarm is reached through its manager: the configuration's daemon
  editorChecks: daemonFound,
} satisfies HostBackend;
