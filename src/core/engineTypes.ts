import * as z from 'zod';
import { DaemonError } from './errors';

/** Engine API answers we rely on, parsed at the boundary (unknown keys are kept out of our types). */
export const VersionAnswer = z.object({
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string().optional(),
  Os: z.string(),
  Arch: z.string(),
  KernelVersion: z.string().optional(),
  GitCommit: z.string().optional(),
  /** Which engine answers: Docker names "Engine", Podman "Podman Engine" (its Docker-compatible API). */
  Components: z.array(z.object({ Name: z.string(), Version: z.string() }).loose()).nullish(),
});

export const InfoAnswer = z.object({
  ID: z.string(),
  Name: z.string(),
  ServerVersion: z.string(),
  OperatingSystem: z.string(),
  OSType: z.string(),
  Architecture: z.string(),
  NCPU: z.number(),
  MemTotal: z.number(),
  Driver: z.string(),
  DefaultRuntime: z.string().optional(),
  Runtimes: z.record(z.string(), z.unknown()).optional(),
  Labels: z.array(z.string()).nullish(),
  Containers: z.number(),
  Images: z.number(),
  Swarm: z.object({ LocalNodeState: z.string().optional(), ControlAvailable: z.boolean().optional() }).loose().optional(),
});

/** The engine behind a daemon's Engine API: Docker's own, or Podman's Docker-compatible service. */
export type EngineName = 'Docker' | 'Podman';

export interface DaemonVersion {
  /** Which engine answers, and its own version (Podman's, not the Docker API level it emulates). */
  engine: EngineName;
  engineVersion: string;
  version: string;
  apiVersion: string;
  minApiVersion?: string;
  os: string;
  arch: string;
  kernelVersion?: string;
}

export interface DaemonInfo {
  id: string;
  name: string;
  serverVersion: string;
  operatingSystem: string;
  osType: string;
  architecture: string;
  cpus: number;
  memTotalBytes: number;
  storageDriver: string;
  defaultRuntime?: string;
  runtimes: string[];
  labels: string[];
  containers: number;
  images: number;
  /** In an active swarm as a manager (the Daemons view then lists its nodes). */
  swarmManager: boolean;
}

export interface PingResult {
  ok: true;
  roundTripMs: number;
}

export function toVersion(a: z.infer<typeof VersionAnswer>): DaemonVersion {
  const podman = a.Components?.find((c) => /^podman\b/i.test(c.Name));
  return {
    engine: podman ? 'Podman' : 'Docker',
    engineVersion: podman?.Version ?? a.Version,
    version: a.Version,
    apiVersion: a.ApiVersion,
    minApiVersion: a.MinAPIVersion,
    os: a.Os,
    arch: a.Arch,
    kernelVersion: a.KernelVersion,
  };
}

export function toInfo(a: z.infer<typeof InfoAnswer>): DaemonInfo {
  return {
    id: a.ID,
    name: a.Name,
    serverVersion: a.ServerVersion,
    operatingSystem: a.OperatingSystem,
    osType: a.OSType,
    architecture: a.Architecture,
    cpus: a.NCPU,
    memTotalBytes: a.MemTotal,
    storageDriver: a.Driver,
    defaultRuntime: a.DefaultRuntime,
    runtimes: Object.keys(a.Runtimes ?? {}).sort(),
    labels: a.Labels ?? [],
    containers: a.Containers,
    images: a.Images,
    swarmManager: a.Swarm?.LocalNodeState === 'active' && a.Swarm.ControlAvailable === true,
  };
}

/** Parses an Engine API answer at the boundary; the error names the daemon, the endpoint and the first bad field. */
export function parseEngineAnswer<S extends z.ZodType>(host: string, endpoint: string, schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const fields = r.error.issues
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .slice(0, 3)
    .join('; ');
  throw new DaemonError('protocol', host, `${host} answered ${endpoint} with unexpected data (${fields}): is it a Docker Engine?`);
}

/** How users see the engine: `Docker 28.0.1`, `Podman 4.3.1`. */
export const engineLabel = (v: Pick<DaemonVersion, 'engine' | 'engineVersion'>) => `${v.engine} ${v.engineVersion}`;
