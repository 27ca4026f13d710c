import type { Readable, Writable } from 'node:stream';
import type { RegistryAuth } from '../build/registry';
import type { Configuration, FieldError } from '../config/configurationSchema';
import type { DaemonDescription } from '../daemonDescription';
import type { OffThreadOutput } from '../run/outputThread';
import type { FetchedOutputs, FetchOutputsOptions, RetrievedOutputs } from '../run/runOutputs';
import type { WorkspaceScan } from '../run/workspaceArchive';
import type { RunTarget } from './descriptor';
import { daemonTarget } from './docker/descriptor';

/**
 * Where runs execute: the seam between the run driver (runRecipe) and a back-end. A back-end is bound
 * to one target; the driver, the task terminal and the Runs view know only these interfaces.
 */

export { DOCKER_DAEMON } from './docker/descriptor';
export { DOCKER_SWARM } from './swarm/descriptor';
export { DOCKER_POOL } from './pool/descriptor';
export { targetOf, targetText } from './descriptors';

export type { RunTarget } from './descriptor';

/**
 * Records written before back-ends named the daemon alone (`daemon`, `outputsKept.daemon`): read as a
 * Docker-daemon target, so old runs still show, re-run and clean up.
 */
export function migrateRunRecord(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  const r = { ...(raw as Record<string, unknown>) };
  if (r.target === undefined && typeof r.daemon === 'string') r.target = daemonTarget(r.daemon);
  delete r.daemon;
  const kept = r.outputsKept as Record<string, unknown> | undefined;
  if (kept && typeof kept === 'object' && kept.target === undefined && typeof kept.daemon === 'string') {
    const { daemon, ...rest } = kept;
    r.outputsKept = { ...rest, target: daemonTarget(daemon as string) };
  }
  return r;
}

export interface ProbeOptions {
  signal: AbortSignal;
  onStatus?(text: string): void;
  /** The run waits: "queued 2nd: your memory budget 8g has 6g in use"; `undefined` once it may go. */
  onQueued?(reason: string | undefined): void;
  /** Daemons a pool places the run elsewhere than, when another of its daemons can run it (a sweep's retry after a daemon lost its attempt). */
  avoid?: AvoidDaemons;
}

/** Daemons a run should not land on, and why ("an earlier attempt of this trial was lost there"): one back from a crash is idle, and may crash again. */
export interface AvoidDaemons {
  daemons: string[];
  why: string;
}

export interface KeptOutputsOptions extends FetchOutputsOptions {
  /** The daemon the run landed on (a pool or swarm run's record: `placement.daemon`): asked alone. */
  landedOn?: string;
}

/** A pool's or swarm's choice: the daemon a run landed on, and why (each candidate's free capacity, the node). */
export interface Placement {
  daemon: string;
  reason: string;
}

/** What the target can grant a configuration: errors refuse the run before anything is created. */
export interface Capacity {
  errors: FieldError[];
  warnings: FieldError[];
}

/** A run as the driver hands it over: everything decided, nothing created. */
export interface RunSpec {
  runId: string;
  image: string;
  cmd: string[];
  workingDir: string;
  env: Record<string, string>;
  /** Metadata the run's resources carry (LABELS): how lost runs are found again. */
  labels: Record<string, string>;
  /** Limits, runtime, GPUs, network: the back-end maps them to its own terms. */
  config: Configuration;
  /**
   * The workspace goes into `workingDir`; `emptyDirs` (relative to it) exist, empty, before the run. With
   * `shared`, a back-end that creates the container on a daemon it knows beforehand starts it from the
   * shared workspace's image there instead of uploading; one that cannot (a swarm) uploads.
   */
  workspace: { dir: string; scan: WorkspaceScan; emptyDirs: string[]; shared?: SharedWorkspace };
  /** Kept after the run (containerExec.keepContainers), with what it logged. */
  keep: boolean;
}

/**
 * A workspace uploaded once per daemon and shared by several runs (a sweep's trials): on each daemon, an
 * image made of the run's image with the workspace in its working dir, made the first time a run lands
 * there. Each run's container is still its own (its writes, its out/), as with an upload.
 */
export interface SharedWorkspace {
  /** The workspace as scanned once for all the runs. */
  scan(): Promise<WorkspaceScan>;
  /** The image on `daemon` to create the run's container from (made on the first call for that daemon; later ones wait for it). */
  imageOn(daemon: DaemonDescription, spec: RunSpec, hooks: { signal: AbortSignal; onStatus(text: string): void }): Promise<string>;
}

export interface StartHooks {
  /** Cancel: the upload stops, and the run is not started. */
  signal: AbortSignal;
  /** Ends the output (and the wait) when the run is over or its target lost. */
  follow: AbortSignal;
  /**
   * Output as it comes, each stream's chunks in order (bytes: the consumer decodes). A promise means
   * the consumer is behind: the back-end stops reading until it settles (the run's writes then wait).
   */
  onOutput(chunk: Buffer, stream: 'stdout' | 'stderr'): void | Promise<unknown>;
  /**
   * When set, the output is read off the caller's thread instead (readOutputOffThread: a worker owns the
   * stream, writes the log, paces the terminal) and `onOutput` is not called. A back-end that reads its
   * output from a container on a daemon does so; one that cannot, calls `onOutput` (and writes the log there).
   */
  offThread?: OffThreadOutput;
  onStatus(text: string): void;
  /** The run's resource exists (a container id): it belongs in the run record at once. */
  onCreated?(id: string): void | Promise<void>;
}

