// Starts code-server (browser VS Code, a real node extension host) with fresh state directories.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freshDir, sleep } from './tools.mjs';

/** A folder kept as it is (made when missing). */
function keptDir(...parts) {
  const d = path.join(...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * @param {{ tools: Record<string,string>, runDir: string, workspace: string, port?: number, env?: Record<string,string>,
 *           extensionsDir?: string, smokeTestDriver?: boolean, userSettings?: Record<string,unknown>,
 *           workspaceTrust?: boolean, stateName?: string, keepState?: boolean }} o
 * workspaceTrust starts it with Workspace Trust on (no --disable-workspace-trust, no startup prompt): a folder
 * opened there is untrusted, VS Code's real Restricted Mode. stateName names its state folder (default code-server).
 * smokeTestDriver (default true) lets the URL payload load the extension under development and run tests;
 * it also suppresses notification toasts, so `npm start` turns it off and installs the extension instead.
 * userSettings go into the fresh profile's user settings, over the quiet defaults below. keepState starts it on the state
 * folder a former start left (the same user data and extensions: a second start of the same profile).
 * @returns {Promise<{ url: string, port: number, stop: () => Promise<void>, userSettingsFile: string }>}
 */
export async function startCodeServer(o) {
  const port = o.port ?? (await freePort());
  const dir = o.keepState ? keptDir : freshDir;
  const state = dir(o.runDir, o.stateName ?? 'code-server');
  const dirs = Object.fromEntries(['user-data', 'extensions', 'xdg-config', 'xdg-data', 'xdg-cache'].map((d) => [d, dir(state, d)]));
  fs.writeFileSync(path.join(state, 'config.yaml'), 'auth: none\n');
  // keep the workbench quiet and predictable for tests and screenshots
  fs.mkdirSync(path.join(dirs['user-data'], 'User'), { recursive: true });
  const userSettingsFile = path.join(dirs['user-data'], 'User/settings.json');
  fs.writeFileSync(
    userSettingsFile,
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false /* Container Exec's walkthrough: its own UI test opens it */,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'chat.disableAIFeatures': true,
      'workbench.colorTheme': 'Default Dark Modern',
      'git.openRepositoryInParentFolders': 'never',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'terminal.integrated.gpuAcceleration': 'off' /* xterm's DOM renderer: UI tests read terminal text */,
      ...(o.workspaceTrust
        ? {
            'security.workspace.trust.enabled': true,
            'security.workspace.trust.startupPrompt': 'never',
            'security.workspace.trust.banner': 'never',
          }
        : {}),
      ...o.userSettings,
    }),
  );
  // a machine-scoped setting is read from the remote machine's settings (code-server's Machine/), not the user's
  const userSettings = JSON.parse(fs.readFileSync(userSettingsFile, 'utf8'));
  const machineScoped = ['workbench.welcomePage.walkthroughs.openOnInstall'];
  fs.mkdirSync(path.join(dirs['user-data'], 'Machine'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs['user-data'], 'Machine/settings.json'),
    JSON.stringify(Object.fromEntries(machineScoped.filter((k) => k in userSettings).map((k) => [k, userSettings[k]]))),
  );
  const args = [
    o.tools.CODE_SERVER,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(o.workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--reconnection-grace-time',
    '5',
    ...(o.smokeTestDriver === false ? [] : ['--vscode-option', 'enable-smoke-test-driver']),
    '--user-data-dir',
    dirs['user-data'],
    '--extensions-dir',
    o.extensionsDir ?? dirs.extensions,
    '--config',
    path.join(state, 'config.yaml'),
    o.workspace,
  ];
  const logFile = path.join(state, 'code-server.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(o.tools.NODE24, args, {
    stdio: ['ignore', out, out],
    detached: true, // its own process group: stop() ends the extension hosts too
    env: {
      ...process.env,
      XDG_CONFIG_HOME: dirs['xdg-config'],
      XDG_DATA_HOME: dirs['xdg-data'],
      XDG_CACHE_HOME: dirs['xdg-cache'],
      ...o.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  };
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`code-server exited at start:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, port, stop, logFile, child, userSettingsFile };
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`code-server did not answer on ${url} within 30 s (log: ${logFile})`);
}
