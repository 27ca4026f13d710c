// No `vscode` here: pure logic, unit-tested in test/core/textTail.test.ts.

/** Small writes are joined into blocks of about this many characters (few live strings for the collector). */
const BLOCK = 4096;

/**
 * The last `cap` characters of a text written piece by piece (a terminal's transcript). A write costs its
 * own length, never the cap: small writes are gathered into blocks, whole blocks dropped from the front
 * once the rest holds `cap`, and everything joined only when read (once per change).
 */
export class TextTail {
  private blocks: string[] = [];
  /** Index of the first block still kept (the list is compacted now and then, not shifted per write). */
  private first = 0;
  private blocked = 0;
  /** Writes not yet gathered into a block. */
  private recent: string[] = [];
  private recentLength = 0;
  private joined: string | undefined = '';

  constructor(readonly cap: number) {}

  push(text: string): void {
    if (!text) return;
    this.joined = undefined;
    // a piece longer than the whole tail: only its end can show
    this.recent.push(text.length > this.cap ? text.slice(-this.cap) : text);
    this.recentLength += Math.min(text.length, this.cap);
    if (this.recentLength < BLOCK) return;
    this.blocks.push(this.recent.length === 1 ? this.recent[0]! : this.recent.join(''));
    this.blocked += this.recentLength;
    this.recent = [];
    this.recentLength = 0;
    while (this.blocked - this.blocks[this.first]!.length >= this.cap) this.blocked -= this.blocks[this.first++]!.length;
    if (this.first > 64 && this.first * 2 > this.blocks.length) {
      this.blocks = this.blocks.slice(this.first);
      this.first = 0;
    }
  }

  toString(): string {
    return (this.joined ??= (this.blocks.slice(this.first).join('') + this.recent.join('')).slice(-this.cap));
  }
}
