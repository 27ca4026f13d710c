// Answers that describe a daemon rather than a moment (which engine it is; its CPUs, memory and runtimes),
// shared by every client of the same endpoint for a minute. Each run opens its own client, and Podman takes
// ~0.3 s to answer /version and ~0.15 s for /info (Docker: a few ms), which every run paid before its create.
import type { DaemonDescription } from './daemonDescription';

export const ENDPOINT_MEMO_TTL_MS = 60_000;
const memo = new Map<string, { at: number; answer: Promise<unknown> }>();

/** The same endpoint: host and how it is reached (TLS material, ssh client), not the id or label it is saved under. */
const endpointKey = (what: string, d: DaemonDescription) => JSON.stringify([what, d.host, d.tls ?? null, d.ssh ?? null]);

/**
 * `ask()`'s answer for this endpoint, asked at most once a minute; a failed ask is forgotten. `ask` is
 * called without the caller's signal (one caller's cancel must not fail the others): race it yourself.
 */
export function endpointMemo<T>(what: string, daemon: DaemonDescription, ask: () => Promise<T>): Promise<T> {
  const key = endpointKey(what, daemon);
  const now = Date.now();
  let entry = memo.get(key);
  if (!entry || now - entry.at > ENDPOINT_MEMO_TTL_MS) {
    const answer = ask();
    const fresh = (entry = { at: now, answer });
    memo.set(key, fresh);
    answer.catch(() => memo.get(key) === fresh && memo.delete(key));
  }
  return entry.answer as Promise<T>;
}

/** Forgets every memoized answer (tests that reconfigure a daemon). */
export function clearEndpointMemo(): void {
  memo.clear();
}
