/**
 * Calls `ping` every `everyMs` (never two at once) and `onLost` once after two failures in a row:
 * through a dead network a long request may never end, not even with a 'close'. Returns the stop function.
 */
export function heartbeat<E extends Error>(ping: () => Promise<unknown>, everyMs: number, onLost: (e: E) => void): () => void {
  let misses = 0;
  let pinging = false;
  let lost = false;
  const timer = setInterval(() => {
    if (pinging || lost) return;
    pinging = true;
    ping().then(
      () => ((misses = 0), (pinging = false)),
      (e: E) => {
        pinging = false;
        if (++misses < 2 || lost) return;
        lost = true;
        clearInterval(timer);
        onLost(e);
      },
    );
  }, everyMs);
  return () => {
    lost = true;
    clearInterval(timer);
  };
}
