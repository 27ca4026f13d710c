// A VS Code window running a sweep, for the tests that close it mid-sweep: a node process of its own,
// forked by the test and SIGKILLed by it (nothing of the sweep's own cleanup runs), as an extension host
// killed with its window. It runs the sweep its message names and says when trials run.
import { PoolBackend, type DaemonDescriptionInput } from '../../src/core';
import { busyboxConfig, runTestSweep } from './sweeps';

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
  const config = busyboxConfig('sweep-window', { pool: job.daemons.map((d) => d.id), resources: { memory: '32m', cpus: 0.1 } });
  const spec = { name: `sweep-window-${job.sweepId}`, daemons: job.daemons.map((d) => ({ id: d.id, daemon: d })) };
  const running = new Set<number>();
  await runTestSweep(job.workspaceDir, job.sweepId, {
    file: job.file,
    config,
    open: () => new PoolBackend(spec),
    request: { graceSeconds: 1 },
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
