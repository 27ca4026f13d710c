/**
 * Signals of their own for many calls under one signal, through a single listener on it. Each call that
 * observes a signal adds an abort listener while it goes on; a sweep's trials all on the sweep's signal (each
 * asking every daemon of a pool at once) piled dozens on it, past Node's MaxListenersExceededWarning. A call
 * run here puts its listeners on its own child signal, which leaves with the call.
 */
export class AbortFanOut {
  private readonly children = new Set<AbortController>();
  private readonly onAbort = () => {
    for (const c of this.children) c.abort(this.signal.reason);
  };

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** `fn` with a signal aborted with this one; it is forgotten when `fn` settles. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const child = new AbortController();
    if (this.signal.aborted) child.abort(this.signal.reason);
    this.children.add(child);
    try {
      return await fn(child.signal);
    } finally {
      this.children.delete(child);
    }
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

/**
 * `fn` for every item at once, each under a signal of its own aborted with `signal`: one listener on it
 * however many items (a pool asking each of its daemons). Resolves when all settled, with the first rejection if any.
 */
export async function eachUnder<T, R, S extends AbortSignal | undefined>(
  signal: S,
  items: readonly T[],
  fn: (item: T, signal: S) => Promise<R>,
): Promise<R[]> {
  if (!signal) return Promise.all(items.map((item) => fn(item, signal)));
  const fan = new AbortFanOut(signal);
  try {
    const settled = await Promise.allSettled(items.map((item) => fan.run((s) => fn(item, s as S))));
    return settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
  } finally {
    fan.dispose();
  }
}
