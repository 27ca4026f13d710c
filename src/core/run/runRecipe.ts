import * as path from 'node:path';
import {
  targetText,
  type AvoidDaemons,
  type ExecutionBackend,
  type PullDaemon,
  type RunExit,
  type RunHandle,
  type RunSpec,
  type SharedWorkspace,
} from '../backend/backend';
import { targetNoun } from '../backend/descriptors';
import type { Configuration } from '../config/configurationSchema';
import { usageDenied } from '../config/permissions';
import type { RegistryAuth } from '../build/registry';
import { LABELS, osUser } from '../labels';
import type { OffThreadOutput } from './outputThread';
import { recipeRun, type RunKind } from './kinds';
import { workspaceLabel } from './recipe';
import { capText } from './runOutputs';
import { recordUsage, type UsageRecording, type UsageRecordingOptions } from '../stats/usageRecording';
import { memoryText, type UsageSummary } from '../stats/usageSummary';
import type { UsageSample } from '../stats/usage';
import { scanWorkspace, type WorkspaceScan } from './workspaceArchive';

/** Why a run did not succeed; `image-missing` lets the UI offer a build. */
export type RunFailure = 'permission' | 'recipe' | 'capacity' | 'image-missing' | 'daemon' | 'exit' | 'oom' | 'daemon-lost' | 'engine';

