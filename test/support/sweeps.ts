// What the sweep tests share (test/core/sweep*.test.ts and the sweep window): the testbed daemons by id, a
// checked configuration, and runSweep with the request every trial of a test sweep is given.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  planSweep,
  runSweep,
  validateConfiguration,
  type DaemonDescriptionInput,
  type ExecutionBackend,
  type SweepResult,
  type SweepRun,
  type TrialRequestBase,
} from '../../src/core';
import { need } from './testbed';

/** The testbed daemons the sweep tests run on, by id (a test copies it to add its own, e.g. the crash daemon). */
export const TESTBED_DAEMONS: Readonly<Record<string, () => DaemonDescriptionInput>> = {
  local: () => ({ id: 'local', host: need('DOCKER_LOCAL_HOST') }),
  tls: () => ({ id: 'tls', host: need('DOCKER_TLS_HOST'), tls: { enabled: true, certPath: need('DOCKER_TLS_CERT_PATH') } }),
  tcp: () => ({ id: 'tcp', host: need('DOCKER_TCP_HOST') }),
  'swarm-m': () => ({ id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') }),
  'swarm-w1': () => ({ id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') }),
  'swarm-w2': () => ({ id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') }),
  podman: () => ({ id: 'podman', host: need('PODMAN_HOST') }),
};

/** A configuration on the testbed's busybox, valid or the test fails with the errors. */
export function busyboxConfig(name: string, input: Record<string, unknown>) {
  const r = validateConfiguration({ name, baseImage: need('BUSYBOX_IMAGE'), ...input });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

export interface TestSweep extends Partial<Pick<SweepRun, 'signal' | 'hooks' | 'onWarning'>> {
  /** The sweep file's fields besides the recipe (job.sh in the workspace). */
  file: Record<string, unknown>;
  config: TrialRequestBase['config'];
  open: () => ExecutionBackend;
  onTrial?: SweepRun['onTrial'];
  /** Request fields besides the test defaults (graceSeconds 2, busybox, no pull). */
  request?: Partial<TrialRequestBase>;
}

/** Runs job.sh of workspace `ws` as sweep `sweepId`; an attempt's folder is ws/.container-exec/sweeps/<sweepId>/t<index>[-r<attempt>]. */
export function runTestSweep(ws: string, sweepId: string, o: TestSweep): Promise<SweepResult> {
  return runSweep({
    sweepId,
    plan: planSweep('test.sweep.json', JSON.stringify({ recipe: 'job.sh', ...o.file }), sweepId),
    request: {
      config: o.config,
      image: need('BUSYBOX_IMAGE'),
      pull: false,
      workspaceDir: ws,
      groups: ['root'],
      interpreters: DEFAULT_INTERPRETERS,
      graceSeconds: 2,
      extensionVersion: '9.9.9-test',
      ...o.request,
    },
    openBackend: async () => o.open(),
    trialFolder: async (trial, attempt) => {
      const folder = path.join(ws, '.container-exec', 'sweeps', sweepId, `t${trial.index}${attempt ? `-r${attempt}` : ''}`);
      fs.mkdirSync(folder, { recursive: true });
      return folder;
    },
    signal: o.signal ?? new AbortController().signal,
    onTrial: (t) => o.onTrial?.(t),
    hooks: o.hooks,
    onWarning: o.onWarning,
  });
}
