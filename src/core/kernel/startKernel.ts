import * as path from 'node:path';
import type { ExecSession, ExecutionBackend, RunHandle } from '../backend/backend';
import { kernelRun } from '../run/kinds/kernelRun';
import { runRecipe, WORKSPACE_IN_CONTAINER, type RunHooks, type RunOutcome } from '../run/runRecipe';
import { ContainerKernel } from './containerKernel';
import { DEFAULT_FRAME_CAP_BYTES } from './kernelWire';
import type { KernelRequest, KernelSession } from './kernelSession';
import { RELAY_PY } from './relayScript';

/** Why a kernel did not start: `no-ipykernel` lets the host offer to add Jupyter support to the image. */
export class KernelStartError extends Error {
  constructor(
    readonly reason: 'no-ipykernel' | 'run' | 'relay' | 'cancelled',
    message: string,
    readonly outcome?: RunOutcome,
  ) {
    super(message);
  }
}

/** From the start of the container to a kernel that answered kernel_info (the relay gives up after 60 s itself). */
const START_DEADLINE_MS = 120_000;
/** Once the kernel's container was told to end, how long before it is stopped instead. */
const END_DEADLINE_MS = 15_000;

/** The notebook's folder under /workspace; one that leaves the workspace is refused. */
export function kernelWorkingDir(notebookFolder: string): string {
  const rel = path.posix.normalize(notebookFolder.replace(/\\/g, '/') || '.');
  if (path.posix.isAbsolute(rel) || rel === '..' || rel.startsWith('../'))
    throw new KernelStartError(
      'run',
      `The notebook's folder "${notebookFolder}" is not inside the workspace: open the notebook from the workspace.`,
    );
  return path.posix.join(WORKSPACE_IN_CONTAINER, rel);
}

/** The run request inside a kernel request (the kernel's own fields are not the driver's). */
function runRequest(req: KernelRequest): Omit<KernelRequest, 'notebookFolder' | 'frameCapBytes'> {
  const copy: Partial<KernelRequest> = { ...req };
  delete copy.notebookFolder;
  delete copy.frameCapBytes;
  return copy as Omit<KernelRequest, 'notebookFolder' | 'frameCapBytes'>;
}

const noIpykernel = (req: KernelRequest, detail: string) =>
  `Image ${req.image} of configuration ${req.config.name} has no ipykernel (${detail}): add Jupyter kernel support to the image (build.jupyter) and rebuild it.`;

/** A main process that could not start for want of python3 is an image without a kernel too. */
const lacksPython = (outcome: RunOutcome) => /python3/.test(outcome.message) && /not found|no such file|executable/i.test(outcome.message);

/**
 * Starts the kernel's container through the run driver (placement, image, upload, limits, labels, removal)
 * with a keep-alive as its main process, then the relay by one exec: resolves when the kernel answered
 * kernel_info. A failed start removes the container and rejects with a KernelStartError.
 */
