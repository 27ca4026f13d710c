import { PassThrough } from 'node:stream';
import { pullImage, type RegistryAuth } from '../../build/registry';
import type { Configuration } from '../../config/configurationSchema';
import { createDaemonClient, type DaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import { engineLabel } from '../../engineTypes';
import {
  followContainerStats,
  attachContainer,
  createContainer,
  createExec,
  imageExists,
  inspectContainer,
  putArchive,
  removeContainer,
  removeImage,
  startContainer,
  stopContainer,
  waitContainer,
} from '../../engine';
import { isNotFound } from '../../errors';
import { LABELS } from '../../labels';
import { demuxFrames } from '../../run/demux';
import { readOutputOffThread } from '../../run/outputThread';
import { findLostLeftovers } from '../../run/lostRuns';
import { fetchOutputs, retrieveKeptOutputs, type FetchOutputsOptions } from '../../run/runOutputs';
import { packWorkspace } from '../../run/workspaceArchive';
import {
  DOCKER_DAEMON,
  type Capacity,
  type ExecOptions,
  type ExecSession,
  type ExecutionBackend,
  type PullDaemon,
  type LostRun,
  type RunExit,
  type RunHandle,
  type RunSpec,
  type RunTarget,
  type StartHooks,
  type Started,
} from '../backend';
import type { BackendProvider } from '../registry';
import { checkCapacity, hasGpuRuntime, podmanRefusals } from './capacity';
import { toHostConfig } from './hostConfig';
import { createOnPodman } from './podmanCreate';

export const runContainerName = (runId: string) => `container-exec-run-${runId}`;

/** Runs as containers on one Docker daemon, through the Engine API (dockerode), every call with the daemon's deadline. */
export class DockerDaemonBackend implements ExecutionBackend {
  readonly kind = DOCKER_DAEMON;
  readonly target: RunTarget;

  /** `owned`: the client is this back-end's, disposed with it (not when a caller lends its own). */
  constructor(
    readonly client: DaemonClient,
    private readonly owned = false,
  ) {
    this.target = { kind: DOCKER_DAEMON, id: client.daemon.id };
  }

  get description(): string {
    return `daemon "${this.client.daemon.id}" (${this.client.host})`;
  }

  async probe(c: Configuration, { signal }: { signal: AbortSignal }): Promise<Capacity> {
    const [info, version] = await Promise.all([this.client.stableInfo({ signal }), this.client.engine({ signal })]);
    const capacity = checkCapacity(c, info);
    if (version.engine === 'Podman') {
      const refused = podmanRefusals(c, engineLabel(version), c.daemon);
      const fields = new Set(refused.map((e) => e.field));
      capacity.errors = [...capacity.errors.filter((e) => !fields.has(e.field)), ...refused];
      capacity.warnings = capacity.warnings.filter((w) => w.field !== 'gpus'); // the GPU-runtime warning: GPUs are CDI devices there
    } else if (c.gpus !== 'none' && !hasGpuRuntime(info))
      capacity.errors.push({
        field: 'gpus',
        message: `configuration ${c.name} asks for GPUs (gpus: ${JSON.stringify(c.gpus)}), but daemon "${c.daemon}" (${info.name}) has no GPU runtime (it has: ${info.runtimes.join(', ')})`,
      });
    return capacity;
  }

  hasImage(ref: string, { signal }: { signal: AbortSignal }): Promise<boolean> {
    return imageExists(this.client, ref, { signal });
  }

  pullImage(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
    return pullImage(this.client, ref, auth, signal, onLine);
  }

  pullsThrough(): PullDaemon {
    return { id: this.client.daemon.id, host: this.client.host };
  }

  run(runId: string): RunHandle {
    return new DockerRun(this.client, runContainerName(runId));
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  heartbeat(everyMs: number, onLost: (e: Error) => void): () => void {
    return this.client.heartbeat(everyMs, onLost);
  }

  async findLost(workspaceDir: string, activeRunIds: ReadonlySet<string>, opts?: { signal?: AbortSignal }): Promise<LostRun[]> {
    const { containers, images } = await findLostLeftovers(this.client, workspaceDir, activeRunIds, opts);
    // containers first: removing them frees the images they were made from
    return [
      ...containers.map((c) => ({ id: c.id, name: c.name, runId: c.labels[LABELS.run]! })),
      ...images.map((i) => ({ id: i.id, name: i.tags[0] ?? i.id.slice(7, 19), runId: i.labels[LABELS.run]!, image: true })),
    ];
  }

  async removeLost(lost: LostRun, opts?: { signal?: AbortSignal }): Promise<void> {
    if (!lost.image) return removeContainer(this.client, lost.id, opts);
    await removeImage(this.client, lost.id, opts).catch((e: Error) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  retrieveKeptOutputs(container: string, outputPath: string, dest: string, opts?: FetchOutputsOptions) {
    return retrieveKeptOutputs(this.client, container, outputPath, dest, opts);
  }

  dispose(): void {
    if (this.owned) this.client.dispose();
  }
}

/** A run's container, addressed by its name: calls work before its id is known, even when the create answer was lost. */
export class DockerRun implements RunHandle {
  constructor(
    private readonly client: DaemonClient,
    readonly name: string,
  ) {}

  async start(spec: RunSpec, hooks: StartHooks): Promise<Started> {
    const { client, name } = this;
    const { signal } = hooks;
    const { shared } = spec.workspace;
    // a shared workspace is an image on this daemon (made by the first run that lands here): nothing to upload
    const image = shared ? await shared.imageOn(client.daemon, spec, hooks) : spec.image;
    if (signal.aborted) throw new Error('cancelled');
    // not cancelled mid-request: a container the daemon made but we never heard of would be left behind
    const body = {
      name,
      Image: image,
      Cmd: spec.cmd,
      WorkingDir: spec.workingDir,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      // the run keeps its own log: the daemon writing a json-file copy of every byte halves the throughput
      HostConfig: { ...toHostConfig(spec.config), ...(spec.keep ? {} : { LogConfig: { Type: 'none', Config: {} } }) },
    };
    const podman = (await client.engine()).engine === 'Podman';
    const created = { id: podman ? await createOnPodman(client, body, spec.config) : await createContainer(client, body) };
    await hooks.onCreated?.(created.id);
    if (signal.aborted) throw new Error('cancelled');
    if (shared) hooks.onStatus(`The workspace is in ${spec.workingDir} already (the image shared on daemon "${client.daemon.id}")`);
    else await uploadWorkspace(client, created.id, spec, signal, hooks.onStatus);

    // attached before start, as `docker run` does: not a byte of output is missed
    let output: Promise<void>;
    if (hooks.offThread) ({ output } = await readOutputOffThread(client, created.id, hooks.follow, hooks.offThread));
    else {
      const stream = await attachContainer(client, created.id, { signal: hooks.follow });
      demuxFrames(stream, (payload, fd) => hooks.onOutput(payload, fd === 1 ? 'stdout' : 'stderr'));
      output = client.streamEnd('output', stream, hooks.follow);
      output.catch(() => undefined); // the driver reads it; until then an early cut is not unhandled
    }

    if (signal.aborted) throw new Error('cancelled');
    await startContainer(client, created.id);
    return { output };
  }

  async wait(follow: AbortSignal): Promise<RunExit> {
    const { client, name } = this;
    // raced with `follow`: an answer from a daemon killed mid-run never completes
    const waited = await waitContainer(client, name, follow);
    const state = await inspectContainer(client, name);
    const exitCode = waited.StatusCode ?? state.State.ExitCode;
    // Podman's OOMKilled is always false: a SIGKILL there may have been the memory limit's
    const oomUnreported = exitCode === 137 && !state.State.OOMKilled && (await client.engine()).engine === 'Podman';
    return { exitCode, oomKilled: state.State.OOMKilled, ...(oomUnreported ? { oomUnreported } : {}) };
  }

  async stop(graceSeconds: number): Promise<void> {
    await stopContainer(this.client, this.name, { graceSeconds });
  }

  async remove(opts?: { signal?: AbortSignal }): Promise<void> {
    try {
      await removeContainer(this.client, this.name, opts);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  fetchOutputs(outputPath: string, dest: string, opts?: FetchOutputsOptions) {
    return fetchOutputs(this.client, this.name, outputPath, dest, opts);
  }

  followStats(onStats: (raw: unknown) => void, signal: AbortSignal): Promise<void> {
    return followContainerStats(this.client, this.name, onStats, signal);
  }

  /**
   * Engine API exec: create, then start hijacked (the HTTP connection becomes the command's stdio).
   * Without a tty the output is multiplexed (8-byte frame headers): demuxed into stdout and stderr.
   */
  async exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecSession> {
    const { client, name } = this;
    const tty = Boolean(opts.tty);
    const exec = await createExec(
      client,
      name,
      {
        Cmd: cmd,
        AttachStdin: Boolean(opts.stdin),
        Tty: tty,
        ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
      },
      { signal: opts.signal },
    );
    // the session lasts as long as the command: only the upgrade itself has a deadline
    const socket = await exec.start({ stdin: Boolean(opts.stdin), tty }, { signal: opts.signal });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const stdin = new PassThrough();
    if (opts.stdin) stdin.pipe(socket);
    else stdin.resume();
    if (tty) socket.pipe(stdout);
    else demuxFrames(socket, (payload, fd) => (fd === 2 ? stderr : stdout).write(payload));
    const ended = new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
      socket.once('error', reject);
    }).finally(() => {
      stdout.end();
      stderr.end();
    });
    ended.catch(() => undefined);
    const onAbort = () => socket.destroy();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      stdin,
      stdout,
      stderr,
      exit: async () => {
        try {
          await ended;
        } finally {
          opts.signal?.removeEventListener('abort', onAbort);
        }
        // the stream ends a moment before the daemon records the exit code
        for (let i = 0; ; i++) {
          const info = await exec.inspect({ signal: opts.signal });
          if (!info.Running && info.ExitCode !== null) return info.ExitCode;
          if (i >= 50)
            throw new Error(`exec ${cmd.join(' ')} in ${name} on ${client.host}: its stream ended but the command is still running`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      close: () => socket.destroy(),
      resize: (columns, rows) => exec.resize(columns, rows),
    };
  }
}

/** Uploads the workspace into the working dir of container `id` (created, not started). */
export async function uploadWorkspace(
  client: DaemonClient,
  id: string,
  spec: Pick<RunSpec, 'workspace' | 'workingDir'>,
  signal: AbortSignal,
  onStatus: (text: string) => void,
): Promise<void> {
  const { scan } = spec.workspace;
  onStatus(`Uploading ${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB) to ${spec.workingDir}`);
  const packed = packWorkspace(spec.workspace.dir, scan, spec.workspace.emptyDirs);
  try {
    await putArchive(client, id, packed.stream, spec.workingDir, {
      signal,
      timeoutMs: client.daemon.timeoutMs + scan.bytes / 1000, // at least 1 MB/s
    });
  } catch (e) {
    // a file that could not be read is the reason, not the transport the tar broke
    throw packed.failure() ?? e;
  } finally {
    packed.destroy();
  }
}

/** The Docker-daemon provider: daemon ids resolved by `resolve` (settings, DOCKER_HOST, contexts: the UI's business). */
export function dockerDaemonProvider(
  resolve: (id: string) => Promise<DaemonDescriptionInput | DaemonDescription | undefined>,
): BackendProvider {
  return {
    kind: DOCKER_DAEMON,
    noun: 'daemon',
    open: async (id) => {
      const daemon = await resolve(id);
      return daemon && new DockerDaemonBackend(createDaemonClient(daemon), true);
    },
  };
}
