import { existsSync } from 'node:fs';
import { parseDaemonDescription, type DaemonDescriptionInput } from './daemonDescription';
import { sshIdentity } from './podmanConnections';

/**
 * The daemon the docker CLI would use with no context: DOCKER_HOST, DOCKER_TLS_VERIFY and
 * DOCKER_CERT_PATH from the environment, else the platform socket.
 */
export function localDaemonFromEnvironment(env: NodeJS.ProcessEnv = process.env, platform = process.platform): DaemonDescriptionInput {
  const host = env.DOCKER_HOST?.trim() || (platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock');
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  const tls =
    host.startsWith('tcp://') && (verify || env.DOCKER_TLS === '1')
      ? { enabled: true, verify, certPath: env.DOCKER_CERT_PATH || undefined }
      : undefined;
  return { id: 'local', label: 'Local', host, ...(tls ? { tls } : {}) };
}

/** Where Podman serves its Docker-compatible API when its socket unit is enabled (`podman.socket`). */
export const PODMAN_ROOTFUL_SOCKET = '/run/podman/podman.sock';

/**
 * The Podman sockets of this machine, discovered as the Docker socket is: CONTAINER_HOST (Podman's
 * DOCKER_HOST, with CONTAINER_SSHKEY as an ssh:// one's key), then the rootful and the rootless
 * (`$XDG_RUNTIME_DIR/podman/podman.sock`) sockets when they exist. Read only, like the environment's daemon; nothing is asked of them here.
 */
export function podmanDaemonsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  exists: (file: string) => boolean = existsSync,
  rootful = PODMAN_ROOTFUL_SOCKET,
): { daemons: DaemonDescriptionInput[]; problems: string[] } {
  const daemons: DaemonDescriptionInput[] = [];
  const problems: string[] = [];
  const fromEnv = env.CONTAINER_HOST?.trim();
  if (fromEnv) {
    const d = { id: 'podman', label: 'Podman (CONTAINER_HOST)', host: fromEnv, ...sshIdentity(fromEnv, env.CONTAINER_SSHKEY) };
    try {
      parseDaemonDescription(d);
      daemons.push(d);
    } catch (e) {
      problems.push(`CONTAINER_HOST ${fromEnv} is not used: ${(e as Error).message}`);
    }
  }
  if (exists(rootful))
    daemons.push({ id: daemons.length ? 'podman-rootful' : 'podman', label: 'Podman (rootful)', host: `unix://${rootful}` });
  const runtimeDir = env.XDG_RUNTIME_DIR?.trim();
  const rootless = runtimeDir ? `${runtimeDir.replace(/\/+$/, '')}/podman/podman.sock` : undefined;
  if (rootless && exists(rootless)) daemons.push({ id: 'podman-user', label: 'Podman (rootless)', host: `unix://${rootless}` });
  const seen = new Set<string>();
  return { daemons: daemons.filter((d) => !seen.has(d.host) && seen.add(d.host)), problems };
}
