// No `vscode` here: pure logic, unit-tested in test/core/terminalPacer.test.ts; the output worker (outputWorker.ts) runs it too.

/** What a task terminal shows: output of a stream, text of our own, or a note of output skipped. */
export type Piece =
  { kind: 'output'; stream: 'stdout' | 'stderr'; bytes: Buffer } | { kind: 'text'; text: string } | { kind: 'skipped'; bytes: number };
type Output = Extract<Piece, { kind: 'output' }>;

export interface PacerOptions {
  /** Bytes a second the terminal is given; Infinity: everything, as it comes. */
  bytesPerSecond: number;
  /** Output held for the terminal at most (about a second of budget); beyond it output is skipped. */
  queueBytes: number;
  /** The most recent output kept while skipping, shown after the skip note (errors come last). */
  tailBytes: number;
  /** Most a single take() may give after a late tick, in seconds of budget. */
  burstSeconds?: number;
}

/** A terminal's pacing at a budget: a second of it queued, then skipping but for the latest lines. */
export const pacingAt = (bytesPerSecond: number): PacerOptions => ({
  bytesPerSecond,
  queueBytes: bytesPerSecond,
  tailBytes: Math.min(128 * 1024, bytesPerSecond / 4),
});

const NL = 0x0a;
const length = (p: Piece) => (p.kind === 'output' ? p.bytes.length : p.kind === 'text' ? p.text.length : 0);

/**
 * Paces output to a terminal at a byte budget a second (a token bucket drained by take()). Output
 * beyond what the queue holds is skipped, keeping only its most recent `tailBytes`; when the queue has
 * been shown (or text of our own comes, or the run ends) a note of the skipped bytes and the kept tail
 * follow, cut at line boundaries. Text of our own is never skipped and keeps its place after the output.
 * Every byte still goes to run.log: this is only what the terminal is spared.
 */
export class TerminalPacer {
  private queue: Piece[] = [];
  private queued = 0;
  private tail: Output[] = [];
  private tailed = 0;
  private skipping = false;
  private skipped = 0;
  /** Whether the tail's first byte starts a line (the byte before it was a newline, or nothing came before). */
  private tailStartsLine = true;
  /** Whether what was queued last ends a line. */
  private queuedEndsLine = true;
  private tokens = 0;
  private last: number;
  private readonly burst: number;
  /** Bytes of output skipped in all (for the run's summary). */
  skippedTotal = 0;

  constructor(
    private readonly o: PacerOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = o.bytesPerSecond * (o.burstSeconds ?? 0.1);
    this.last = now();
  }

  /** Whether anything waits to be shown. */
  get pending(): boolean {
    return this.queued > 0 || this.queue.length > 0 || this.skipping;
  }

  output(bytes: Buffer, stream: 'stdout' | 'stderr'): void {
    if (!bytes.length) return;
    if (this.skipping) return this.keep({ kind: 'output', stream, bytes });
    const room = this.o.queueBytes - this.queued;
    if (bytes.length <= room) return this.push({ kind: 'output', stream, bytes });
    // the queue is full: show up to the last line that fits, skip from there
    const cut = room > 0 ? bytes.lastIndexOf(NL, room - 1) + 1 : 0;
    if (cut) this.push({ kind: 'output', stream, bytes: bytes.subarray(0, cut) });
    this.skipping = true;
    this.tailStartsLine = this.queuedEndsLine;
    this.keep({ kind: 'output', stream, bytes: bytes.subarray(cut) });
  }

  /**
   * A piece paced elsewhere (the output worker ran its own pacer at this budget): queued as it is,
   * never skipped again; a skip note counts in `skippedTotal`.
   */
  paced(p: Piece): void {
    this.resume();
    if (p.kind === 'skipped') this.skippedTotal += p.bytes;
    this.push(p);
  }

  /** Text of our own (status lines): always shown, after the output before it. */
  text(text: string): void {
    this.resume();
    this.push({ kind: 'text', text });
  }

  /** The run ended: what was skipped is noted and the tail shown, at the pace. */
  finish(): void {
    this.resume();
  }

  /** What the budget allows now, in order. */
  take(): Piece[] {
    const now = this.now();
    this.tokens =
      this.o.bytesPerSecond === Infinity
        ? Infinity
        : Math.min(this.tokens + ((now - this.last) / 1000) * this.o.bytesPerSecond, Math.max(this.burst, 1));
    this.last = now;
    if (!this.queue.length) this.resume();
    const out: Piece[] = [];
    while (this.queue.length && this.tokens > 0) {
      let p = this.queue[0]!;
      if (p.kind === 'output' && p.bytes.length > this.tokens) {
        const n = Math.ceil(this.tokens);
        this.queue[0] = { ...p, bytes: p.bytes.subarray(n) };
        p = { ...p, bytes: p.bytes.subarray(0, n) };
      } else this.queue.shift();
      const n = length(p);
      this.queued -= n;
      this.tokens -= n;
      out.push(p);
    }
    return out;
  }

  private push(p: Piece): void {
    this.queue.push(p);
    this.queued += length(p);
    if (p.kind === 'output') this.queuedEndsLine = p.bytes[p.bytes.length - 1] === NL;
    else if (p.kind === 'text') this.queuedEndsLine = p.text.endsWith('\n');
  }

  /** Keeps output while skipping: only the most recent tailBytes; older whole pieces count as skipped. */
  private keep(p: Output): void {
    this.tail.push(p);
    this.tailed += p.bytes.length;
    while (this.tailed - this.tail[0]!.bytes.length >= this.o.tailBytes) {
      const dropped = this.tail.shift()!.bytes;
      this.tailed -= dropped.length;
      this.skipped += dropped.length;
      this.tailStartsLine = dropped[dropped.length - 1] === NL;
    }
  }

  /** Ends a skip: the note of what was skipped, then the tail from its first whole line. */
  private resume(): void {
    if (!this.skipping) return;
    this.skipping = false;
    let tail = this.tail;
    // trim to tailBytes, then to the first line start (or, in a line longer than the tail, a character start)
    let over = this.tailed - this.o.tailBytes;
    if (over > 0) {
      const first = tail[0]!;
      this.tailStartsLine = first.bytes[over - 1] === NL;
      tail = [{ ...first, bytes: first.bytes.subarray(over) }, ...tail.slice(1)];
      this.skipped += over;
    }
    // nothing lost yet (the tail held all since the skip began): shown as it is
    if (this.skipped && !this.tailStartsLine) {
      const at = tail.findIndex((p) => p.bytes.includes(NL));
      if (at >= 0) {
        for (const p of tail.slice(0, at)) this.skipped += p.bytes.length;
        const first = tail[at]!;
        const cut = first.bytes.indexOf(NL) + 1;
        this.skipped += cut;
        tail = [{ ...first, bytes: first.bytes.subarray(cut) }, ...tail.slice(at + 1)];
      } else {
        const first = tail[0]!;
        for (over = 0; over < 3 && over < first.bytes.length && (first.bytes[over]! & 0xc0) === 0x80; over++);
        this.skipped += over;
        tail = [{ ...first, bytes: first.bytes.subarray(over) }, ...tail.slice(1)];
      }
    }
    if (this.skipped) this.push({ kind: 'skipped', bytes: this.skipped });
    for (const p of tail) if (p.bytes.length) this.push(p);
    this.skippedTotal += this.skipped;
    this.tail = [];
    this.tailed = 0;
    this.skipped = 0;
  }
}

/** "812 KB", "63.2 MB" (decimal units, as the run summary). */
export const formatBytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${Math.round(n / 1e3)} KB` : `${n} bytes`);
