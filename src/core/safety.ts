import { lstat, mkdir, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import type { Configuration } from './config/configurationSchema';
import type { DaemonDescription } from './daemonDescription';

/**
 * Checks at the places where outside input turns into programs, paths or secrets on the wire. A
 * cloned repository's settings are outside input: they may name files and daemons, never run local
 * programs or reach files beyond the workspace.
 */

/** Every occurrence of every secret replaced by ***: error texts from daemons and registries may echo them. */
export function redactSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** One argument for a POSIX shell: single-quoted, an embedded ' closed, escaped and reopened. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Why a daemon entry from workspace settings is not used: it would run a local program, or use a key file, of the repository's choosing. */
export function workspaceDaemonRefusal(d: DaemonDescription): string | undefined {
  const fields = (['command', 'configFile', 'identityFile'] as const).filter((k) => d.ssh?.[k] !== undefined);
  if (!fields.length) return undefined;
  const what = fields.includes('identityFile')
    ? 'run a program or use a key file the repository chose'
    : 'run a program the repository chose';
  return `ssh.${fields.join(' and ssh.')} (${fields.map((k) => `"${d.ssh![k]}"`).join(', ')}) of daemon "${d.id}" comes from workspace settings: it would make VS Code ${what}, so this daemon is not used. Define it in your user settings instead.`;
}

/** Ulimits that grant rather than bound: real-time and raised scheduling priority, locked memory. */
const GRANTING_ULIMITS = new Map([
  ['rtprio', 'real-time scheduling'],
  ['nice', 'a raised scheduling priority'],
  ['memlock', 'locked (unswappable) memory'],
]);

/** The network modes that give a container more than its own network: the host's, or another container's. */
const widensNetwork = (mode: string) => mode === 'host' || mode.startsWith('container:');

/** What a workspace configuration asks for beyond limits, each naming its field; empty when it only limits. */
function workspaceGrants(c: Configuration): string[] {
  const grants: string[] = [];
  for (const [name, u] of Object.entries(c.resources.ulimits ?? {})) {
    const granted = GRANTING_ULIMITS.get(name);
    if (granted) grants.push(`resources.ulimits.${name} (it grants ${granted})`);
    else if (u.hard === -1 || u.soft === -1) grants.push(`resources.ulimits.${name} = -1 (unlimited is not a limit)`);
  }
  if (c.network && widensNetwork(c.network))
    grants.push(`network "${c.network}" (it shares a network namespace beyond the container's own)`);
  return grants;
}

/** Why a configuration from workspace settings is not used: a repository's settings may limit a container, never widen it. */
export function workspaceConfigurationRefusal(c: Configuration): string | undefined {
  const grants = workspaceGrants(c);
  if (!grants.length) return undefined;
  return `${grants.join(' and ')} of configuration "${c.name}" comes from workspace settings: a repository's settings may limit a container, not widen what it may do, so this configuration is not used. Define it in your user settings instead.`;
}

/** The run id format of newRunId (20261128-041502-a3f9). */
export const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

export function checkRunId(id: string, field = 'runId'): void {
  if (!RUN_ID.test(id))
    throw new Error(
      `${field} "${id}" is not a run id like 20261128-041502-a3f9 (it names a folder under .container-exec/runs; leave it out and one is made)`,
    );
}

/** `p` with symlinks resolved, or the nearest existing ancestor's real path joined with the rest. */
async function realPathOf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(await realPathOf(parent), path.basename(p));
  }
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * The real path (symlinks resolved) of `value` (relative to `root`, or absolute), which must lie inside
 * `root`'s real path. The error names the field, the value and where it really leads.
 */
export async function pathInside(root: string, value: string, field: string): Promise<string> {
  const realRoot = await realPathOf(root);
  const real = await realPathOf(path.resolve(root, value));
  if (!inside(realRoot, real))
    throw new Error(
      `${field} "${value}" leads outside the workspace (${real} is not inside ${realRoot}): workspace settings may only use files of the workspace`,
    );
  return real;
}

/**
 * Creates <workspace>/.container-exec/runs/<id> and checks, before anything is written, that its real
 * path is inside the workspace and that run.log and out are not links: a committed `.container-exec`
 * symlink must not send logs and outputs elsewhere.
 */
export async function prepareRunFolder(workspaceDir: string, id: string): Promise<string> {
  checkRunId(id);
  const folder = path.join(workspaceDir, '.container-exec', 'runs', id);
  await pathInside(workspaceDir, path.relative(workspaceDir, folder), 'run folder');
  await mkdir(folder, { recursive: true });
  await pathInside(workspaceDir, path.relative(workspaceDir, folder), 'run folder');
  for (const name of ['run.log', 'out']) {
    const st = await lstat(path.join(folder, name)).catch(() => undefined);
    if (st?.isSymbolicLink())
      throw new Error(
        `run folder ${folder}: ${name} is a symbolic link; remove it (run logs and outputs are only written inside the workspace)`,
      );
  }
  return folder;
}