class RunError extends Error {
  constructor(
    readonly kind: RunFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface RunRequest {
  id: string;
  /** Workspace-relative, posix. */
  recipe: string;
  args?: string[];
  env?: Record<string, string>;
  config: Configuration;
  image: string;
  /** Pull the image when the daemon lacks it (from the configuration's registry, or a named public image). */
  pull: boolean;
  /**
   * The registry credentials for a pull through `daemon`, the one the back-end pulls through (known after
   * placement): asked only when a pull is needed. Throwing refuses the pull; nothing is sent.
   */
  registryAuth?(daemon: PullDaemon): Promise<RegistryAuth | undefined>;
  workspaceDir: string;
  /** Local folder the outputs come back into: <workspace>/.container-exec/runs/<id>. */
  outputsDir: string;
  /** The OS user's groups, for the configuration's permission check. */
  groups: string[];
  interpreters: Record<string, string>;
  uploadExclude?: string[];
  /** Above this, the upload is announced as a warning. */
  uploadWarnBytes?: number;
  /** Folder in the container copied back after the run. */
  outputPath?: string;
  /** Caps on the copy back: past one, the container is kept with the rest (see `RunOutcome.outputsKept`). */
  outputMaxBytes?: number;
  outputMaxEntries?: number;
  keepContainer?: boolean;
  /** `docker stop -t`: SIGTERM, then SIGKILL after this many seconds. */
  graceSeconds?: number;
  /** How often the target is pinged while the recipe runs (a target that stops answering fails the run). */
  heartbeatMs?: number;
  extensionVersion: string;
  /** What kind of run (its command, label, refusals): a plain recipe run when absent. */
  kind?: RunKind;
  /** The workspace uploaded once per daemon for several runs (a sweep's trials), instead of once for this run. */
  sharedWorkspace?: SharedWorkspace;
  /** Daemons of a pool this run goes elsewhere than if it can (a sweep's retry after a daemon lost the trial's attempt). */
  avoid?: AvoidDaemons;
  /** Resource use is sampled while the container runs (into `outputsDir`/stats.jsonl) unless `false`; the timings for tests. */
  usageSampling?: UsageRecordingOptions['sampling'] | false;
}

export interface RunHooks {
  /** Cancel: stops the container (grace period), still fetches outputs, removes it. */
  signal: AbortSignal;
  /**
   * The recipe's output as the daemon sent it, each stream in order. Bytes, not text: a consumer
   * decodes once where it needs text (a character may span chunks: use a StringDecoder per stream).
   * Returning a promise (the consumer's log is behind) pauses the reading until it settles.
   */
  onOutput(chunk: Buffer, stream: 'stdout' | 'stderr'): void | Promise<unknown>;
  /** The output read off this thread, as StartHooks.offThread says (the extension host's runs). */
  offThread?: OffThreadOutput;
  /** One line per step (uploading, starting, fetching outputs...). */
  onStatus(text: string): void;
  onWarning(text: string): void;
  /** The run's container exists: its id belongs in the run record at once. */
  onContainer?(id: string): void;
  /** The run waits in a pool's queue (the reason and position), or (`undefined`) no longer. */
  onQueued?(reason: string | undefined): void;
  /** The container runs: a debugger attaches through `run.exec` here. */
  onStarted?(run: RunHandle): void;
  /** A resource-use sample (about one a second while the container runs), and the peaks so far. */
  onUsage?(sample: UsageSample, summary: UsageSummary): void;
}

export interface RunOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  failure?: RunFailure;
  /** What happened, in words (the error, the exit code, OOM). */
  message: string;
  exitCode?: number;
  oomKilled: boolean;
  containerId?: string;
  /** The fetched output folder (<outputsDir>/out), when the recipe wrote one. */
  outputs?: string;
  /** The target stopped answering: its container could not be removed (found later by label). */
  lost?: boolean;
  /** Not all outputs came back (a cap, a failed fetch): the container was kept with them; retrieveKeptOutputs brings them. */
  outputsKept?: { container: string; outputPath: string; reason: string };
  /** What the run used while it ran (peaks, totals), when the daemon gave samples. */
  usage?: UsageSummary;
}

export const WORKSPACE_IN_CONTAINER = '/workspace';
export const DEFAULT_OUTPUT_PATH = '/workspace/out';

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The run driver, the same for every back-end: permission → target reachable → capacity → image
 * (pulled if allowed) → start (create labelled, upload the workspace, follow the output) → wait →
 * copy the output folder back → remove; cancel and loss of the target are handled here, once. Never
 * throws: every failure is an outcome with a message, and no container is left behind unless the
 * target itself vanished (then `lost`, and the container carries the run's label).
 */
export async function runRecipe(backend: ExecutionBackend, req: RunRequest, hooks: RunHooks): Promise<RunOutcome> {
  const { signal } = hooks;
  let cmd: string[];
  try {
    cmd = await prepare(backend, req, hooks);
  } catch (e) {
    if (signal.aborted) return { state: 'cancelled', message: 'Cancelled before the container was created.', oomKilled: false };
    return { state: 'failed', failure: e instanceof RunError ? e.kind : 'daemon', message: (e as Error).message, oomKilled: false };
  }
  return execute(backend, req, hooks, cmd);
}

/** Everything checked before a container exists; returns the recipe's command. */
async function prepare(backend: ExecutionBackend, req: RunRequest, hooks: RunHooks): Promise<string[]> {
  const c = req.config;
  const { signal } = hooks;
  const denied = usageDenied(c, req.groups);
  if (denied) throw new RunError('permission', denied);
  const kind = req.kind ?? recipeRun;
  let cmd: string[];
  try {
    cmd = kind.command(req); // an unknown extension fails before the target is asked
  } catch (e) {
    throw new RunError('recipe', (e as Error).message);
  }
  const refused = kind.refusal?.(c);
  if (refused) throw new RunError('permission', refused);
  hooks.onStatus(`Checking ${backend.description}`);
  const capacity = await backend.probe(c, { signal, onStatus: hooks.onStatus, onQueued: hooks.onQueued, avoid: req.avoid });
  if (capacity.errors.length)
    throw new RunError(
      'capacity',
      `Cannot run on configuration ${c.name}: ${capacity.errors.map((e) => e.message).join('; ')}. Nothing was created.`,
    );
  for (const w of capacity.warnings) hooks.onWarning(w.message);

  if (await backend.hasImage(req.image, { signal })) return cmd;
  const missing = `Image ${req.image} of configuration ${c.name} is not on ${backend.description}`;
  if (!req.pull) throw new RunError('image-missing', `${missing}: build it first (Build Base Image).`);
  let auth: RegistryAuth | undefined;
  try {
    auth = await req.registryAuth?.(backend.pullsThrough());
  } catch (e) {
    if (signal.aborted) throw e;
    throw new RunError('permission', (e as Error).message);
  }
  hooks.onStatus(`Pulling ${req.image}${c.registry ? ` from ${c.registry.url}` : ''}`);
  try {
    await backend.pullImage(req.image, auth, signal, (line) => hooks.onStatus(line));
  } catch (e) {
    if (signal.aborted) throw e;
    throw new RunError(
      'image-missing',
      `${missing} and could not be pulled: ${(e as Error).message}. Build it (Build Base Image) or push it to the registry.`,
    );
  }
  return cmd;
}

async function execute(backend: ExecutionBackend, req: RunRequest, hooks: RunHooks, cmd: string[]): Promise<RunOutcome> {
  const { signal } = hooks;
  const c = req.config;
  const outputPath = req.outputPath ?? DEFAULT_OUTPUT_PATH;
  const run = backend.run(req.id);
  const outcome: RunOutcome = { state: 'failed', message: '', oomKilled: false };
  // ends the output and wait streams when the target is gone or the run is over
  const streams = new AbortController();
  let lost: Error | undefined;
  let stopHeartbeat = () => {};
  let stopping: Promise<void> | undefined;
  let started = false;
  let usage: UsageRecording | undefined;
  const onCancel = () => {
    if (!started || stopping) return; // before start, the container is just removed
    hooks.onStatus(`Stopping the container (SIGTERM, SIGKILL after ${req.graceSeconds ?? 10} s)`);
    stopping = run.stop(req.graceSeconds ?? 10).catch(async (e: Error) => {
      // a refused stop must not leave the run going: removing with force kills it
      hooks.onWarning(`Could not stop ${run.name} (${e.message}): removing it.`);
      await run.remove().catch(() => undefined);
    });
  };
  try {
    const scan = req.sharedWorkspace ? await req.sharedWorkspace.scan() : await scanWorkspace(req.workspaceDir, req.uploadExclude);
    if (!req.sharedWorkspace) warnOfLargeUpload(req, scan, hooks); // a sweep's: once, by the sweep
    const { output } = await run.start(containerSpec(req, cmd, scan, outputPath), {
      signal,
      follow: streams.signal,
      onOutput: hooks.onOutput,
      offThread: hooks.offThread,
      onStatus: hooks.onStatus,
      onCreated: (id) => {
        outcome.containerId = id;
        hooks.onContainer?.(id);
      },
    });
    started = true;
    usage = sampleUsage(run, req, hooks);
    hooks.onStarted?.(run);
    signal.addEventListener('abort', onCancel, { once: true });
    if (signal.aborted) onCancel();
    // a cut output stream is the first sign of a vanished target: ask it at once rather than at the next heartbeat
    const drained = output.catch(async (e: Error) => {
      if (streams.signal.aborted) return;
      const pingError = await backend.ping().then(
        () => undefined,
        (pe: Error) => pe,
      );
      if (pingError && !lost && !streams.signal.aborted) {
        lost = pingError;
        streams.abort();
      } else if (!pingError) hooks.onWarning(`${e.message}. The recipe goes on, but its further output is not shown.`);
    });
    hooks.onStatus(`Running ${cmd.join(' ')} in ${req.image}`);

    // a target that stops answering (two pings in a row) fails the run within its deadlines: the wait may never end
    stopHeartbeat = backend.heartbeat(req.heartbeatMs ?? 2000, (e) => {
      if (lost || streams.signal.aborted) return;
      lost = e;
      streams.abort();
    });
    const exit = await run
      .wait(streams.signal)
      .catch((e: unknown) => Promise.reject(lost ?? e))
      .finally(stopHeartbeat);
    await Promise.race([drained, new Promise((r) => setTimeout(r, 2000))]);
    await stopping;
    outcome.usage = await usage?.stop();
    endedOutcome(outcome, exit, signal.aborted, c);
  } catch (e) {
    // whatever broke, a target that no longer answers is the reason
    if (!lost && !signal.aborted) await backend.ping().catch((pingError: Error) => (lost = pingError));
    brokenOutcome(outcome, backend, lost, signal.aborted, e as Error);
  } finally {
    stopHeartbeat();
    signal.removeEventListener('abort', onCancel);
    streams.abort();
    await stopping;
    outcome.usage = await usage?.stop();
    if (!lost) await finish(backend, run, req, hooks, outcome, outputPath, started);
    // the target may only be unreachable from here: one bounded attempt, else its label finds it later
    else await run.remove().catch(() => undefined);
  }
  return outcome;
}

/** Every kind's container is sampled here, on the daemon it runs on, unless the request says not to. */
function sampleUsage(run: RunHandle, req: RunRequest, hooks: RunHooks): UsageRecording | undefined {
  if (req.usageSampling === false) return undefined;
  return recordUsage(run, {
    folder: req.outputsDir,
    cpuLimit: req.config.resources.cpus,
    sampling: req.usageSampling,
    onUsage: hooks.onUsage,
  });
}

/** Past containerExec.uploadWarnMB, the upload is slow on a remote target: say so, and how to make it smaller (a sweep says it once). */
export function largeUploadWarning(req: Pick<RunRequest, 'uploadWarnBytes' | 'workspaceDir'>, scan: WorkspaceScan): string | undefined {
  if (req.uploadWarnBytes !== undefined && scan.bytes > req.uploadWarnBytes)
    return `Uploading ${(scan.bytes / 1e6).toFixed(1)} MB (${scan.files} files) from ${req.workspaceDir}: more than containerExec.uploadWarnMB. Exclude folders with .gitignore or containerExec.uploadExclude.`;
  return undefined;
}

function warnOfLargeUpload(req: RunRequest, scan: WorkspaceScan, hooks: RunHooks): void {
  const warning = largeUploadWarning(req, scan);
  if (warning) hooks.onWarning(warning);
}

/** What the run's container is made of: its labels find it again (cleanup, lost runs), its environment tells the recipe where outputs go. */
function containerSpec(req: RunRequest, cmd: string[], scan: WorkspaceScan, outputPath: string): RunSpec {
  const c = req.config;
  const labels = {
    [LABELS.run]: req.id,
    [LABELS.configuration]: c.name,
    [LABELS.recipe]: req.recipe,
    [LABELS.version]: req.extensionVersion,
    [LABELS.kind]: (req.kind ?? recipeRun).name,
    [LABELS.workspace]: workspaceLabel(req.workspaceDir),
    [LABELS.user]: osUser(),
    ...(req.keepContainer ? { [LABELS.kept]: 'true' } : {}),
  };
  const env = {
    PYTHONUNBUFFERED: '1',
    ...c.env,
    ...req.env,
    CONTAINER_EXEC_RUN_ID: req.id,
    CONTAINER_EXEC_CONFIGURATION: c.name,
    CONTAINER_EXEC_OUTPUT: outputPath,
  };
  const inWorkspace = path.posix.relative(WORKSPACE_IN_CONTAINER, outputPath);
  return {
    runId: req.id,
    image: req.image,
    cmd,
    workingDir: WORKSPACE_IN_CONTAINER,
    env,
    labels,
    config: c,
    workspace: {
      dir: req.workspaceDir,
      scan,
      emptyDirs: inWorkspace && !inWorkspace.startsWith('..') ? [inWorkspace] : [],
      shared: req.sharedWorkspace,
    },
    keep: Boolean(req.keepContainer),
  };
}

/** The outcome of a run whose container ended: a cancel wins over an OOM kill, which wins over the exit code. */
function endedOutcome(outcome: RunOutcome, exit: RunExit, cancelled: boolean, c: Configuration): void {
  outcome.exitCode = exit.exitCode;
  outcome.oomKilled = exit.oomKilled;
  if (cancelled)
    Object.assign(outcome, { state: 'cancelled', message: `Cancelled: the container was stopped (exit code ${outcome.exitCode}).` });
  else if (outcome.oomKilled)
    Object.assign(outcome, {
      failure: 'oom',
      message: `OOM-killed: the recipe needed more memory than configuration ${c.name} allows (memory ${c.resources.memory ?? 'unlimited'}${outcome.usage ? `; peak ${memoryText(outcome.usage.peakMemBytes, outcome.usage.memLimitBytes)} sampled` : ''}); exit code ${outcome.exitCode}.`,
    });
  else if (outcome.exitCode === 0) Object.assign(outcome, { state: 'succeeded', message: 'Recipe exited with code 0.' });
  else if (exit.oomUnreported && c.resources.memory)
    Object.assign(outcome, {
      failure: 'exit',
      message: `Recipe was killed (exit code ${outcome.exitCode}, SIGKILL): this engine does not report out-of-memory kills, and configuration ${c.name} allows memory ${c.resources.memory}: it may have needed more.`,
    });
  else Object.assign(outcome, { failure: 'exit', message: `Recipe exited with code ${outcome.exitCode}.` });
}

/** The outcome of a run that broke before its container ended: a lost target, then a cancel, then the engine's error. */
function brokenOutcome(outcome: RunOutcome, backend: ExecutionBackend, lost: Error | undefined, cancelled: boolean, e: Error): void {
  if (lost)
    Object.assign(outcome, {
      failure: 'daemon-lost',
      lost: true,
      message: `${capitalized(backend.description)} stopped answering mid-run: ${lost.message}. The run is marked failed; its container will be offered for cleanup when the ${targetNoun(backend.target)} is back.`,
    });
  else if (cancelled) Object.assign(outcome, { state: 'cancelled', message: 'Cancelled before the recipe ran.' });
  else Object.assign(outcome, { failure: 'engine', message: e.message });
}

/**
 * Outputs come back (also after a failure or cancel), then the container goes (by name: even one whose
 * create answer was lost). A fetch cut by a cap or failed keeps the container: the outputs are still in it.
 */
async function finish(
  backend: ExecutionBackend,
  run: RunHandle,
  req: RunRequest,
  hooks: RunHooks,
  outcome: RunOutcome,
  outputPath: string,
  started: boolean,
): Promise<void> {
  const name = run.name;
  if (started) {
    hooks.onStatus(`Fetching ${outputPath}`);
    try {
      const fetched = await run.fetchOutputs(outputPath, req.outputsDir, {
        maxBytes: req.outputMaxBytes,
        maxEntries: req.outputMaxEntries,
        onWarning: (t) => hooks.onWarning(t),
      });
      outcome.outputs = fetched.folder;
      if (fetched.capped)
        outcome.outputsKept = {
          container: name,
          outputPath,
          reason: `${capText(fetched.capped)}: fetched ${fetched.entries} entries (${(fetched.bytes / 1e6).toFixed(1)} MB)`,
        };
      else if (!outcome.outputs) hooks.onStatus(`No outputs: the recipe wrote nothing to ${outputPath}.`);
    } catch (e) {
      outcome.outputsKept = { container: name, outputPath, reason: `fetching them failed: ${(e as Error).message}` };
    }
    if (outcome.outputsKept) {
      hooks.onWarning(
        `Not all outputs of ${outputPath} came back: ${outcome.outputsKept.reason}. Container ${name} was kept on ${targetText(backend.target)} with them: run "Fetch Run Outputs" on this run (Runs view or palette) to fetch the rest (raise the cap first if one was hit); it then removes the container.`,
      );
      return;
    }
  }
  if (req.keepContainer && outcome.containerId) {
    hooks.onStatus(`Kept container ${name} (containerExec.keepContainers).`);
    return;
  }
  try {
    await run.remove();
  } catch (e) {
    hooks.onWarning(`Could not remove container ${name}: ${(e as Error).message}. Remove it in the Daemons view.`);
  }
}
