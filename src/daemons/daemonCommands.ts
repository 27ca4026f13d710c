import * as vscode from 'vscode';
import {
  createDaemonClient,
  DAEMONS_LIST,
  deleteEntry,
  findEntry,
  followContainerLogs,
  putEntry,
  removeContainer,
  removeImage,
  stopContainer,
  type DaemonDescriptionInput,
  type DaemonVersion,
  type EntryOrigin,
} from '../core';
import { withCancellableProgress } from '../progress';
import { prompts } from '../prompts';
import type { Services } from '../services';
import { askDaemon, askScope } from './daemonForm';
import { rawDaemons, SECTION, targetOf } from './daemonSources';
import type { DaemonTreeNode } from './daemonsTree';

type Node<K extends DaemonTreeNode['kind']> = Extract<DaemonTreeNode, { kind: K }>;

/** The daemon a command is about: the tree node it was invoked on, else a pick (default first). */
async function pickDaemon(s: Services, node: unknown, placeHolder: string): Promise<string | undefined> {
  if (node && typeof node === 'object' && 'id' in node && typeof node.id === 'string') return node.id;
  const { defaultDaemon } = await s.daemons.sources();
  const ids = s.daemons.hub.ids().sort((a, b) => (a === defaultDaemon ? -1 : b === defaultDaemon ? 1 : 0));
  if (ids.length === 1) return ids[0];
  const pick = await vscode.window.showQuickPick(
    ids.map((id) => ({ label: id, description: s.daemons.hub.spec(id)?.daemon.host, id })),
    { placeHolder },
  );
  return pick?.id;
}

/** Test Connection: ping + version of one daemon (the default one from the palette). */
async function testConnection(s: Services, node?: unknown): Promise<(DaemonVersion & { roundTripMs: number }) | undefined> {
  const id = node ? await pickDaemon(s, node, 'Daemon to test') : (await s.daemons.sources()).defaultDaemon;
  if (!id) return undefined; // the pick was dismissed
  const spec = s.daemons.hub.spec(id);
  if (!spec)
    throw new Error(
      `Daemon "${id}" is not configured: add it, or set containerExec.defaultDaemon to one of ${s.daemons.hub.ids().join(', ')}.`,
    );
  const client = createDaemonClient(spec.daemon);
  try {
    return await withCancellableProgress(`Container Exec: testing ${spec.daemon.host}`, async (signal) => {
      const r = await client.check({ signal });
      const text = `${spec.daemon.label ?? spec.daemon.id} (${spec.daemon.host}): ${r.summary}`;
      s.log.info(`Test Connection: ${text}`);
      void vscode.window.showInformationMessage(text);
      void s.daemons.hub.connect(spec.daemon.id); // the tree and status bar learn the result too
      return r;
    });
  } finally {
    client.dispose();
  }
}

const whereOf = (target: vscode.ConfigurationTarget) =>
  target === vscode.ConfigurationTarget.Workspace ? 'workspace settings' : 'user settings';

/**
 * Add Daemon / Edit Connection: the quick-input form, a connection test, then one settings update, at
 * the entry it was read from (`origin`) or appended.
 */
async function saveDaemon(
  s: Services,
  existing?: { daemon: DaemonDescriptionInput; target: vscode.ConfigurationTarget; origin?: EntryOrigin },
): Promise<void> {
  const taken = new Set(s.daemons.hub.ids());
  const daemon = await askDaemon(existing?.daemon, taken);
  if (!daemon) return;
  const client = createDaemonClient(daemon);
  let failure: string | undefined;
  await withCancellableProgress(`Testing ${daemon.host}`, (signal) =>
    client.version({ signal }).catch((e: Error) => (failure = e.message)),
  );
  client.dispose();
  if (failure) {
    const choice = await vscode.window.showWarningMessage(`${daemon.host}: ${failure}`, 'Save Anyway', 'Cancel');
    if (choice !== 'Save Anyway') return;
  }
  const target = existing?.target ?? (await askScope());
  if (target === undefined) return;
  await vscode.workspace
    .getConfiguration(SECTION)
    .update('daemons', putEntry(rawDaemons(target), DAEMONS_LIST, whereOf(target), daemon, existing?.origin), target);
  s.log.info(`Saved daemon ${daemon.id} (${daemon.host}) in ${whereOf(target)}`);
}