export interface Started {
  /** Resolves when the output was read to its end; rejects when it was cut (the target may be gone). */
  output: Promise<void>;
}

export interface RunExit {
  exitCode: number;
  oomKilled: boolean;
  /** Killed (exit 137) on an engine that never reports OOM kills (Podman 4): it may have been one. */
  oomUnreported?: boolean;
}

export interface ExecOptions {
  /** A terminal: output comes as one stream (stdout), as a shell wants it. */
  tty?: boolean;
  /** Keep stdin open: `ExecSession.stdin` is writable; ending it closes the command's stdin. */
  stdin?: boolean;
  env?: Record<string, string>;
  workingDir?: string;
  signal?: AbortSignal;
}

/** A command running next to a run (debuggers, shells): its streams, then its exit code. */
export interface ExecSession {
  /** Writable when opened with `stdin`; `end()` closes the command's stdin. */
  stdin: Writable;
  stdout: Readable;
  /** Empty with a tty. */
  stderr: Readable;
  /** The exit code, once the command ended and its output was read. */
  exit(): Promise<number>;
  /** Ends the session (the command's streams close). */
  close(): void;
  /** A tty's new size (a terminal resized): the command gets SIGWINCH. */
  resize?(columns: number, rows: number): Promise<void>;
}

/** One run on the back-end's target, created or not yet: every call works from the run id alone. */
export interface RunHandle {
  /** How the back-end names the run's resource (the container name). */
  readonly name: string;
  /** Create, upload the workspace, follow the output, start. Throws when any step fails. */
  start(spec: RunSpec, hooks: StartHooks): Promise<Started>;
  /** Resolves when the run ended; ends when `follow` aborts. */
  wait(follow: AbortSignal): Promise<RunExit>;
  /** SIGTERM, SIGKILL after `graceSeconds`. */
  stop(graceSeconds: number): Promise<void>;
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecSession>;
  /**
   * The Engine stats of the run's container (parsed JSON, about one a second), from the daemon it runs on
   * (a pool's: where it landed; a swarm's: its node's), until the stream ends or `signal` aborts; rejects when cut.
   */
  followStats(onStats: (raw: unknown) => void, signal: AbortSignal): Promise<void>;
  /** The run's folder `path` into `dest` (dest/<basename>), each entry judged alone, with caps. */
  fetchOutputs(path: string, dest: string, opts?: FetchOutputsOptions): Promise<FetchedOutputs>;
  /** Removes the run's resource; an already-gone one is not an error. */
  remove(opts?: { signal?: AbortSignal }): Promise<void>;
}

/** A run's resource that no run owns any more (lost with its target, or with VS Code). */
export interface LostRun {
  /** The back-end's id of it (a container id, or an image id), for `removeLost`. */
  id: string;
  name: string;
  /** The run's id; a sweep's workspace image: the sweep's. */
  runId: string;
  /** A sweep's workspace image (left by a window closed mid-sweep, or a daemon lost before its end), not a container. */
  image?: boolean;
}

export interface ImageOptions {
  /** Pull when missing (from the registry in `registryAuth`'s configuration, or a named public image). */
  pull: boolean;
  registryAuth?: RegistryAuth;
  signal: AbortSignal;
  onLine(text: string): void;
}

/** The daemon a pull goes through (the registry password goes to it), and why it is that one. */
export interface PullDaemon {
  id: string;
  host: string;
  /** For a prompt: "placement chose it for this run of pool "p"". */
  why?: string;
}

/** How a back-end answers for its image. */
export type ImageState = 'present' | 'pulled';

export interface ExecutionBackend {
  readonly kind: string;
  readonly target: RunTarget;
  /** For messages: `daemon "local" (unix:///var/run/docker.sock)`. */
  readonly description: string;
  /**
   * Asks the target what it can grant `config` (the target not answering throws). A pool places the run
   * here, and waits while it does not fit (`onQueued` with the reason, then `undefined` when admitted).
   */
  probe(config: Configuration, opts: ProbeOptions): Promise<Capacity>;
  /** Where the run landed and why (pools: from the probe; swarms: once the task is on a node). */
  readonly placement?: Placement;
  /** True when the target has the image. */
  hasImage(ref: string, opts: { signal: AbortSignal }): Promise<boolean>;
  pullImage(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void>;
  /** The daemon `pullImage` would go through now (a pool: the daemon the run was placed on; a swarm: its manager). */
  pullsThrough(): PullDaemon;
  /** The handle of run `runId` (nothing is created until `start`). */
  run(runId: string): RunHandle;
  /** Throws when the target does not answer within its deadline. */
  ping(): Promise<void>;
  /** Calls `onLost` once when the target stops answering (two misses in a row); returns the stop function. */
  heartbeat(everyMs: number, onLost: (e: Error) => void): () => void;
  /** Resources of `workspaceDir`'s runs not among `activeRunIds` and not kept on purpose. */
  findLost(workspaceDir: string, activeRunIds: ReadonlySet<string>, opts?: { signal?: AbortSignal }): Promise<LostRun[]>;
  removeLost(lost: LostRun, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Outputs a run left in its kept resource (`container`: the name in its record), then removes it unless
   * cut again. `gone` only when the daemon holding it says it is gone; a daemon that does not answer throws.
   */
  retrieveKeptOutputs(container: string, outputPath: string, dest: string, opts?: KeptOutputsOptions): Promise<RetrievedOutputs>;
  dispose(): void;
}
