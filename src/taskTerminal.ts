import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { TerminalPacer, isCancellation, pacingAt, type Piece } from './core';

/** ANSI colours for task terminals. */
export const C = {
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

/**
 * How often the terminal is written to: a recipe printing 100 MB arrives in thousands of chunks, and a
 * message per chunk costs more than the data; one message a tick carries them all.
 */
const TICK_MS = 16;

/**
 * A task's terminal (CustomExecution): `run` writes to it and returns the exit code; Ctrl+C or
 * closing the terminal aborts `abort`. Every failure, a build's or a run's, ends through `failed`: its
 * reason in red and a non-zero exit code; a throw out of `run` ends the same way.
 */
export abstract class TaskTerminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  protected readonly abort = new AbortController();
  /** Everything, as it comes, until pace() sets a budget. */
  private pacer = new TerminalPacer({ bytesPerSecond: Infinity, queueBytes: Infinity, tailBytes: 0 });
  private skippedNote = (bytes: number) => `… ${bytes} bytes skipped`;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private tick: NodeJS.Timeout | undefined;
  private atLineStart = true;
  private exitCode: number | undefined;

  protected abstract run(): Promise<number>;

  open(): void {
    void this.run().then(
      (code) => this.end(code),
      (e) => this.end(this.failed(e)),
    );
  }

  /**
   * The one rule for a task that fails: the reason (an error's message, or the text given) as a red
   * line, and the exit code to end with: `code`, else 130 when cancelled (Ctrl+C, Stop, Cancel), else 1.
   */
  protected failed(reason: unknown, code?: number): number {
    this.line(`${C.red}${reason instanceof Error ? reason.message : String(reason)}${C.reset}`);
    return code ?? (this.abort.signal.aborted || isCancellation(reason) ? 130 : 1);
  }
  /** The task ends once the terminal has shown what is left (the tail, the summary): at most a second or so. */
  private end(code: number): void {
    this.exitCode = code;
    this.pacer.finish();
    this.drain();
  }
  close(): void {
    this.abort.abort();
  }
  handleInput(data: string): void {
    if (data === '\x03') this.abort.abort(); // Ctrl+C
  }

  /**
   * Shows output at most `bytesPerSecond` (the extension host carries the terminal's text at a cost:
   * decoding, CRLF, the message to the renderer, and garbage collection of it all). Output beyond about
   * a second of budget is skipped but for its most recent lines, and `note` says how much.
   */
  protected pace(bytesPerSecond: number, note: (skippedBytes: number) => string): void {
    this.pacer = new TerminalPacer(pacingAt(bytesPerSecond));
    this.skippedNote = note;
  }

  /** Bytes of output the terminal skipped so far. */
  protected get skippedBytes(): number {
    return this.pacer.skippedTotal;
  }

  /** Text of our own (LF is enough: it becomes CRLF); never skipped. */
  protected write(text: string): void {
    this.pacer.text(text);
    this.schedule();
  }

  protected line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Output bytes of a stream (stderr in red), paced; decoded when shown. */
  protected writeBytes(chunk: Buffer, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.pacer.output(chunk, stream);
    this.schedule();
  }

  /** Output paced elsewhere at this terminal's budget (the output worker): shown as it is, in order with our text. */
  protected writePaced(pieces: Piece[]): void {
    for (const p of pieces) this.pacer.paced(p);
    this.schedule();
  }

  private schedule(): void {
    this.tick ??= setTimeout(() => this.drain(), TICK_MS);
  }

  private drain(): void {
    clearTimeout(this.tick);
    this.tick = undefined;
    this.show(this.pacer.take());
    if (this.pacer.pending) this.schedule();
    else if (this.exitCode !== undefined) {
      const rest = this.decoders.stdout.end() + this.decoders.stderr.end();
      if (rest) this.written.fire(rest);
      this.closed.fire(this.exitCode);
    }
  }

  /** One message to the renderer for all the pieces of a tick. */
  private show(pieces: Piece[]): void {
    let text = '';
    for (const p of pieces) {
      if (p.kind === 'skipped') {
        text += `${this.atLineStart ? '' : '\n'}${this.skippedNote(p.bytes)}\n`;
        this.atLineStart = true;
        continue;
      }
      const t = p.kind === 'text' ? p.text : this.decoders[p.stream].write(p.bytes);
      if (!t) continue;
      text += p.kind === 'output' && p.stream === 'stderr' ? `${C.red}${t}${C.reset}` : t;
      this.atLineStart = t.endsWith('\n');
    }
    if (text) this.written.fire(text.replace(/\r?\n/g, '\r\n'));
  }
}