async function editDaemon(s: Services, node?: unknown): Promise<void> {
  const id = await pickDaemon(s, node, 'Daemon to edit');
  const spec = id ? s.daemons.hub.spec(id) : undefined;
  if (!spec) return;
  // the entry as written (not the parsed one, which has defaults filled in): keys the form does not ask about stay
  if (spec.source === 'user' || spec.source === 'workspace')
    return saveDaemon(s, {
      daemon: (spec.origin?.raw as DaemonDescriptionInput | undefined) ?? spec.daemon,
      target: targetOf(spec.source),
      origin: spec.origin,
    });
  // a discovered daemon becomes a configured one
  return saveDaemon(s, {
    daemon: { ...spec.daemon, id: spec.daemon.id.replace(/^context:/, '') },
    target: vscode.ConfigurationTarget.Global,
  });
}

async function removeDaemon(s: Services, node?: unknown): Promise<void> {
  const id = await pickDaemon(s, node, 'Daemon to remove');
  const spec = id ? s.daemons.hub.spec(id) : undefined;
  if (!id || !spec) return;
  if (spec.source !== 'user' && spec.source !== 'workspace') {
    void vscode.window.showInformationMessage(
      `${id} is discovered from ${spec.source === 'context' ? 'a Docker context' : 'the environment'}; there is nothing to remove from settings.`,
    );
    return;
  }
  const { defaultDaemon } = await s.daemons.sources();
  const warn = id === defaultDaemon ? ' It is the default daemon.' : '';
  // a quick pick, not a modal dialog: answerable from the keyboard and by the in-host tests (Cancel is selected first)
  const confirm = await prompts.choose(
    `Remove daemon "${id}" (${spec.daemon.host}) from ${spec.source} settings?${warn}`,
    'Remove Daemon',
    ['Cancel', 'Remove'],
  );
  if (confirm !== 'Remove') return;
  const target = targetOf(spec.source);
  if (!spec.origin) throw new Error(`Daemon "${id}": where it was read from in ${whereOf(target)} is unknown; remove it in settings.json`);
  await vscode.workspace
    .getConfiguration(SECTION)
    .update('daemons', deleteEntry(rawDaemons(target), DAEMONS_LIST, whereOf(target), spec.origin), target);
}

async function importDockerContexts(s: Services): Promise<number> {
  const { discovered } = await s.daemons.reload();
  const contexts = discovered.filter((d) => d.source === 'context');
  if (!contexts.length) {
    void vscode.window.showInformationMessage(
      'No Docker contexts or Podman connections found (docker context ls and podman system connection list list them; DOCKER_CONFIG and CONTAINERS_CONF are honoured).',
    );
    return 0;
  }
  const picks = await vscode.window.showQuickPick(
    contexts.map((d) => ({ label: d.context, description: d.daemon.host, detail: d.description, picked: true, d })),
    { canPickMany: true, title: 'Import Docker Contexts and Podman Connections into user settings' },
  );
  if (!picks?.length) return 0;
  // a context imported before is updated in place; an id held by an invalid entry is refused
  let value = rawDaemons(vscode.ConfigurationTarget.Global);
  for (const { d } of picks)
    value = putEntry(
      value,
      DAEMONS_LIST,
      'user settings',
      { ...d.daemon, id: d.context, label: d.context },
      findEntry(value, DAEMONS_LIST, d.context),
    );
  await vscode.workspace.getConfiguration(SECTION).update('daemons', value, vscode.ConfigurationTarget.Global);
  return picks.length;
}

async function setDefaultDaemon(s: Services, node?: unknown): Promise<void> {
  const id = await pickDaemon(s, node, 'Default daemon');
  if (id) await vscode.workspace.getConfiguration(SECTION).update('defaultDaemon', id, vscode.ConfigurationTarget.Global);
}

