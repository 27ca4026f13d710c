import type * as z from 'zod';

/** What a run is aimed at, as a value: stored in run records, so any back-end's runs show, stop and clean up alike. */
export interface RunTarget {
  /** The back-end kind (a descriptor's `kind`). */
  kind: string;
  /** Which one of that kind: a daemon id, a swarm manager, a pool's name. */
  id: string;
}

/** What a configuration names that decides its back-end (a subset of `Configuration`, so the webview may ask too). */
export interface TargetFields {
  daemon: string;
  name?: string;
  pool?: string[];
  swarm?: unknown;
}

/** A configuration field a back-end refuses: `field` as the user writes it, `message` the error shown. */
export interface Refusal {
  field: string;
  message: string;
}

/**
 * One back-end kind, told in one place: the core's list (`descriptors.ts`) reads it for targets, words and
 * validation, so nothing outside `src/core/backend/<kind>/` compares a kind constant.
 */
export interface BackendDescriptor {
  readonly kind: string;
  /** The kind in words: "daemon", "swarm", "pool". */
  readonly noun: string;
  /** True when a target of this kind is one daemon (its id a daemon id): the Daemons view and lost-run notices say "daemon". */
  readonly targetIsOneDaemon: boolean;
  /** How a target of this kind reads: `daemon "local"`, `swarm of manager "m1"`, `pool "gpu-pool"`. */
  targetText(id: string): string;
  /** The target id when `c` runs on this kind, else undefined. */
  selects(c: TargetFields): string | undefined;
  /**
   * Its part of the configuration schema: the fields that select and configure it (`pool`, `swarm`…).
   * `ConfigurationSchema` composes every kind's part; pure zod, as the webview bundles it.
   */
  readonly schema: z.ZodRawShape;
  /** The fields `c` sets that this kind refuses (it checks itself whether `c` asks for it). */
  refusals(c: Record<string, unknown>): Refusal[];
  /** Refusals only the entry as written shows (before defaults fill it in), e.g. both `daemon` and `pool` given. */
  entryRefusals?(raw: Record<string, unknown>): Refusal[];
}
