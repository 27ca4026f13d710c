import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod';
import type { DaemonDescriptionInput } from './daemonDescription';
import { localDaemonFromEnvironment, podmanDaemonsFromEnvironment } from './localDaemon';
import { discoverPodmanConnections, podmanConnectionFiles } from './podmanConnections';

const ContextMeta = z.object({
  Name: z.string(),
  Metadata: z.object({ Description: z.string().optional() }).passthrough().nullish(),
  Endpoints: z.object({ docker: z.object({ Host: z.string(), SkipTLSVerify: z.boolean().optional() }).passthrough() }).passthrough(),
});

export interface DiscoveredDaemon {
  daemon: DaemonDescriptionInput;
  source: 'environment' | 'context';
  /** The Docker CLI context name ("default" for the environment / platform socket). */
  context: string;
  description?: string;
  /** The context the docker CLI would use now (DOCKER_CONTEXT, else currentContext in config.json). */
  current: boolean;
}

export interface DiscoveryProblem {
  file: string;
  error: string;
}

/** The Docker CLI's config folder: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  return env.DOCKER_CONFIG || path.join(home, '.docker');
}

/**
 * What the docker CLI knows without us: the local default (environment or platform socket), the Podman
 * sockets of this machine (podmanDaemonsFromEnvironment), and every
 * context in <config>/contexts/meta/<sha256(name)>/meta.json with TLS files from
 * <config>/contexts/tls/<sha256(name)>/docker/. Read only: never runs `docker context use`.
 */
export async function discoverDaemons(
  env: NodeJS.ProcessEnv = process.env,
  home = os.homedir(),
): Promise<{ daemons: DiscoveredDaemon[]; problems: DiscoveryProblem[] }> {
  const configDir = dockerConfigDir(env, home);
  const problems: DiscoveryProblem[] = [];
  let current = env.DOCKER_CONTEXT || '';
  if (!current) {
    const configFile = path.join(configDir, 'config.json');
    try {
      current = (JSON.parse(await readFile(configFile, 'utf8')) as { currentContext?: string }).currentContext ?? '';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: configFile, error: `unreadable: ${(e as Error).message}` });
    }
  }
  // DOCKER_HOST wins over any context, as in the docker CLI
  if (env.DOCKER_HOST) current = 'default';
  const daemons: DiscoveredDaemon[] = [
    { daemon: localDaemonFromEnvironment(env), source: 'environment', context: 'default', current: !current || current === 'default' },
  ];
  const podman = podmanDaemonsFromEnvironment(env);
  for (const daemon of podman.daemons) daemons.push({ daemon, source: 'environment', context: daemon.id, current: false });
  for (const error of podman.problems) problems.push({ file: 'CONTAINER_HOST', error });
  // Podman connections: read-only like contexts, a socket already found above not listed twice
  const connections = await discoverPodmanConnections(podmanConnectionFiles(env, home));
  problems.push(...connections.problems);
  for (const daemon of connections.daemons)
    if (!daemons.some((d) => d.daemon.host === daemon.host))
      daemons.push({ daemon, source: 'context', context: daemon.id, description: 'Podman connection', current: false });
  const metaDir = path.join(configDir, 'contexts', 'meta');
  let digests: string[] = [];
  try {
    digests = await readdir(metaDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file: metaDir, error: (e as Error).message });
  }
  for (const digest of digests.sort()) {
    const file = path.join(metaDir, digest, 'meta.json');
    try {
      const meta = ContextMeta.parse(JSON.parse(await readFile(file, 'utf8')));
      const ep = meta.Endpoints.docker;
      const tlsDir = path.join(configDir, 'contexts', 'tls', contextDigest(meta.Name), 'docker');
      const files = Object.fromEntries(
        (['ca', 'cert', 'key'] as const).map((k) => [k, path.join(tlsDir, `${k}.pem`)]).filter(([, f]) => existsSync(f!)),
      );
      const hasTls = Object.keys(files).length > 0;
      daemons.push({
        daemon: {
          id: `context:${meta.Name}`,
          label: meta.Name,
          host: ep.Host,
          ...(hasTls ? { tls: { enabled: true, verify: !ep.SkipTLSVerify, ...files } } : {}),
        },
        source: 'context',
        context: meta.Name,
        description: meta.Metadata?.Description || undefined,
        current: meta.Name === current,
      });
    } catch (e) {
      problems.push({
        file,
        error:
          e instanceof z.ZodError ? `not a Docker context (${e.issues[0]?.path.join('.')}: ${e.issues[0]?.message})` : (e as Error).message,
      });
    }
  }
  daemons.sort((a, b) => (a.source === b.source ? a.context.localeCompare(b.context) : a.source === 'environment' ? -1 : 1));
  return { daemons, problems };
}

/** Context folders are named by the SHA-256 of the context name. */
export function contextDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}
