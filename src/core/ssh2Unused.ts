/**
 * Stands in for the `ssh2` package in the bundle (esbuild alias). docker-modem requires ssh2 at load time,
 * but Container Exec reaches ssh:// daemons through the system OpenSSH client (sshTransport.ts), so
 * ssh2 and its optional native addons (cpu-features, sshcrypto.node) are never bundled or loaded.
 */
export class Client {
  constructor() {
    throw new Error('ssh2 is not bundled: ssh:// daemons are reached through the system OpenSSH client');
  }
}
