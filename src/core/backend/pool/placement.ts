import type { Configuration } from '../../config/configurationSchema';
import { formatMemory, parseMemory } from '../../config/units';
import type { DaemonInfo } from '../../engineTypes';
import type { Reservation } from '../../engine/pool';
import { LABELS } from '../../labels';

/** What one run asks for, as budgets and capacity count it (0: no limit asked). */
export interface RunAsk {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

export function requestOf(c: Configuration): RunAsk {
  const r = c.resources;
  const memory =
    r.memory !== undefined ? parseMemory(r.memory) : r.memoryReservation !== undefined ? parseMemory(r.memoryReservation) : undefined;
  const gpus =
    c.gpus === 'none' ? 0 : c.gpus === 'all' ? 1 : typeof c.gpus === 'number' ? c.gpus : Array.isArray(c.gpus) ? c.gpus.length : 1;
  return { cpus: r.cpus ?? 0, memoryBytes: memory ?? 0, gpus };
}

/** The request label's text, and back: `cpus=1;memory=67108864;gpus=0`. */
export const requestLabel = (r: RunAsk) => `cpus=${r.cpus};memory=${r.memoryBytes};gpus=${r.gpus}`;
export function parseRequestLabel(text: string | undefined): RunAsk {
  const get = (k: string) => Number(new RegExp(`(?:^|;)${k}=([0-9.]+)`).exec(text ?? '')?.[1] ?? 0) || 0;
  return { cpus: get('cpus'), memoryBytes: get('memory'), gpus: get('gpus') };
}

/** A pool daemon that answered: its /info, what its running containers reserve, and what we placed there not yet visible. */
export interface Candidate {
  id: string;
  info: Pick<DaemonInfo, 'cpus' | 'memTotalBytes'>;
  reservations: Reservation[];
  /** Runs this process placed there whose containers may not exist yet (run ids → request). */
  placed: Map<string, RunAsk>;
  /** This user's runs of this pool there (the per-daemon slot limit counts them). */
  userRuns: number;
}

export interface Load {
  id: string;
  freeCpus: number;
  cpus: number;
  freeMemoryBytes: number;
  memoryBytes: number;
  running: number;
}

/** A daemon's free capacity: its CPUs and memory minus what running containers reserve and runs we placed there. */
export function loadOf(c: Candidate): Load {
  const seen = new Set(c.reservations.map((r) => r.labels[LABELS.run]).filter(Boolean));
  let cpus = 0;
  let memory = 0;
  for (const r of c.reservations) {
    cpus += r.cpus;
    memory += r.memoryBytes;
  }
  for (const [runId, r] of c.placed) {
    if (seen.has(runId)) continue;
    cpus += r.cpus;
    memory += r.memoryBytes;
  }
  return {
    id: c.id,
    cpus: c.info.cpus,
    freeCpus: Math.max(0, c.info.cpus - cpus),
    memoryBytes: c.info.memTotalBytes,
    freeMemoryBytes: Math.max(0, c.info.memTotalBytes - memory),
    running: c.reservations.length + [...c.placed.keys()].filter((k) => !seen.has(k)).length,
  };
}

const num = (n: number) => String(Math.round(n * 100) / 100);
export const loadText = (l: Load) =>
  `${l.id}: ${num(l.freeCpus)} of ${l.cpus} CPUs free, ${formatMemory(l.freeMemoryBytes)} of ${formatMemory(l.memoryBytes)} memory, ${l.running} running`;

export interface Choice {
  chosen?: Load;
  /** Every candidate's load in words, the chosen first: the run record's "why". */
  reason: string;
  /** Why none fits now (each daemon's shortfall), when none does. */
  full?: string;
}

/**
 * The least-loaded candidate that can take `request` now: most free CPUs, then most free memory,
 * ties to fewer running containers. `perDaemonRuns` caps this user's runs of the pool on one daemon.
 */
export function choose(candidates: Candidate[], request: RunAsk, perDaemonRuns?: number): Choice {
  const loads = candidates.map((c) => ({ c, l: loadOf(c) }));
  const why: string[] = [];
  const fitting = loads.filter(({ c, l }) => {
    if (perDaemonRuns !== undefined && c.userRuns >= perDaemonRuns)
      return (why.push(`${c.id}: your ${c.userRuns} of ${perDaemonRuns} run slots in use`), false);
    if (request.cpus > l.freeCpus + 1e-9)
      return (why.push(`${c.id}: ${num(l.freeCpus)} of ${l.cpus} CPUs free, the run asks ${request.cpus}`), false);
    if (request.memoryBytes > l.freeMemoryBytes)
      return (
        why.push(`${c.id}: ${formatMemory(l.freeMemoryBytes)} memory free, the run asks ${formatMemory(request.memoryBytes)}`),
        false
      );
    return true;
  });
  fitting.sort(
    (a, b) =>
      b.l.freeCpus - a.l.freeCpus || b.l.freeMemoryBytes - a.l.freeMemoryBytes || a.l.running - b.l.running || a.c.userRuns - b.c.userRuns,
  );
  const chosen = fitting[0]?.l;
  const ordered = chosen ? [chosen, ...loads.map((x) => x.l).filter((l) => l !== chosen)] : loads.map((x) => x.l);
  return { chosen, reason: ordered.map(loadText).join('; '), full: chosen ? undefined : why.join('; ') };
}
