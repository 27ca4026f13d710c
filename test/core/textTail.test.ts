import * as assert from 'node:assert/strict';
import { TextTail } from '../../src/core/run/textTail';

describe("a shell terminal's transcript (TextTail: the last characters, at a cost per write of the write alone)", function () {
  this.timeout(60000);

  it('keeps exactly the last `cap` characters of what was written, whatever the pieces', () => {
    let all = '';
    const tail = new TextTail(1000);
    for (let i = 0; i < 5000; i++) {
      const piece = `${i}:${'abcdefghij'.slice(0, i % 11)}${i % 97 === 0 ? 'x'.repeat(1500) : ''}\n`;
      all += piece;
      tail.push(piece);
      if (i % 37 === 0) assert.equal(tail.toString(), all.slice(-1000));
    }
    assert.equal(tail.toString(), all.slice(-1000));
    assert.equal(new TextTail(10).toString(), '');
  });

  it('Open Shell transcript (lesser finding): writing 4 MB in 16-character pieces costs about the same with a 64 KB or a 1 MB tail (not 16×: no copy of the tail per write)', () => {
    /** CPU ms to write 4 MB in 16-character pieces to a tail of `cap`, then read it; the least of 3. */
    const cost = (cap: number) => {
      let least = Infinity;
      for (let trial = 0; trial < 3; trial++) {
        const tail = new TextTail(cap);
        const c0 = process.cpuUsage();
        for (let i = 0; i < (4 * 1024 * 1024) / 16; i++) {
          tail.push(`line ${String(i).padStart(9, '0')}\r\n`);
        }
        assert.equal(tail.toString().length, cap);
        const c = process.cpuUsage(c0);
        least = Math.min(least, (c.user + c.system) / 1000);
      }
      return least;
    };
    const ratios: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const ratio = cost(1024 * 1024) / cost(64 * 1024);
      ratios.push(ratio);
      if (ratio < 3) return;
    }
    assert.fail(`a 16× longer tail made the writes ${ratios.map((r) => r.toFixed(1)).join(', ')}× as costly`);
  });
});
