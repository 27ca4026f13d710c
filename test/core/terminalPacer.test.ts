import * as assert from 'node:assert/strict';
import { TerminalPacer, formatBytes, type Piece } from '../../src/core/run/terminalPacer';

/** A pacer on a clock the test moves. */
function pacer(o: { bytesPerSecond: number; queueBytes: number; tailBytes: number }) {
  let now = 0;
  const p = new TerminalPacer(o, () => now);
  const shown: Piece[] = [];
  return {
    p,
    shown,
    /** Takes what the budget allows every 16 ms for `ms`. */
    run(ms: number) {
      for (const end = now + ms; now < end;) {
        now += 16;
        shown.push(...p.take());
      }
    },
    /** Takes until nothing is pending; returns the ms it took. */
    drain() {
      const t0 = now;
      while (p.pending) this.run(16);
      return now - t0;
    },
  };
}
const lines = (from: number, to: number) =>
  Buffer.from(Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(6, '0')} ${'x'.repeat(87)}\n`).join('')); // 100 bytes each
const outputText = (shown: Piece[]) =>
  shown.map((p) => (p.kind === 'output' ? p.bytes.toString() : p.kind === 'text' ? p.text : `<skipped ${p.bytes}>\n`)).join('');
const outputBytes = (shown: Piece[]) => shown.reduce((n, p) => n + (p.kind === 'output' ? p.bytes.length : 0), 0);

describe('terminal pacer (what a run terminal shows of a chatty recipe)', function () {
  this.timeout(20000);
  it('under the budget: everything, in order, streams kept apart, nothing skipped', () => {
    const t = pacer({ bytesPerSecond: 1e6, queueBytes: 1e6, tailBytes: 64e3 });
    t.p.text('Run 1\n');
    t.p.output(lines(0, 100), 'stdout');
    t.p.output(Buffer.from('oops\n'), 'stderr');
    t.p.output(lines(100, 200), 'stdout');
    t.p.finish();
    t.drain();
    assert.equal(outputText(t.shown), `Run 1\n${lines(0, 100)}oops\n${lines(100, 200)}`);
    assert.deepEqual(
      t.shown.filter((p) => p.kind === 'output' && p.stream === 'stderr').map((p) => (p as { bytes: Buffer }).bytes.toString()),
      ['oops\n'],
    );
    assert.equal(t.p.skippedTotal, 0);
  });

  it('far over the budget: at most the rate, skip notes at line boundaries counting every byte not shown, the last lines and our own text at the end', () => {
    const rate = 1e6;
    const t = pacer({ bytesPerSecond: rate, queueBytes: rate, tailBytes: 64e3 });
    // 20 MB in 3.2 s: 100 kB, then a tick of 16 ms
    for (let i = 0; i < 200; i++) {
      t.p.output(lines(i * 1000, (i + 1) * 1000), 'stdout');
      t.run(16);
    }
    const shownWhileStreaming = outputBytes(t.shown);
    t.p.text('Run succeeded\n');
    t.p.finish();
    const drainMs = t.drain();
    const text = outputText(t.shown);
    const skipped = [...text.matchAll(/<skipped (\d+)>/g)].map((m) => Number(m[1]));
    // every byte is either shown or counted in a note
    assert.equal(outputBytes(t.shown) + skipped.reduce((a, b) => a + b, 0), 20e6);
    assert.equal(t.p.skippedTotal, 20e6 - outputBytes(t.shown));
    // about one note a second (the queue holds a second of budget), not one a tick
    assert.ok(skipped.length >= 2 && skipped.length <= 5, `${skipped.length} notes`);
    // the rate: 3.2 s of streaming show 3.2 s of budget (and a tick); the rest drains within ~1 s
    assert.ok(shownWhileStreaming <= 3.2 * rate + 20e3, `${shownWhileStreaming} bytes shown while streaming`);
    assert.ok(drainMs <= 1300, `drained in ${drainMs} ms`);
    // every shown line is whole, and in order
    const shownLines = text.split('\n').filter((l) => l && !l.startsWith('<skipped') && l !== 'Run succeeded');
    assert.ok(
      shownLines.every((l) => /^line \d{6} x{87}$/.test(l)),
      'a cut line',
    );
    const numbers = shownLines.map((l) => Number(l.slice(5, 11)));
    assert.ok(
      numbers.every((n, i) => i === 0 || n > numbers[i - 1]!),
      'out of order',
    );
    // the end: the last line the recipe printed, then our own line
    assert.ok(text.endsWith('line 199999 ' + 'x'.repeat(87) + '\nRun succeeded\n'), text.slice(-300));
    assert.ok(text.includes('<skipped'), 'no skip note');
  });

  it('our own text ends a skip: the note and the latest lines come before it', () => {
    const t = pacer({ bytesPerSecond: 100e3, queueBytes: 100e3, tailBytes: 10e3 });
    t.p.output(lines(0, 5000), 'stdout'); // 500 kB at once: 100 kB queued, the rest skipped but its tail
    t.p.text('[container-exec] copying outputs\n');
    t.drain();
    const text = outputText(t.shown);
    assert.match(text, /^line 000000 /);
    assert.match(text, /line 000999 x+\n<skipped \d+>\nline \d+ x+\n[^]*line 004999 x+\n\[container-exec\] copying outputs\n$/);
    const kept = text.slice(text.indexOf('>\n') + 2, text.lastIndexOf('[container-exec]'));
    assert.ok(kept.length <= 10e3 && kept.length >= 9e3, `tail of ${kept.length} bytes`);
  });

  it('a line longer than the tail is cut at a character, not inside one', () => {
    const t = pacer({ bytesPerSecond: 1000, queueBytes: 1000, tailBytes: 301 });
    t.p.output(Buffer.from('é'.repeat(5000)), 'stderr'); // 2-byte characters, no newline at all
    t.p.finish();
    t.drain();
    const afterNote = t.shown.slice(t.shown.findIndex((p) => p.kind === 'skipped') + 1);
    const tail = Buffer.concat(afterNote.map((p) => (p as { bytes: Buffer }).bytes));
    assert.ok(tail.length <= 301 && tail.length >= 299, `${tail.length}`);
    assert.equal(tail.toString(), 'é'.repeat(tail.length / 2));
    assert.equal(outputBytes(t.shown) + t.p.skippedTotal, 10000);
  });

  it('no limit (Infinity): everything at the first take', () => {
    const t = pacer({ bytesPerSecond: Infinity, queueBytes: Infinity, tailBytes: 0 });
    t.p.output(lines(0, 10000), 'stdout');
    t.run(16);
    assert.equal(outputBytes(t.shown), 1e6);
    assert.equal(t.p.pending, false);
  });

  it('formats skipped sizes as the run summary does', () => {
    assert.deepEqual([formatBytes(63.24e6), formatBytes(812_400), formatBytes(512)], ['63.2 MB', '812 KB', '512 bytes']);
  });
});