export async function startKernel(backend: ExecutionBackend, req: KernelRequest, hooks: RunHooks): Promise<KernelSession> {
  const workingDir = kernelWorkingDir(req.notebookFolder);
  const capBytes = req.frameCapBytes ?? DEFAULT_FRAME_CAP_BYTES;
  const runAbort = new AbortController();
  const endRun = () => runAbort.abort();
  hooks.signal.addEventListener('abort', endRun, { once: true });
  let relayOpened!: (opened: { run: RunHandle; relay: ExecSession } | Error) => void;
  const opened = new Promise<{ run: RunHandle; relay: ExecSession } | Error>((r) => (relayOpened = r));
  const done = runRecipe(
    backend,
    { ...runRequest(req), recipe: '', kind: kernelRun },
    {
      ...hooks,
      signal: runAbort.signal,
      onStarted: (run) => {
        hooks.onStarted?.(run);
        hooks.onStatus('Starting the kernel');
        run.exec(['python3', '-c', RELAY_PY, String(capBytes)], { stdin: true, tty: false, workingDir, signal: runAbort.signal }).then(
          (relay) => relayOpened({ run, relay }),
          (e: Error) => relayOpened(e),
        );
      },
    },
  );
  const failed = async (reason: KernelStartError['reason'], message: string): Promise<never> => {
    runAbort.abort();
    const outcome = await done;
    hooks.signal.removeEventListener('abort', endRun);
    throw new KernelStartError(hooks.signal.aborted ? 'cancelled' : reason, hooks.signal.aborted ? 'Cancelled.' : message, outcome);
  };

  const first = await Promise.race([opened, done]);
  if ('state' in first) {
    hooks.signal.removeEventListener('abort', endRun);
    if (lacksPython(first)) throw new KernelStartError('no-ipykernel', noIpykernel(req, 'no python3'), first);
    const cancelled = first.state === 'cancelled';
    throw new KernelStartError(cancelled ? 'cancelled' : 'run', cancelled ? 'Cancelled.' : first.message, first);
  }
  if (first instanceof Error) return failed('relay', `The kernel's relay could not start in its container: ${first.message}`);

  const { relay } = first;
  const relayExit: Promise<number> = relay.exit().catch(() => -1);
  const kernel = new ContainerKernel({
    runId: req.id,
    description: `${backend.description} · ${req.image}`,
    relay,
    capBytes,
    onWarning: hooks.onWarning,
    end: () => endKernelRun(relay, runAbort, done, relayExit),
  });
  void watchRun(kernel, relay, relayExit, done, backend, req.heartbeatMs ?? 2000);

  let watching: { dispose(): void } | undefined;
  const noKernel = new Promise<string>((resolve) => {
    watching = kernel.onDidChangeState((s, why) => s === 'dead' && resolve(why ?? 'the kernel died'));
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), START_DEADLINE_MS)));
  const started = await Promise.race([
    kernel.whenStarted().then(
      () => 'ok' as const,
      () => undefined,
    ),
    noKernel,
    deadline,
    done,
  ]);
  clearTimeout(timer);
  watching?.dispose();
  if (started === 'ok') {
    hooks.signal.removeEventListener('abort', endRun);
    hooks.signal.addEventListener('abort', () => void kernel.shutdown(), { once: true });
    return kernel;
  }
  if (started === 'late') return failed('relay', `The kernel did not start within ${START_DEADLINE_MS / 1000} s.`);
  if (typeof started === 'string') {
    const m = /^no ipykernel \((.*)\)$/.exec(started);
    return failed(m ? 'no-ipykernel' : 'relay', m ? noIpykernel(req, m[1]!) : `The kernel did not start: ${started}`);
  }
  return failed('run', started?.message ?? 'The kernel did not start.');
}

/** The run ending (daemon lost, container gone) or the relay's stream ending kill the kernel with the reason. */
async function watchRun(
  kernel: ContainerKernel,
  relay: ExecSession,
  relayExit: Promise<number>,
  done: Promise<RunOutcome>,
  backend: ExecutionBackend,
  heartbeatMs: number,
): Promise<void> {
  void done.then((outcome) => kernel.runEnded(outcome));
  relay.stderr.resume(); // the relay writes nothing there; a Python traceback would, and must not block it
  const code = await relayExit;
  // a cut stream is often the first sign of a lost daemon: give the run driver its heartbeat's time to say so
  const bound = new Promise<undefined>((r) => setTimeout(() => r(undefined), 3 * heartbeatMs + 5000).unref());
  const outcome = await Promise.race([done, bound]);
  if (outcome) return kernel.runEnded(outcome);
  const reachable = await backend.ping().then(
    () => true,
    () => false,
  );
  kernel.relayEnded(
    reachable
      ? `The kernel's relay ended (exit code ${code}): restart the kernel to go on.`
      : `${backend.description} stopped answering: the kernel is lost.`,
  );
}

/** Shutdown: the relay ends the kernel and the keep-alive (the run ends as a run does); stopped instead when that does not happen in time. */
async function endKernelRun(
  relay: ExecSession,
  runAbort: AbortController,
  done: Promise<RunOutcome>,
  relayExit: Promise<number>,
): Promise<RunOutcome> {
  if (relay.stdin.writable) relay.stdin.write(`${JSON.stringify({ relay: 'shutdown', container: true })}\n`);
  else runAbort.abort();
  const timer = setTimeout(() => runAbort.abort(), END_DEADLINE_MS);
  try {
    const outcome = await done;
    await relayExit;
    if (outcome.state === 'succeeded' || (outcome.state === 'cancelled' && !outcome.failure))
      return { ...outcome, state: 'succeeded', message: `The kernel was shut down; its container was removed.` };
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
