// `npm run bench` (plain node, testbed's primary daemon), medians of interleaved rounds in the same run:
//   bench debug: from the start of a debug run (runRecipe with the recipe under debugpy, the relay exec'd,
//     DAP initialize → attach with path mappings → setBreakpoints on line 1 → configurationDone) to the
//     `stopped` event at the recipe's first line, against the time to the first output line of a plain run
//     of the same recipe (its whole run, outputs back and container removed, printed beside). The same core path Debug Recipe's inline adapter drives;
//     the extension host's own share (startDebugging, the task) is not in it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_INTERPRETERS,
  DapReader,
  DockerDaemonBackend,
  WORKSPACE_IN_CONTAINER,
  attachArguments,
  createDaemonClient,
  debugCommand,
  debugRun,
  debugPort,
  encodeDap,
  newRunId,
  relayCommand,
  runRecipe,
  validateConfiguration,
  type DapMessage,
  type DaemonClient,
  type RunHandle,
} from '../../src/core';
import { median, runBenches } from '../support/bench';
import { need } from '../support/testbed';

const ROUNDS = 5;

/** One debug run: resolves with the ms to the breakpoint stop; continues and waits for the run's end. */
async function debugOnce(client: DaemonClient, ws: string, config: Parameters<typeof runRecipe>[1]['config']): Promise<number> {
  const t0 = performance.now();
  const port = debugPort();
  let stoppedAt = 0;
  let seq = 1;
  const onStarted = async (run: RunHandle) => {
    const relay = await run.exec(relayCommand(['python3', 'recipe.py'], 'recipe.py', port), { stdin: true });
    const send = (command: string, args: Record<string, unknown> = {}) =>
      relay.stdin.write(encodeDap({ seq: seq++, type: 'request', command, arguments: args }));
    const reader = new DapReader((m: DapMessage) => {
      if (m.type === 'response' && m.command === 'initialize') {
        send('attach', attachArguments({}, ws, WORKSPACE_IN_CONTAINER));
      } else if (m.type === 'event' && m.event === 'initialized') {
        send('setBreakpoints', { source: { path: path.join(ws, 'recipe.py') }, breakpoints: [{ line: 1 }] });
        send('configurationDone');
      } else if (m.type === 'event' && m.event === 'stopped') {
        stoppedAt = performance.now();
        send('continue', { threadId: m.body?.threadId });
      }
    });
    relay.stdout.on('data', (c: Buffer) => reader.push(c));
    send('initialize', { adapterID: 'container-exec', clientID: 'bench', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  };
  const runId = newRunId();
  const outcome = await runRecipe(
    new DockerDaemonBackend(client),
    {
      id: runId,
      recipe: 'recipe.py',
      kind: debugRun((cmd) => debugCommand(cmd, 'recipe.py', port)),
      config,
      image: need('PYTHON_IMAGE'),
      pull: false,
      workspaceDir: ws,
      outputsDir: path.join(ws, '.runs', runId),
      groups: [],
      interpreters: DEFAULT_INTERPRETERS,
      extensionVersion: 'bench',
    },
    {
      signal: new AbortController().signal,
      onOutput: () => undefined,
      onStatus: () => undefined,
      onWarning: () => undefined,
      onStarted: (run) => void onStarted(run),
    },
  );
  if (outcome.state !== 'succeeded' || !stoppedAt)
    throw new Error(`debug run: ${outcome.message}${stoppedAt ? '' : ' (never stopped at the breakpoint)'}`);
  return stoppedAt - t0;
}

async function debugBench(client: DaemonClient): Promise<void> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-bench-debug-'));
  fs.writeFileSync(
    path.join(ws, 'recipe.py'),
    'import os\nos.makedirs("out", exist_ok=True)\nopen("out/result.txt", "w").write("42")\nprint("done")\n',
  );
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, `input-${i}.csv`), 'a,b\n1,2\n'.repeat(200));
  const r = validateConfiguration({ name: 'bench', daemon: 'local', baseImage: need('PYTHON_IMAGE') });
  if (!r.ok) throw new Error('bench configuration');
  const debug: number[] = [];
  const run: number[] = [];
  const whole: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      let firstLine: number | undefined;
      const runId = newRunId();
      const outcome = await runRecipe(
        new DockerDaemonBackend(client),
        {
          id: runId,
          recipe: 'recipe.py',
          config: r.config,
          image: need('PYTHON_IMAGE'),
          pull: false,
          workspaceDir: ws,
          outputsDir: path.join(ws, '.runs', runId),
          groups: [],
          interpreters: DEFAULT_INTERPRETERS,
          extensionVersion: 'bench',
        },
        {
          signal: new AbortController().signal,
          onOutput: () => void (firstLine ??= performance.now() - t0),
          onStatus: () => undefined,
          onWarning: () => undefined,
        },
      );
      if (outcome.state !== 'succeeded' || firstLine === undefined) throw new Error(`run: ${outcome.message}`);
      run.push(firstLine);
      whole.push(performance.now() - t0);
      debug.push(await debugOnce(client, ws, r.config));
    }
    const [d, t, w] = [median(debug.slice(1)), median(run.slice(1)), median(whole.slice(1))];
    console.log(
      `bench debug: to-breakpoint-ms=${d.toFixed(0)} vs-run-first-line=${(d / t).toFixed(2)} run-first-line-ms=${t.toFixed(0)} run-whole-ms=${w.toFixed(0)}`,
    );
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

const client = createDaemonClient({ id: 'local', host: need('DOCKER_LOCAL_HOST'), timeoutMs: 60000 });
runBenches(async () => {
  await debugBench(client);
  client.dispose();
});
