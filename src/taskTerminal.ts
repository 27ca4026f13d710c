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
  private pending: string[] = [];
  private pendingLength = 0;
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
    this.closed.fire(code);
  }
  close(): void {
    this.abort.abort();
  }
  handleInput(data: string): void {
    if (data === '\x03') this.abort.abort(); // Ctrl+C
  }

  /**
   * Text as it comes (terminals need CRLF), sent in batches: a recipe printing 100 MB arrives in
   * thousands of chunks, and one message per chunk to the terminal costs more than the data.
   */
  protected write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 64 * 1024) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), 16);
  }
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.pendingLength) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    this.written.fire(text.replace(/\r?\n/g, '\r\n'));
  }
  protected line(text: string): void {
    this.write(`${text}\n`);
  }
}
