// A VS Code window's stand-in for the pool tests: a node process of its own (its own queue, placements
// and load caches, as a window's extension host has), forked by the test. On each message it runs one
// recipe through the driver on a pool, starting at the instant the message names, and answers with what
// happened. Budgets across windows are only tested honestly across processes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  PoolBackend,
  newRunId,
  runRecipe,
  validateConfiguration,
  type Budget,
  type DaemonDescriptionInput,
  type RunOutcome,
} from '../../src/core';
import { need } from './testbed';

export interface WindowJob {
  pool: string;
  daemons: DaemonDescriptionInput[];
  budget?: Budget;
  config?: Record<string, unknown>;
  script: string;
  /** When to start (ms since the epoch): the windows of a test start at the same instant. */
  at: number;
}

export interface WindowRan {
  id: string;
  outcome: RunOutcome;
  stdout: string;
  status: string[];
  queued: string[];
  placement?: { daemon: string; reason: string };
}

async function run(job: WindowJob): Promise<WindowRan> {
  const r = validateConfiguration({
    name: job.pool,
    pool: job.daemons.map((d) => d.id),
    baseImage: need('BUSYBOX_IMAGE'),
    resources: { memory: '32m', cpus: 0.1 },
    ...job.config,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-window-'));
  fs.writeFileSync(path.join(ws, 'job.sh'), job.script);
  const backend = new PoolBackend({ name: job.pool, daemons: job.daemons.map((d) => ({ id: d.id, daemon: d })), budget: job.budget });
  const ran: WindowRan = { id: newRunId(), outcome: undefined as never, stdout: '', status: [], queued: [] };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, job.at - Date.now())));
  try {
    ran.outcome = await runRecipe(
      backend,
      {
        id: ran.id,
        recipe: 'job.sh',
        config: r.config,
        image: need('BUSYBOX_IMAGE'),
        pull: false,
        workspaceDir: ws,
        outputsDir: path.join(ws, 'out-local'),
        groups: [],
        interpreters: DEFAULT_INTERPRETERS,
        graceSeconds: 1,
        extensionVersion: '9.9.9-test',
      },
      {
        signal: new AbortController().signal,
        onOutput: (b) => {
          ran.stdout += b.toString();
        },
        onStatus: (t) => ran.status.push(t),
        onWarning: (t) => ran.status.push(`warning: ${t}`),
        onQueued: (q) => q && ran.queued.push(q),
      },
    );
    ran.placement = backend.placement;
    return ran;
  } finally {
    backend.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

process.on('message', (job: WindowJob) => {
  run(job).then(
    (ran) => process.send!({ ran }),
    (e: Error) => process.send!({ error: e.stack ?? e.message }),
  );
});

process.send?.({ ready: true });
