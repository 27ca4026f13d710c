/**
 * Stands in (esbuild alias) for packages that dockerode and docker-modem require but Container Exec never
 * uses, so they are neither bundled nor loaded:
 * - ssh2 (+ its optional native addons cpu-features, sshcrypto.node): ssh:// daemons are reached through
 *   the system OpenSSH client (sshTransport.ts), which honours ~/.ssh/config, agents and known_hosts;
 * - @grpc/grpc-js, @grpc/proto-loader, protobufjs: dockerode's BuildKit session, which reads .proto
 *   files from its own folder at run time and so cannot work from a bundle anyway.
 * Loading succeeds; any use throws a clear error.
 */
const unavailable = (): never => {
  throw new Error('This dependency is not bundled with Container Exec (ssh2 and BuildKit sessions are not used).');
};
const stub: object = new Proxy(function unbundled() {}, {
  get: (_target, key) => (key === '__esModule' ? false : stub),
  apply: unavailable,
  construct: unavailable,
});
export = stub;
