// Paths and helpers shared by the scripts: the tools folder (scripts/host-tools.sh) and the testbed.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Installs (if missing) and returns { NODE24, CODE_SERVER, CHROMIUM }. */
export function hostTools() {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/host-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return parseEnv(out);
}

export function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

export const TESTBED_STATE = process.env.CONTAINER_EXEC_TESTBED || '/tmp/container-exec-testbed';

/** Runs scripts/testbed.sh CMD; returns its KEY=VALUE output. */
export function testbed(cmd) {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/testbed.sh'), cmd, TESTBED_STATE], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`scripts/testbed.sh ${cmd} failed (exit ${r.status})`);
  return parseEnv(r.stdout);
}

export function freshDir(...parts) {
  const dir = path.join(...parts);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
