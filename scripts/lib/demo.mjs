// What `npm start` opens: the demo workspace in code-server, with the extension installed (symlinked) and a
// first run that works offline. Shared with the UI suite (test/ui/demo.ui.ts), which checks that run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startCodeServer } from './codeServer.mjs';
import { ROOT, TESTBED_STATE, freshDir } from './tools.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The extension's own default for the local default configuration's image (package.json). */
export const LOCAL_DEFAULT_IMAGE = [manifest.contributes.configuration]
  .flat()
  .find((c) => c.properties?.['containerExec.localDefaultImage']).properties['containerExec.localDefaultImage'].default;
/** The test bench's python image, built without internet (scripts/testbed.sh images). */
export const OFFLINE_IMAGE = process.env.DOCKERENV_PYTHON_IMAGE || 'local/python:3-bookworm';

/** The local daemon as `npm start` and the extension's "local" daemon see it: { socketPath } or { host, port }, or undefined (ssh:// etc.). */
export function localDaemon() {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const m = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
  return { host, target: host.startsWith('unix://') ? { socketPath: host.slice(7) } : m ? { host: m[1], port: Number(m[2]) } : undefined };
}

/** GET on the Engine API with a deadline: { status, message } (status 0 when the daemon did not answer). */
function engineGet(target, urlPath, ms = 15000) {
  return new Promise((resolve) => {
    const req = http.get({ ...target, path: urlPath, timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let message = body.trim();
        try {
          message = JSON.parse(body).message ?? message;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, message });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.on('error', (e) => resolve({ status: 0, message: e.message }));
  });
}

const hasImage = async (target, image) => (await engineGet(target, `/images/${image}/json`)).status === 200;

/**
 * The user settings the demo needs so that ▶ on hello.py succeeds. Nothing when the local daemon has the
 * extension's default image or can pull it (a machine with internet: users see the defaults). Otherwise
 * the test bench's offline python image, built into the daemon first when missing (as root, through
 * scripts/testbed.sh images); when that is not possible, says what to run and returns nothing.
 */
export async function demoUserSettings(log = console.log) {
  const { host, target } = localDaemon();
  if (!target || (await engineGet(target, '/_ping', 3000)).status !== 200) return {}; // the extension shows the daemon's state
  if (await hasImage(target, LOCAL_DEFAULT_IMAGE)) return {};
  const pull = await engineGet(target, `/distribution/${LOCAL_DEFAULT_IMAGE}/json`);
  if (pull.status === 200) return {}; // pulled at the first run
  const use = { 'containerExec.localDefaultImage': OFFLINE_IMAGE };
  if (await hasImage(target, OFFLINE_IMAGE)) {
    log(
      `The demo runs recipes on ${OFFLINE_IMAGE}: the default image ${LOCAL_DEFAULT_IMAGE} is not on ${host} and cannot be pulled (${pull.message}).`,
    );
    return use;
  }
  const fix = `sudo bash scripts/testbed.sh images   # builds ${OFFLINE_IMAGE} offline into /var/run/docker.sock`;
  if (host !== 'unix:///var/run/docker.sock' || process.getuid?.() !== 0) {
    log(
      `Warning: ▶ on a recipe will fail: ${LOCAL_DEFAULT_IMAGE} is not on ${host} and cannot be pulled (${pull.message}), and ${OFFLINE_IMAGE} is not there either.\n` +
        `  Build it:  ${fix}\n  or load any python image and set containerExec.localDefaultImage to it.`,
    );
    return {};
  }
  log(
    `${LOCAL_DEFAULT_IMAGE} cannot be pulled (${pull.message}): building ${OFFLINE_IMAGE} offline for the demo (scripts/testbed.sh images; about a minute the first time).`,
  );
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/testbed.sh'), 'images', TESTBED_STATE], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status === 0 && (await hasImage(target, OFFLINE_IMAGE))) return use;
  log(
    `Warning: building ${OFFLINE_IMAGE} failed (exit ${r.status ?? r.signal}): ▶ on a recipe will fail until an image is there.\n  Retry:  ${fix}`,
  );
  return {};
}

/**
 * code-server on `workspace` with the extension installed as users have it (a symlink in a fresh
 * extensions folder, so notifications show as toasts) and `userSettings` in its fresh profile.
 */
export async function startDemoServer({ tools, runDir, workspace, port, userSettings = {} }) {
  const extensions = freshDir(runDir, 'extensions');
  fs.symlinkSync(ROOT, path.join(extensions, `${manifest.publisher}.${manifest.name}-${manifest.version}`));
  // a new user's first start: the Getting Started walkthrough opens (the quiet test profile turns it off)
  const settings = { 'workbench.welcomePage.walkthroughs.openOnInstall': true, ...userSettings };
  return startCodeServer({ tools, runDir, workspace, port, extensionsDir: extensions, smokeTestDriver: false, userSettings: settings });
}
