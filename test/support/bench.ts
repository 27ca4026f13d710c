// Shared by the plain-node benchmarks (test/bench/*.ts).

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs the benchmarks one after another; a failure prints and exits 1 (npm run bench stops there). */
export function runBenches(...benches: (() => Promise<void>)[]): void {
  void (async () => {
    for (const bench of benches) await bench();
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
