// Podman connections (`podman system connection list`), discovered read-only like Docker contexts. Podman 4
// keeps them in containers.conf's [engine.service_destinations] (rootless: $XDG_CONFIG_HOME/containers/
// containers.conf; root: /etc/containers/containers.conf; CONTAINERS_CONF overrides both), Podman 5 in
// podman-connections.json beside it.
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod';
import { parseDaemonDescription, type DaemonDescriptionInput } from './daemonDescription';

export interface PodmanConnection {
  name: string;
  uri: string;
  identity?: string;
  default: boolean;
}

/** The keys this reader needs of a TOML basic string: "…" with \" \\ \t \n escapes. */
function tomlString(text: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  return m ? m[1]!.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n' })[c] ?? c) : undefined;
}

/** A table header's dotted key: bare or quoted parts (`engine.service_destinations."my box"`). */
function tableKey(header: string): string[] {
  return [...header.matchAll(/\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_-]+))\s*(?:\.|$)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * The connections of a containers.conf, as Podman writes them: `[engine] active_service = "name"` and one
 * `[engine.service_destinations.NAME]` table each (`uri`, `identity`); one-line inline tables are read too.
 * Only this subset of TOML is read; anything else is skipped, line by line.
 */
export function parseContainersConfConnections(text: string): PodmanConnection[] {
  const found = new Map<string, { uri?: string; identity?: string }>();
  const entry = (name: string) => found.get(name) ?? found.set(name, {}).get(name)!;
  let table: string[] = [];
  let active: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[([^[\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      table = tableKey(header[1]!);
      if (table[0] === 'engine' && table[1] === 'service_destinations' && table.length === 3) entry(table[2]!);
      continue;
    }
    const kv = /^("(?:[^"\\]|\\.)*"|[A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!.startsWith('"') ? tomlString(kv[1]!)! : kv[1]!;
    const value = kv[2]!;
    if (table.length === 1 && table[0] === 'engine' && key === 'active_service') active = tomlString(value);
    else if (table.length === 3 && table[0] === 'engine' && table[1] === 'service_destinations' && (key === 'uri' || key === 'identity'))
      entry(table[2]!)[key] = tomlString(value);
    else if (table.length === 2 && table[0] === 'engine' && table[1] === 'service_destinations' && value.startsWith('{')) {
      const e = entry(key);
      for (const m of value.matchAll(/(uri|identity)\s*=\s*("(?:[^"\\]|\\.)*")/g)) e[m[1] as 'uri' | 'identity'] = tomlString(m[2]!);
    }
  }
  return [...found]
    .filter(([, d]) => d.uri)
    .map(([name, d]) => ({ name, uri: d.uri!, ...(d.identity ? { identity: d.identity } : {}), default: name === active }));
}

const ConnectionsJson = z.object({
  Connection: z
    .object({
      Default: z.string().optional(),
      Connections: z.record(z.string(), z.object({ URI: z.string(), Identity: z.string().optional() }).loose()).nullish(),
    })
    .loose()
    .optional(),
});

/** Podman 5's podman-connections.json: `{ "Connection": { "Default": name, "Connections": { name: { "URI", "Identity" } } } }`. */
export function parseConnectionsJson(text: string): PodmanConnection[] {
  const c = ConnectionsJson.parse(JSON.parse(text)).Connection;
  return Object.entries(c?.Connections ?? {}).map(([name, d]) => ({
    name,
    uri: d.URI,
    ...(d.Identity ? { identity: d.Identity } : {}),
    default: name === c?.Default,
  }));
}

/** An ssh:// connection's identity (Podman's `--identity`, CONTAINER_SSHKEY) as the daemon's `ssh.identityFile`. */
export function sshIdentity(uri: string, identity: string | undefined): Pick<DaemonDescriptionInput, 'ssh'> {
  return /^ssh:\/\//i.test(uri) && identity?.trim() ? { ssh: { identityFile: identity.trim() } } : {};
}

/**
 * Where Podman keeps connections for this user, lowest precedence first: the system's containers.conf files
 * and the user's (root's is /etc's), or CONTAINERS_CONF alone; then Podman 5's JSON file.
 */
export function podmanConnectionFiles(
  env: NodeJS.ProcessEnv = process.env,
  home = os.homedir(),
  isRoot = process.getuid?.() === 0,
): string[] {
  const configHome = env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config');
  const system = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
  const confs = env.CONTAINERS_CONF?.trim()
    ? [env.CONTAINERS_CONF.trim()]
    : isRoot
      ? system
      : [...system, path.join(configHome, 'containers', 'containers.conf')];
  return [...confs, path.join(configHome, 'containers', 'podman-connections.json')];
}

/**
 * The daemons of this user's Podman connections, `podman:NAME`: unix://, tcp:// and ssh:// ones (ssh reaches
 * the connection's remote socket through the remote's `podman system dial-stdio`, with its identity as `-i`).
 * A URI Container Exec cannot use is a problem naming it.
 */
export async function discoverPodmanConnections(
  files = podmanConnectionFiles(),
  read: (file: string) => Promise<string> = (f) => readFile(f, 'utf8'),
): Promise<{ daemons: (DaemonDescriptionInput & { id: string })[]; problems: { file: string; error: string }[] }> {
  const problems: { file: string; error: string }[] = [];
  const connections = new Map<string, PodmanConnection & { file: string }>();
  for (const file of files) {
    const parse = file.endsWith('.json') ? parseConnectionsJson : parseContainersConfConnections;
    let text: string;
    try {
      text = await read(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file, error: `unreadable: ${(e as Error).message}` });
      continue;
    }
    try {
      for (const c of parse(text)) connections.set(c.name, { ...c, file });
    } catch (e) {
      problems.push({ file, error: `not Podman's connections: ${e instanceof z.ZodError ? e.issues[0]?.message : (e as Error).message}` });
    }
  }
  const daemons: (DaemonDescriptionInput & { id: string })[] = [];
  for (const c of connections.values()) {
    const label = `${c.name} (Podman connection${c.default ? ', default' : ''})`;
    try {
      const d = parseDaemonDescription({ id: `podman:${c.name}`, label, host: c.uri, ...sshIdentity(c.uri, c.identity) });
      daemons.push({ id: d.id, label, host: d.host, ...(d.ssh ? { ssh: d.ssh } : {}) });
    } catch (e) {
      problems.push({ file: c.file, error: `Podman connection "${c.name}" (${c.uri}) is not used: ${(e as Error).message}` });
    }
  }
  return { daemons, problems };
}