async function copyHost(s: Services, node?: unknown): Promise<void> {
  const id = await pickDaemon(s, node, 'Daemon');
  const host = id ? s.daemons.hub.spec(id)?.daemon.host : undefined;
  if (host) await vscode.env.clipboard.writeText(host);
}

async function refresh(s: Services, node?: unknown): Promise<void> {
  const id = node && typeof node === 'object' && 'id' in node && typeof node.id === 'string' ? node.id : undefined;
  if (!id) await s.daemons.reload();
  await s.daemons.hub.refresh(id);
}

async function openDaemonSettings(_s: Services, node?: unknown): Promise<void> {
  const scope = (node as Node<'invalid'> | undefined)?.entry?.scope;
  await vscode.commands.executeCommand(
    scope === 'workspace' ? 'workbench.action.openWorkspaceSettingsFile' : 'workbench.action.openSettingsJson',
  );
}

const logFollowers = new Map<string, AbortController>();

/** Show Logs: follows the container's output into its own output channel until it stops. */
async function showContainerLogs(s: Services, node: Node<'container'>): Promise<void> {
  const client = s.daemons.hub.client(node.id);
  if (!client) return;
  const key = `${node.id}/${node.container.id}`;
  logFollowers.get(key)?.abort();
  const ctl = new AbortController();
  logFollowers.set(key, ctl);
  const channel = s.logChannels.get(`Container Exec: ${node.container.name} (${node.id})`);
  channel.clear();
  channel.show(true);
  try {
    await followContainerLogs(client, node.container.id, (text) => channel.append(text), ctl.signal);
    if (!ctl.signal.aborted) channel.appendLine(`--- ${node.container.name} stopped ---`);
  } catch (e) {
    if (!ctl.signal.aborted) channel.appendLine(`--- ${(e as Error).message} ---`);
  } finally {
    if (logFollowers.get(key) === ctl) logFollowers.delete(key);
  }
}

async function containerAction(s: Services, node: Node<'container'>, verb: 'Stop' | 'Remove'): Promise<void> {
  const client = s.daemons.hub.client(node.id);
  if (!client) return;
  if (
    verb === 'Remove' &&
    (await vscode.window.showWarningMessage(`Remove container ${node.container.name} on ${node.id}?`, { modal: true }, 'Remove')) !==
      'Remove'
  )
    return;
  await withCancellableProgress(`${verb === 'Stop' ? 'Stopping' : 'Removing'} ${node.container.name}`, (signal) =>
    verb === 'Stop' ? stopContainer(client, node.container.id, { signal }) : removeContainer(client, node.container.id, { signal }),
  );
}

async function removeImageCommand(s: Services, node: Node<'image'>): Promise<void> {
  const client = s.daemons.hub.client(node.id);
  const name = node.image.tags[0] ?? node.image.id;
  if (!client || (await vscode.window.showWarningMessage(`Remove image ${name} on ${node.id}?`, { modal: true }, 'Remove')) !== 'Remove')
    return;
  await withCancellableProgress(`Removing ${name}`, (signal) => removeImage(client, node.image.id, { signal }));
}

/** The daemon commands, for the one registration table in commands.ts. */
export const DAEMON_COMMANDS = {
  'containerExec.addDaemon': (s: Services) => saveDaemon(s),
  'containerExec.editDaemon': editDaemon,
  'containerExec.removeDaemon': removeDaemon,
  'containerExec.testConnection': testConnection,
  'containerExec.refreshDaemons': refresh,
  'containerExec.retryDaemon': refresh,
  'containerExec.importDockerContexts': importDockerContexts,
  'containerExec.setDefaultDaemon': setDefaultDaemon,
  'containerExec.copyDaemonHost': copyHost,
  'containerExec.openDaemonSettings': openDaemonSettings,
  'containerExec.showContainerLogs': showContainerLogs,
  'containerExec.stopContainer': (s: Services, n: Node<'container'>) => containerAction(s, n, 'Stop'),
  'containerExec.removeContainer': (s: Services, n: Node<'container'>) => containerAction(s, n, 'Remove'),
  'containerExec.removeImage': removeImageCommand,
};
