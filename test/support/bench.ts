// Shared by the plain-node benchmarks (test/bench/*.ts).

/** The middle value; for an even count, the mean of the two middle ones (issue 29 finding 10). */
export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Runs the benchmarks one after another; a failure prints and exits 1 (npm run bench stops there). */
export function runBenches(...benches: (() => Promise<void>)[]): void {
  void (async () => {
    for (const bench of benches) await bench();
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** "min-max" of the samples (ms, whole): the spread behind a median. */
export const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;

/**
 * `rounds` rounds of every way; each round starts with the next way, so none always follows the same one
 * (the last one's removal, writeback or image commit weighs on what comes after it).
 */
export async function rotated(rounds: number, ways: (() => Promise<void>)[]): Promise<void> {
  for (let i = 0; i < rounds; i++) for (let k = 0; k < ways.length; k++) await ways[(i + k) % ways.length]!();
}
