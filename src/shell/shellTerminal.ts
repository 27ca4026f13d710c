import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import {
  formatBytes,
  newRunId,
  pacingAt,
  TerminalPacer,
  TextTail,
  prepareRunFolder,
  runRecipe,
  shellRun,
  type ExecSession,
  type RunHandle,
  type RunOutcome,
} from '../core';
import { extensionVersion } from '../workspace';
import type { RunRecord } from '../runs/runHistory';
import { containerRequest, launchImage, launchWorkspace, openLaunchBackend, terminalBytesPerSecond } from '../launch/launchPreparation';
import type { Services } from '../services';

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';
/** How long typed-ahead input waits for the shell's first output before it is sent anyway. */
const TYPED_AHEAD_FALLBACK_MS = 1000;
/** How often the terminal is written to (one message a tick carries every chunk that came meanwhile). */
const TICK_MS = 16;
/** The shell's output waits in the container (its stream is paused) once this much is held for the terminal. */
const MIN_HELD_BYTES = 128 * 1024;
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

/** The shell's container waits for SIGTERM (Stop: the keep-alive ends at once) while shells are exec'd into it. */
const KEEP_ALIVE = ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'];

/** A shell in a terminal, never throwing: what ended it is written in the terminal and in `ended`. */
abstract class ShellTerminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.written.event;
  private readonly closed = new vscode.EventEmitter<number | void>();
  readonly onDidClose = this.closed.event;
  protected session?: ExecSession;
  protected dimensions?: vscode.TerminalDimensions;
  private endResolve!: (message: string) => void;
  /** Why the terminal ended, in words: tests and the log read it. */
  readonly ended = new Promise<string>((r) => (this.endResolve = r));
  protected closedByUser = false;
  /** What the terminal showed (the last 64 KB), for tests. */
  readonly transcript = new TextTail(65536);
  /** Characters handed to the terminal in all, for tests. */
  shownChars = 0;
  /**
   * The shell's output is shown at containerExec.terminalMaxMBps, as a run's: beyond what a second of that
   * holds, the stream is paused (the command in the container waits on its tty, as on a slow terminal).
   */
  private readonly pacer: TerminalPacer;
  private readonly holdBytes: number;
  private held = 0;
  private readonly decoder = new StringDecoder('utf8');
  private tick: NodeJS.Timeout | undefined;
  private closeCode: number | undefined;

  constructor(protected readonly s: Services) {
    this.onDidWrite((text) => {
      this.transcript.push(text);
      this.shownChars += text.length;
    });
    const { bytesPerSecond } = terminalBytesPerSecond();
    this.holdBytes = Math.max(MIN_HELD_BYTES, bytesPerSecond === Infinity ? Infinity : bytesPerSecond / 2);
    this.pacer = new TerminalPacer(
      bytesPerSecond === Infinity
        ? { bytesPerSecond: Infinity, queueBytes: Infinity, tailBytes: 0 }
        : { ...pacingAt(bytesPerSecond), queueBytes: 2 * this.holdBytes },
    );
  }

  /** Text of our own, in order with the shell's output. */
  protected write(text: string): void {
    this.pacer.text(text);
    this.schedule();
  }

  /** The shell's output, paced; its stream paused while the terminal is behind. */
  private output(bytes: Buffer, stream: NodeJS.ReadableStream): void {
    this.pacer.output(bytes, 'stdout');
    this.held += bytes.length;
    if (this.held >= this.holdBytes) {
      stream.pause();
      this.resumeWhenShown = () => stream.resume();
    }
    this.schedule();
  }
  private resumeWhenShown: (() => void) | undefined;

  private schedule(): void {
    this.tick ??= setTimeout(() => this.drain(), TICK_MS);
  }

  private drain(): void {
    this.tick = undefined;
    let text = '';
    for (const p of this.pacer.take()) {
      if (p.kind === 'output') {
        this.held -= p.bytes.length;
        text += this.decoder.write(p.bytes);
      } else if (p.kind === 'text') text += p.text;
      else text += `\r\n${DIM}… ${formatBytes(p.bytes)} of output skipped (containerExec.terminalMaxMBps)${RESET}\r\n`;
    }
    if (text) this.written.fire(text);
    if (this.resumeWhenShown && this.held < this.holdBytes / 2) {
      this.resumeWhenShown();
      this.resumeWhenShown = undefined;
    }
    if (this.pacer.pending) this.schedule();
    else if (this.closeCode !== undefined) this.closed.fire(this.closeCode);
  }

  abstract open(dimensions: vscode.TerminalDimensions | undefined): void;

  /** Typed before the shell's exec is open (the container is still being made): sent once it is. */
  private typedAhead = '';

  handleInput(data: string): void {
    // raw bytes to the tty: Ctrl+C is ^C for the process in the container, not for VS Code
    if (this.session && !this.typedAhead) this.session.stdin.write(data);
    else this.typedAhead += data;
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.dimensions = d;
    void this.session?.resize?.(d.columns, d.rows).catch(() => undefined);
  }

  close(): void {
    this.closedByUser = true;
    this.session?.close();
    this.stopped();
  }

  /** Called when the terminal is closed by the user: the container goes (configuration shells). */
  protected stopped(): void {}

  protected status(text: string): void {
    this.write(`${DIM}${crlf(text)}${RESET}\r\n`);
  }

  /** Ends the terminal once what is left to show was shown (at most about a second of budget). */
  protected finish(message: string, failed: boolean, code: number): void {
    if (failed) this.write(`${RED}${crlf(message)}${RESET}\r\n`);
    else this.status(message);
    this.endResolve(message);
    if (this.closedByUser) return;
    this.closeCode = code;
    this.schedule();
  }

  /** `/bin/sh` in the run's container on a tty, piped to the terminal. */
  protected async shell(run: RunHandle): Promise<ExecSession> {
    const session = await run.exec(['/bin/sh'], { tty: true, stdin: true, env: { TERM: 'xterm-256color' }, workingDir: '/workspace' });
    this.session = session;
    if (this.dimensions) void session.resize?.(this.dimensions.columns, this.dimensions.rows).catch(() => undefined);
    // what was typed ahead goes in once the shell has printed (its prompt) or after a moment, not the
    // instant the exec starts (a fresh CI once saw a shell that never ran the line typed ahead)
    let typed = false;
    const sendTypedAhead = () => {
      if (typed) return;
      typed = true;
      clearTimeout(fallback);
      if (this.typedAhead) session.stdin.write(this.typedAhead);
      this.typedAhead = '';
    };
    const fallback = setTimeout(sendTypedAhead, TYPED_AHEAD_FALLBACK_MS);
    session.stdout.on('data', (bytes: Buffer) => {
      this.output(bytes, session.stdout);
      sendTypedAhead();
    });
    if (this.closedByUser) session.close();
    return session;
  }
}

