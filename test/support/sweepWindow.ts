// A VS Code window running a sweep, for the tests that close it mid-sweep: a node process of its own,
// forked by the test and SIGKILLed by it (nothing of the sweep's own cleanup runs), as an extension host
// killed with its window. It runs the sweep its message names and says when trials run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_INTERPRETERS, PoolBackend, planSweep, runSweep, validateConfiguration, type DaemonDescriptionInput } from '../../src/core';
import { need } from './testbed';

export interface SweepJob {
  sweepId: string;
  /** The workspace (job.sh in it), made by the test: its lost leftovers are looked for by its label. */
  workspaceDir: string;
  /** A pool of these daemons. */
  daemons: DaemonDescriptionInput[];
  /** The sweep file's fields besides the recipe (job.sh). */
  file: Record<string, unknown>;
}

/** Told to the test: the trials whose container runs now. */
export interface SweepWindowNews {
  running: number[];
}

async function run(job: SweepJob): Promise<void> {
  const r = validateConfiguration({
    name: 'sweep-window',
    pool: job.daemons.map((d) => d.id),
    baseImage: need('BUSYBOX_IMAGE'),
    resources: { memory: '32m', cpus: 0.1 },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const spec = { name: `sweep-window-${job.sweepId}`, daemons: job.daemons.map((d) => ({ id: d.id, daemon: d })) };
  const running = new Set<number>();
  await runSweep({
    sweepId: job.sweepId,
    plan: planSweep('window.sweep.json', JSON.stringify({ recipe: 'job.sh', ...job.file }), job.sweepId),
    request: {
      config: r.config,
      image: need('BUSYBOX_IMAGE'),
      pull: false,
      workspaceDir: job.workspaceDir,
      groups: ['root'],
      interpreters: DEFAULT_INTERPRETERS,
      graceSeconds: 1,
      extensionVersion: '9.9.9-test',
    },
    openBackend: async () => new PoolBackend(spec),
    trialFolder: async (trial, attempt) => {
      const folder = path.join(job.workspaceDir, '.container-exec', 'sweeps', job.sweepId, `t${trial.index}-${attempt}`);
      fs.mkdirSync(folder, { recursive: true });
      return folder;
    },
    signal: new AbortController().signal,
    onTrial: (t) => {
      if (t.state !== 'running' || !t.containerId || running.has(t.trial.index)) return;
      running.add(t.trial.index);
      process.send!({ running: [...running] } satisfies SweepWindowNews);
    },
  });
}

process.on('message', (job: SweepJob) => {
  run(job).then(
    () => process.send!({ ended: true }),
    (e: Error) => process.send!({ error: e.stack ?? e.message }),
  );
});

process.send?.({ ready: true });
