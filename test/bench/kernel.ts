// `npm run bench` (plain node, testbed's primary daemon), medians of interleaved rounds in the same run:
//   bench kernel: start = from startKernel (a first execution) to the result of its first cell `1`, against a
//     run (runRecipe, the same image, workspace and daemon) of a recipe that imports ipykernel, whole; cell = the
//     median round trip (execute_request to reply and idle) of 200 `pass` cells, against the same cells sent by
//     jupyter_client's BlockingKernelClient to an ipykernel started on this machine (Debian's python3-ipykernel).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DockerDaemonBackend,
  createDaemonClient,
  newRunId,
  runRecipe,
  startKernel,
  validateConfiguration,
  type CellHandlers,
  type DaemonClient,
  type RunRequest,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';

const ROUNDS = 3;
const CELLS = 200;
const handlers: CellHandlers = { onOutput: () => undefined, onInput: async () => '' };
const hooks = () => ({
  signal: new AbortController().signal,
  onOutput: () => undefined,
  onStatus: () => undefined,
  onWarning: () => undefined,
});

/** The same cells through jupyter_client to a kernel on this machine: the median round trip in ms. */
const LOCAL_PY = `
import json, os, statistics, sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name='python3')
try:
    for _ in range(5):
        kc.execute_interactive('pass', timeout=30, output_hook=lambda m: None)
    times = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter()
        reply = kc.execute_interactive('pass', timeout=30, output_hook=lambda m: None)
        times.append((time.perf_counter() - t) * 1000)
        assert reply['content']['status'] == 'ok'
    print(json.dumps(statistics.median(times)))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    sys.stdout.flush()
    os._exit(0)  # jupyter_client's __del__ at interpreter exit prints a harmless TypeError otherwise
`;

async function kernelBench(client: DaemonClient): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-kernel-'));
  fs.writeFileSync(path.join(ws, 'recipe.py'), 'import ipykernel\nprint("imported")\n');
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, `input-${i}.csv`), 'a,b\n1,2\n'.repeat(200));
  const r = validateConfiguration({ name: 'bench', daemon: 'local', baseImage: need('JUPYTER_IMAGE') });
  if (!r.ok) throw new Error('bench configuration');
  const request = (id: string): Omit<RunRequest, 'recipe'> => ({
    id,
    config: r.config,
    image: need('JUPYTER_IMAGE'),
    pull: false,
    workspaceDir: ws,
    outputsDir: path.join(ws, '.runs', id),
    groups: [],
    interpreters: DEFAULT_INTERPRETERS,
    extensionVersion: 'bench',
  });
  const starts: number[] = [];
  const runs: number[] = [];
  const cells: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      const outcome = await runRecipe(new DockerDaemonBackend(client), { ...request(newRunId()), recipe: 'recipe.py' }, hooks());
      if (outcome.state !== 'succeeded') throw new Error(`run: ${outcome.message}`);
      runs.push(performance.now() - t0);

      t0 = performance.now();
      const kernel = await startKernel(new DockerDaemonBackend(client), { ...request(newRunId()), notebookFolder: '' }, hooks());
      const first = await kernel.execute('1', handlers);
      if (first.status !== 'ok') throw new Error(`first cell: ${first.status} ${first.reason ?? ''}`);
      starts.push(performance.now() - t0);
      if (i === ROUNDS - 1) {
        for (let w = 0; w < 5; w++) await kernel.execute('pass', handlers);
        for (let c = 0; c < CELLS; c++) {
          const t = performance.now();
          const done = await kernel.execute('pass', handlers);
          if (done.status !== 'ok') throw new Error(`cell: ${done.status} ${done.reason ?? ''}`);
          cells.push(performance.now() - t);
        }
      }
      const end = await kernel.shutdown();
      if (end.state !== 'succeeded') throw new Error(`shutdown: ${end.message}`);
    }
    const local = Number(
      execFileSync('/usr/bin/python3', ['-c', LOCAL_PY, String(CELLS)], {
        encoding: 'utf8',
        timeout: 120000,
        env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' }, // debugpy's frozen-modules warning, on stderr
      }),
    );
    const [s, run, cell] = [median(starts), median(runs), median(cells)];
    console.log(
      `bench kernel: start-ms=${s.toFixed(0)} vs-run=${(s / run).toFixed(2)} cell-ms=${cell.toFixed(2)} vs-local=${(cell / local).toFixed(2)} ` +
        `run-ms=${run.toFixed(0)} local-cell-ms=${local.toFixed(2)} cells=${CELLS}`,
    );
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST'), timeoutMs: 60000 });
runBenches(async () => {
  await kernelBench(client);
  client.dispose();
});