/** The message for an image that has no /bin/sh (the daemon's own words are kept after it). */
export function noShellMessage(image: string, configuration: string, detail: string): string | undefined {
  return /\/bin\/sh/.test(detail) && /no such file|not found|executable file/i.test(detail)
    ? `Image ${image} of configuration ${configuration} has no /bin/sh: Open Shell needs a shell in the image (add one, e.g. busybox, to its Dockerfile). The daemon said: ${detail}`
    : undefined;
}

/**
 * Open Shell on Configuration…: a fresh container of the configuration, made by the run driver (limits,
 * runtime, GPUs, env, workspace upload, labels, removal), its main process a keep-alive; the terminal is
 * `/bin/sh` exec'd on a tty. Exiting the shell or closing the terminal stops the container (out/ comes
 * back into the run folder) and removes it.
 */
export class ConfigurationShell extends ShellTerminal {
  readonly runId = newRunId();
  private readonly abort = new AbortController();

  constructor(
    s: Services,
    private readonly configuration: string,
  ) {
    super(s);
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.dimensions = dimensions;
    void this.start().then(
      ({ message, failed, code }) => this.finish(message, failed, code),
      (e: Error) => this.finish(e.message, true, 1),
    );
  }

  protected override stopped(): void {
    this.abort.abort();
  }

  private async start(): Promise<{ message: string; failed: boolean; code: number }> {
    const { s } = this;
    const ws = launchWorkspace('a shell gets the workspace folder uploaded');
    const config = s.configurations.catalog.find(this.configuration, 'picked for Open Shell');
    const backend = await openLaunchBackend(s, config);
    try {
      const image = await launchImage(s, config);
      const folder = await prepareRunFolder(ws, this.runId);
      this.status(`Shell in a container of ${config.name} · ${backend.description} · ${image}`);
      let shellDone: Promise<number> | undefined;
      let shellError: Error | undefined;
      const outcome: RunOutcome = await runRecipe(
        backend,
        {
          id: this.runId,
          recipe: '',
          kind: shellRun(KEEP_ALIVE),
          ...(await containerRequest(s, config, ws, folder)),
          image,
          graceSeconds: 2,
          extensionVersion: extensionVersion(s.context),
        },
        {
          signal: this.abort.signal,
          onOutput: (chunk) => this.write(crlf(chunk.toString('utf8'))),
          onStatus: (text) => this.status(text),
          onWarning: (text) => this.status(text),
          onStarted: (run) => {
            shellDone = this.shell(run).then(
              (session) => session.exit(),
              (e: Error) => {
                shellError = e;
                return -1;
              },
            );
            // the shell's end (exit, Ctrl+D) ends the container
            void shellDone.finally(() => this.abort.abort());
          },
        },
      );
      const code = shellDone ? await shellDone.catch(() => -1) : -1;
      const detail = shellError?.message ?? outcome.message;
      const noShell = noShellMessage(image, config.name, detail);
      if (noShell) return { message: noShell, failed: true, code: 1 };
      if (shellError)
        return { message: `The shell could not start in ${config.name}'s container: ${shellError.message}`, failed: true, code: 1 };
      if (outcome.state === 'failed' && code < 0) return { message: outcome.message, failed: true, code: 1 };
      return {
        message: `Shell exited${code >= 0 ? ` (code ${code})` : ''}; the container was removed.${outcome.outputs ? ` Outputs in ${outcome.outputs}.` : ''}`,
        failed: false,
        code: Math.max(code, 0),
      };
    } finally {
      backend.dispose();
    }
  }
}

/** Open Shell in Run: `/bin/sh` in a running run's container (exec), the run going on; closing ends only the shell. */
export class RunShell extends ShellTerminal {
  constructor(
    s: Services,
    private readonly record: RunRecord,
  ) {
    super(s);
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.dimensions = dimensions;
    void this.start().then(
      (code) => this.finish(`Shell exited (code ${code}); run ${this.record.id} goes on.`, false, code),
      (e: Error) =>
        this.finish(
          noShellMessage(this.record.image ?? '', this.record.configuration, e.message) ??
            `No shell in run ${this.record.id}: ${e.message}`,
          true,
          1,
        ),
    );
  }

  private async start(): Promise<number> {
    return this.s.runs.withBackend(this.record.target, async (backend) => {
      this.status(`Shell in run ${this.record.id} (${this.record.recipe}) · ${backend.description}`);
      const session = await this.shell(backend.run(this.record.id));
      return session.exit();
    });
  }
}
