import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

// The one place that casts dockerode: the calls the product makes, typed. dockerode takes `{ abortSignal }`
// on every call (it hands it to docker-modem), but @types/dockerode does not say so, and types answers
// loosely. An answer typed `unknown` here is parsed by zod where it is used; the others are taken as
// they were before this module existed (not checked).

/** Options of a call plus the signal that destroys its request. */
export type Signalled<T extends object = object> = T & { abortSignal: AbortSignal };
type Answer = Promise<unknown>;
type Stream = Promise<NodeJS.ReadableStream>;
type ListFilters = Record<string, string[]>;
/** A request body the Engine API takes as JSON: the fields named are the ones the product relies on. */
type Body<T extends object> = T & Record<string, unknown>;

/** Registry credentials as the Engine API takes them (X-Registry-Auth). */
export interface EngineAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
}

export interface EngineBuildOptions {
  t: string;
  labels?: Record<string, string>;
  buildargs: Record<string, string>;
  dockerfile: string;
  nocache: boolean;
}

export interface ContainerInspect {
  State: { ExitCode: number; OOMKilled: boolean; StartedAt?: string };
  Config: { Labels: Record<string, string> | null; Tty?: boolean };
  /** Podman names them as the kernel does (`RLIMIT_NPROC`), Docker as `--ulimit` does (`nproc`). */
  HostConfig?: { Ulimits?: { Name: string; Soft: number; Hard: number }[] | null };
}

/** A stream of stdout and stderr (multiplexed unless the container has a TTY). */
type OutputOptions = { stream?: boolean; follow?: boolean; stdout: boolean; stderr: boolean; tail?: number };

type ExecOptions = {
  Cmd: string[];
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  Env?: string[];
  WorkingDir?: string;
};

export interface SignalledExec {
  id: string;
  start(o: Signalled<{ hijack: boolean; stdin: boolean; Tty: boolean }>): Promise<Duplex>;
  inspect(o: Signalled): Promise<{ Running: boolean; ExitCode: number | null }>;
}

export interface SignalledContainer {
  inspect(o: Signalled): Promise<ContainerInspect>;
  start(o: Signalled): Answer;
  wait(o: Signalled): Promise<{ StatusCode: number }>;
  stop(o: Signalled<{ t: number }>): Answer;
  remove(o: Signalled<{ force: boolean; v: boolean }>): Answer;
  attach(o: Signalled<OutputOptions>): Stream;
  logs(o: Signalled<OutputOptions>): Stream;
  /** GET /containers/{id}/stats: one JSON object per line, about one a second, while `stream`. */
  stats(o: Signalled<{ stream: true }>): Stream;
  /** GET /containers/{id}/stats?stream=false: one object, precpu_stats filled (the daemon reads twice, about a second apart). */
  stats(o: Signalled<{ stream: false }>): Answer;
  putArchive(tar: NodeJS.ReadableStream, o: Signalled<{ path: string }>): Answer;
  getArchive(o: Signalled<{ path: string }>): Stream;
  exec(o: Signalled<ExecOptions>): Promise<SignalledExec>;
  /** POST /commit?container={id}: the container's file system and config as a new image. */
  commit(o: Signalled<{ repo: string; tag: string; pause: boolean }>): Promise<{ Id: string }>;
}

export interface SignalledImage {
  inspect(o: Signalled): Promise<{ Id: string; Size: number }>;
  remove(o: Signalled): Answer;
  push(o: Signalled<{ authconfig: EngineAuth | undefined }>): Stream;
}

/** A swarm object updated by version (a service, a node). */
export interface SignalledVersioned {
  inspect(o: Signalled): Answer;
  update(o: Signalled<Body<{ version: number }>>): Answer;
  remove(o: Signalled): Answer;
}

/** docker-modem's raw request, for the calls dockerode has no method for. */
export interface DialOptions {
  path: string;
  method: string;
  options: Record<string, unknown>;
  isStream: boolean;
  abortSignal: AbortSignal;
  statusCodes: Record<number, boolean | string>;
}

/** The dockerode calls the product makes, with their options and what their answers are taken to be. */
export interface SignalledCalls {
  ping(o: Signalled): Answer;
  version(o: Signalled): Answer;
  info(o: Signalled): Answer;
  listContainers(o: Signalled<{ all?: boolean; filters?: ListFilters }>): Answer;
  listImages(o: Signalled): Answer;
  listVolumes(o: Signalled): Answer;
  getEvents(o: Signalled<{ since: number; filters: ListFilters }>): Stream;
  createContainer(o: Signalled<Body<{ name: string }>>): Promise<{ id: string }>;
  getContainer(id: string): SignalledContainer;
  getImage(ref: string): SignalledImage;
  buildImage(context: NodeJS.ReadableStream, o: Signalled<EngineBuildOptions & { rm: boolean; forcerm: boolean }>): Stream;
  pull(ref: string, o: Signalled<{ authconfig: EngineAuth | undefined }>): Stream;
  loadImage(tar: NodeJS.ReadableStream, o: Signalled<{ quiet: boolean }>): Stream;
  checkAuth(o: Signalled<EngineAuth>): Answer;
  listNodes(o: Signalled): Answer;
  getNode(id: string): SignalledVersioned;
  createService(o: Signalled<Body<{ Name: string }>>): Answer;
  getService(nameOrId: string): SignalledVersioned;
  /** `filters` is JSON, as the Engine API takes it. */
  listServices(o: Signalled<{ filters: string }>): Answer;
  listTasks(o: Signalled<{ filters: string }>): Answer;
  modem: { dial(o: DialOptions, callback: (err: unknown, data: unknown) => void): void };
}

/** The same dockerode instance, seen through the calls above (the project's only cast of it). */
export const signalled = (d: Docker) => d as unknown as SignalledCalls;

/** docker-modem's raw request as a promise; the answer is taken to be `T` (a stream when `isStream`). */
export const dial = <T>(d: Docker, o: DialOptions): Promise<T> =>
  new Promise<T>((resolve, reject) => signalled(d).modem.dial(o, (err, data) => (err ? reject(err) : resolve(data as T))));
