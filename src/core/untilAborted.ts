/** `p`, or a rejection as soon as `signal` aborts (p itself goes on: it may be shared with other callers). */
export async function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  let onAbort: () => void = () => undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error('cancelled'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
