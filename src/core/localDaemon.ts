import type { DaemonDescriptionInput } from './daemonDescription';

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
