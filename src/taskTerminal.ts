import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';

/** ANSI colours for task terminals. */
export const C = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

/**
 * A task's terminal (CustomExecution): `run` writes to it and returns the exit code; Ctrl+C or
 * closing the terminal aborts `abort`. A throw ends the task with code 1 and its message in red.
 */
export abstract class TaskTerminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  protected readonly abort = new AbortController();
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private readonly decoder = new StringDecoder('utf8');
  private flushTimer: NodeJS.Timeout | undefined;

  protected abstract run(): Promise<number>;

  open(): void {
    void this.run().then(
      (code) => this.end(code),
      (e) => {
        this.line(`${C.red}${(e as Error).message}${C.reset}`);
        this.end(1);
      },
    );
  }
  private end(code: number): void {
    this.flush();
    const rest = this.decoder.end();
    if (rest) this.written.fire(rest);
    this.closed.fire(code);
  }
  close(): void {
    this.abort.abort();
  }
  handleInput(data: string): void {
    if (data === '\x03') this.abort.abort(); // Ctrl+C
  }

  /** Text as it comes (LF is enough: it becomes CRLF). */
  protected write(text: string): void {
    this.writeBytes(Buffer.from(text));
  }

  /**
   * Output bytes, sent to the terminal in batches (64 KB or 16 ms): a recipe printing 100 MB arrives in
   * thousands of chunks, and a message per chunk costs more than the data. Decoded once per batch (the
   * extension host's pauses are garbage collections of such strings).
   */
  protected writeBytes(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength >= 64 * 1024) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), 16);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.pendingLength) return;
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    const text = this.decoder.write(bytes);
    if (text) this.written.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  protected line(text: string): void {
    this.write(`${text}\n`);
  }
}
