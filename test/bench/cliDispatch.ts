// The Docker CLI's way to run N recipes over several daemons, as a user would script it: `workers` parallel
// workers, worker w on daemon w mod |hosts| (round-robin), each run `docker create`, `cp` the workspace in,
// `start -a`, `cp` its out/ back, `rm`. Benches measure the extension against it in the same run.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface CliDispatch {
  /** Docker hosts (`-H`), one per daemon. */
  hosts: string[];
  runs: number;
  workers: number;
  image: string;
  workspace: string;
  /** The recipe, run as `sh <recipe>` in /workspace. */
  recipe: string;
  /** Each run's out/ comes back into <dest>/<n>. */
  dest: string;
}

/** The makespan in ms of `runs` CLI runs (each checked: a non-zero exit throws). */
export async function cliDispatch(o: CliDispatch): Promise<number> {
  const tag = `bench-cli-${process.pid}-${Date.now().toString(36)}`;
  let next = 0;
  const worker = async (w: number) => {
    const docker = (...args: string[]) => exec('docker', ['-H', o.hosts[w % o.hosts.length]!, ...args]);
    for (let n = next++; n < o.runs; n = next++) {
      const name = `${tag}-${n}`;
      await docker('create', '--name', name, '--workdir', '/workspace', '--log-driver', 'none', o.image, 'sh', o.recipe);
      try {
        await docker('cp', `${o.workspace}/.`, `${name}:/workspace`);
        await docker('start', '-a', name);
        fs.mkdirSync(path.join(o.dest, String(n)), { recursive: true });
        await docker('cp', `${name}:/workspace/out`, path.join(o.dest, String(n)));
      } finally {
        await docker('rm', '-f', name);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w)));
  return performance.now() - t0;
}
