#!/usr/bin/env node
// npm start: opens VS Code with Container Exec loaded on the demo workspace.
// - desktop VS Code (`code` on PATH): --extensionDevelopmentPath, the usual F5 experience;
// - otherwise the browser VS Code (code-server) on 127.0.0.1, printing its URL.
// It uses the local Docker daemon; when none answers and you are root, it starts the test bench's. When the
// daemon lacks the extension's default image and cannot pull it (offline), the demo's profile points the
// local default at the test bench's offline python image, built first if missing (scripts/lib/demo.mjs).
//   PORT=8080 picks the port (default: 8080, else a free one)
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort } from './lib/codeServer.mjs';
import { demoUserSettings, localDaemon, startDemoServer } from './lib/demo.mjs';
import { ROOT, hostTools, testbed } from './lib/tools.mjs';

const WORKSPACE = path.join(ROOT, 'demo');
spawnSync('npm', ['run', '--silent', 'bundle'], { cwd: ROOT, stdio: 'inherit' });

const hasCode = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).status === 0;
if (hasCode && !process.env.CONTAINER_EXEC_BROWSER) {
  console.log('Opening desktop VS Code with Container Exec under development (set CONTAINER_EXEC_BROWSER=1 for the browser VS Code).');
  const settings = await demoUserSettings();
  for (const [k, v] of Object.entries(settings))
    console.log(`For a first run that works here, set "${k}": ${JSON.stringify(v)} in your settings.`);
  spawn('code', [`--extensionDevelopmentPath=${ROOT}`, WORKSPACE], { stdio: 'inherit', detached: true }).unref();
  process.exit(0);
}

/** Does a Docker daemon answer on the local default (DOCKER_HOST tcp/unix, else /var/run/docker.sock)? */
async function localDaemonAnswers() {
  const { target } = localDaemon();
  if (!target) return true; // ssh:// and others: let the extension say what it finds
  const opts = 'socketPath' in target ? { path: target.socketPath } : target;
  return new Promise((resolve) => {
    const s = net.connect(opts, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
  });
}

let startedTestbed = false;
if (!(await localDaemonAnswers())) {
  if (process.getuid?.() === 0) {
    console.log('No local Docker daemon answers: starting the test bench (scripts/testbed.sh; about a minute the first time).');
    testbed('start');
    startedTestbed = true;
  } else {
    console.log('No local Docker daemon answers, and only root may start one here: Container Exec will show it as unreachable.');
  }
}

const userSettings = await demoUserSettings();
const tools = hostTools();
const runDir = path.join(ROOT, '.tools', 'start');
const port = Number(process.env.PORT) || ((await portFree(8080)) ? 8080 : await freePort());
const server = await startDemoServer({ tools, runDir, workspace: WORKSPACE, port, userSettings });
console.log(`\nContainer Exec is running in VS Code for the browser: ${server.url}/?folder=${encodeURIComponent(WORKSPACE)}`);
console.log('Open the Container Exec icon in the activity bar. Ctrl+C stops the server' + (startedTestbed ? ' and the test bench.' : '.'));

async function portFree(p) {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const shutdown = async () => {
  await server.stop();
  if (startedTestbed) testbed('stop');
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
server.child.on('exit', () => process.exit(0));
