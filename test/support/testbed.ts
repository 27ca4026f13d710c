// The endpoints of the project's test bench (scripts/testbed.sh). Tests never guess them: a missing
// testbed is an error that says how to start it.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Testbed {
  [key: string]: string;
}

let cached: Testbed | undefined;

export function testbed(): Testbed {
  if (cached) return cached;
  const file = process.env.CONTAINER_EXEC_TESTBED_ENV || `${process.env.CONTAINER_EXEC_TESTBED || '/tmp/container-exec-testbed'}/env`;
  if (!fs.existsSync(file))
    throw new Error(`No testbed endpoints at ${file}: run "bash scripts/testbed.sh start" (as root) or "npm test".`);
  const env: Testbed = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return (cached = env);
}

export function need(key: string): string {
  const v = testbed()[key];
  if (!v) throw new Error(`The testbed did not print ${key}: is scripts/testbed.sh up to date?`);
  return v;
}

/** containerExec.daemons for the testbed: one daemon of every kind, a blackholed one and an invalid entry. */
export function testbedDaemonSettings(): unknown[] {
  return [
    { id: 'tcp', label: 'tcp (plain)', host: need('DOCKER_TCP_HOST') },
    {
      id: 'tls',
      label: 'tls (cert folder)',
      host: need('DOCKER_TLS_HOST'),
      tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') },
    },
    {
      id: 'tls-files',
      host: need('DOCKER_TLS_HOST'),
      tls: { enabled: true, ca: need('DOCKER_TLS_CA'), cert: need('DOCKER_TLS_CERT'), key: need('DOCKER_TLS_KEY') },
    },
    { id: 'ssh', host: need('DOCKER_SSH_HOST'), ssh: { configFile: need('DOCKER_SSH_CONFIG') } },
    { id: 'void', label: 'blackholed', host: need('DOCKER_BLACKHOLE_HOST'), timeoutMs: 1500 },
    { id: 'broken', host: 'tcp://no-port-here' },
  ];
}

/** The notebook kernels' image (Debian's ipykernel, jupyter_client, matplotlib): on every testbed daemon, the crash one too. */
export const jupyterImage = () => need('JUPYTER_IMAGE');

const TESTBED_SCRIPT = path.resolve(__dirname, '../../../scripts/testbed.sh');
const testbedScript = (...args: string[]) =>
  execFileSync('bash', [TESTBED_SCRIPT, ...args, need('DOCKERENV_STATE')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * The throwaway "crash" daemon (scripts/testbed.sh start-daemon crash): tests may SIGKILL it, never the
 * shared daemons others test against. Starting is idempotent; returns its host.
 */
export function startCrashDaemon(): string {
  const m = /^DOCKER_CRASH_HOST=(.+)$/m.exec(testbedScript('start-daemon', 'crash'));
  if (!m) throw new Error('testbed.sh start-daemon crash printed no DOCKER_CRASH_HOST');
  return m[1]!;
}

const testbedScriptAsync = (...args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile('bash', [TESTBED_SCRIPT, ...args, need('DOCKERENV_STATE')], (e) => (e ? reject(e) : resolve())),
  );

/** SIGKILLs the crash daemon's dockerd (its containers live on, as after a real crash). Asynchronous: the test's event loop goes on meanwhile. */
export const killCrashDaemon = () => testbedScriptAsync('kill-daemon', 'crash');

/** Stops the crash daemon gracefully (dockerd stops its containers first). */
export const stopCrashDaemon = () => testbedScriptAsync('stop-daemon', 'crash');

/** Stops one daemon of the testbed's swarm (swarm-m | swarm-w1 | swarm-w2): never the shared daemons. */
export const stopSwarmDaemon = (role: 'swarm-m' | 'swarm-w1' | 'swarm-w2') => testbedScriptAsync('stop-daemon', role);

/** Starts what is not running, the swarm's daemons among them (they rejoin their swarm). */
export const startTestbed = () => testbedScriptAsync('start');

/** The testbed's rootful Podman service (Docker-compatible API) and its copies of the test images, named `localhost/…`. */
export const podmanHost = () => need('PODMAN_HOST');
export const podmanBusyboxImage = () => need('PODMAN_BUSYBOX_IMAGE');
export const podmanPythonImage = () => need('PODMAN_PYTHON_IMAGE');
