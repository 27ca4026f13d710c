import * as z from 'zod';
import type { CallOptions, DaemonClient } from '../daemonClient';
import { parseEngineAnswer } from '../engineTypes';
import { signalled } from './signalled';

/**
 * Engine calls of the pool back-end: what running containers reserve, a pool's labelled containers,
 * claims (image copies: imageCopy.ts). Answers parsed here; dockerode seen through signalled.ts.
 */

/** What one running container holds on its daemon: CPUs (limit or quota), memory (limit, else reservation), GPUs. */
export interface Reservation {
  id: string;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

const Listed = z.array(
  z.object({
    Id: z.string(),
    Labels: z.record(z.string(), z.string()).nullish(),
    State: z.string().optional(),
    Created: z.number().optional(),
  }),
);
const Inspected = z.object({
  Id: z.string(),
  Created: z.string().optional(),
  State: z.object({ Status: z.string().optional() }).partial().optional(),
  Config: z
    .object({ Labels: z.record(z.string(), z.string()).nullish() })
    .partial()
    .optional(),
  HostConfig: z
    .object({
      NanoCpus: z.number().nullish(),
      CpuQuota: z.number().nullish(),
      CpuPeriod: z.number().nullish(),
      Memory: z.number().nullish(),
      MemoryReservation: z.number().nullish(),
      DeviceRequests: z.array(z.object({ Count: z.number().nullish(), DeviceIDs: z.array(z.string()).nullish() }).partial()).nullish(),
    })
    .partial()
    .optional(),
});

/** One container as placement counts it: its state (created, running, exited...) and what it holds (inspected in a holding state; zero in another). */
export interface Holding extends Reservation {
  state: string;
  /** When the daemon created it (ms since the epoch; 0 when it did not say). */
  createdMs: number;
}

/** One container's holding, or undefined when it is gone (removed between an event or a list and this inspect). */
export async function inspectHolding(client: DaemonClient, id: string, opts: CallOptions = {}): Promise<Holding | undefined> {
  let raw: unknown;
  try {
    raw = await client.call('inspect container', (d, abortSignal) => signalled(d).getContainer(id).inspect({ abortSignal }), opts);
  } catch (e) {
    if (/HTTP 404|no such container/i.test((e as Error).message)) return undefined;
    throw e;
  }
  const c = parseEngineAnswer(client.host, '/containers/{id}/json', Inspected, raw);
  const h = c.HostConfig ?? {};
  const cpus = h.NanoCpus ? h.NanoCpus / 1e9 : h.CpuQuota && h.CpuQuota > 0 ? h.CpuQuota / (h.CpuPeriod || 100000) : 0;
  const gpus = (h.DeviceRequests ?? []).reduce((n, r) => n + (r.Count === -1 ? 1 : (r.Count ?? r.DeviceIDs?.length ?? 0)), 0);
  return {
    id: c.Id,
    state: c.State?.Status ?? '',
    createdMs: Date.parse(c.Created ?? '') || 0,
    labels: c.Config?.Labels ?? {},
    cpus,
    memoryBytes: h.Memory || h.MemoryReservation || 0,
    gpus,
  };
}

/** States in which a container holds its CPUs and memory now (a created or exited one holds nothing). */
export const HOLDING_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'restarting']);
/** How many inspects one recount has in flight at once on a daemon (thousands of containers must not mean thousands of requests at once). */
export const INSPECT_CONCURRENCY = 8;

/**
 * Every container's holding (`all`: in any state, else the running ones), within the daemon's deadline.
 * Only containers in a holding state are inspected (for their HostConfig), at most INSPECT_CONCURRENCY
 * at once; the others are read from the list (state and labels, holding nothing). An inspect that fails
 * for another reason than the container being gone fails the whole count: the caller counts again later.
 */
export async function containerHoldings(client: DaemonClient, opts: CallOptions & { all?: boolean } = {}): Promise<Holding[]> {
  const raw = await client.call('list containers', (d, abortSignal) => signalled(d).listContainers({ all: opts.all, abortSignal }), opts);
  const listed = parseEngineAnswer(client.host, '/containers/json', Listed, raw);
  const idle = listed.filter((c) => !HOLDING_STATES.has(c.State ?? ''));
  const holding = listed.filter((c) => HOLDING_STATES.has(c.State ?? '')).map((c) => c.Id);
  const inspected: (Holding | undefined)[] = [];
  // a few workers take the next id in turn; one failing ends the count
  let next = 0;
  const worker = async () => {
    while (next < holding.length) inspected.push(await inspectHolding(client, holding[next++]!, opts));
  };
  await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, holding.length) }, worker));
  return [
    ...idle.map((c) => ({
      id: c.Id,
      state: c.State ?? '',
      createdMs: (c.Created ?? 0) * 1000,
      labels: c.Labels ?? {},
      cpus: 0,
      memoryBytes: 0,
      gpus: 0,
    })),
    // gone between the list and the inspect (undefined): it holds nothing any more
    ...inspected.filter((c): c is Holding => Boolean(c)),
  ];
}

export interface LabelledContainer {
  id: string;
  state: string;
  createdSec: number;
  labels: Record<string, string>;
}

/** Containers carrying `label=value`, any state. */
export async function labelledContainers(
  client: DaemonClient,
  label: string,
  value: string,
  opts: CallOptions = {},
): Promise<LabelledContainer[]> {
  const raw = await client.call(
    'list containers',
    (d, abortSignal) => signalled(d).listContainers({ all: true, filters: { label: [`${label}=${value}`] }, abortSignal }),
    opts,
  );
  return parseEngineAnswer(client.host, '/containers/json', Listed, raw).map((c) => ({
    id: c.Id,
    state: c.State ?? '',
    createdSec: c.Created ?? 0,
    labels: c.Labels ?? {},
  }));
}

/** A container never started, holding a run's place in a budget while the run is set up (optimistic admission). */
export async function createClaim(
  client: DaemonClient,
  name: string,
  image: string,
  labels: Record<string, string>,
  opts: CallOptions = {},
): Promise<string> {
  const created = await client.call(
    'create claim container',
    (d, abortSignal) =>
      signalled(d).createContainer({
        name,
        Image: image,
        Cmd: ['true'],
        Labels: labels,
        HostConfig: { LogConfig: { Type: 'none', Config: {} } },
        abortSignal,
      }),
    opts,
  );
  return z.object({ id: z.string() }).parse(created).id;
}
