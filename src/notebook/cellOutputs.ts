import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { formatBytes, pacingAt, TerminalPacer, type JupyterMessage } from '../core';
import { displayOutput, errorOutput, bundleItems } from './jupyterOutputs';

/** How often the cell's outputs are written (one edit a tick carries every piece that came meanwhile). */
const TICK_MS = 50;
/** Stream text a cell shows at most; the rest is only in the kernel's run.log. */
export const CELL_STREAM_MAX_BYTES = 1e6;
/** A marker in the pacer's text for an output that is not a stream's (it keeps its place among the streams). */
const OP = '\u0000op:';

type Stream = 'stdout' | 'stderr';
const streamItem = (name: Stream, text: string) =>
  name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);

export interface CellOutputContext {
  /** Bytes a second a cell's streams are shown at (containerExec.terminalMaxMBps; Infinity: no limit). */
  bytesPerSecond: number;
  /** Every stream's text, whole, for the kernel's run.log. */
  log(text: string): void;
  /** Where the rest of a capped stream is, in words ("run.log of kernel run …"). */
  logName: string;
  /** An update_display_data for a display this cell does not hold: the kernel looks in the notebook's other cells. */
  updateElsewhere(displayId: string, items: vscode.NotebookCellOutputItem[]): Promise<void>;
}

/**
 * One cell's outputs as the kernel sends them: streams paced (as the run terminal is) and capped, the
 * other outputs in their place among them; display updates, clear_output (with wait), errors.
 */
export class CellOutputs {
  private readonly pacer: TerminalPacer;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly ops = new Map<number, () => Thenable<void> | void>();
  private nextOp = 0;
  private lastStream: { name: Stream; output: vscode.NotebookCellOutput } | undefined;
  private clearOnNext = false;
  private streamed = 0;
  private capped = 0;
  private tick: NodeJS.Timeout | undefined;
  private applying: Promise<void> = Promise.resolve();
  private drained: (() => void) | undefined;
  /** The execution_count an execute_result carried. */
  executionCount: number | undefined;

  constructor(
    private readonly execution: vscode.NotebookCellExecution,
    private readonly o: CellOutputContext,
  ) {
    const rate = o.bytesPerSecond;
    this.pacer = new TerminalPacer(rate === Infinity ? { bytesPerSecond: Infinity, queueBytes: Infinity, tailBytes: 0 } : pacingAt(rate));
  }

  /** An iopub message of this cell. */
  handle(msg: JupyterMessage): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case 'stream':
        return this.stream(c.name === 'stderr' ? 'stderr' : 'stdout', typeof c.text === 'string' ? c.text : '');
      case 'display_data':
        return this.op(() => this.append(displayOutput(c)));
      case 'execute_result':
        if (typeof c.execution_count === 'number') this.executionCount = c.execution_count;
        return this.op(() => this.append(displayOutput(c)));
      case 'update_display_data':
        return this.op(() => this.updateDisplay(c));
      case 'clear_output':
        return this.op(() => this.clear(c.wait === true));
      case 'error':
        return this.op(() => this.append(errorOutput(c)));
    }
  }

  /** Text of our own (the kernel's state, why the cell ended), after what came before. */
  note(text: string, name: Stream = 'stderr'): void {
    this.op(() => this.appendStream(name, text));
  }

  /** Resolves once everything that came was shown (a capped stream's note included). */
  finish(): Promise<void> {
    if (this.capped) this.op(() => this.appendStream('stderr', this.cappedNote()));
    this.pacer.finish();
    this.schedule();
    return new Promise<void>((resolve) => (this.drained = resolve)).then(() => this.applying);
  }

  private cappedNote(): string {
    return `\n… ${formatBytes(this.capped)} more output not shown (a cell shows ${formatBytes(CELL_STREAM_MAX_BYTES)} of it at most): all of it is in ${this.o.logName}.\n`;
  }

  private stream(name: Stream, text: string): void {
    this.o.log(text);
    const bytes = Buffer.from(text, 'utf8');
    const room = CELL_STREAM_MAX_BYTES - this.streamed;
    if (room <= 0) {
      this.capped += bytes.length;
      return;
    }
    const shown = bytes.length <= room ? bytes : bytes.subarray(0, room);
    this.capped += bytes.length - shown.length;
    this.streamed += shown.length;
    this.pacer.output(shown, name);
    this.schedule();
  }

  private op(apply: () => Thenable<void> | void): void {
    const id = this.nextOp++;
    this.ops.set(id, apply);
    this.pacer.text(`${OP}${id}`);
    this.schedule();
  }

  private schedule(): void {
    this.tick ??= setTimeout(() => this.drain(), TICK_MS);
  }

  /** What the pacer gives now, applied in order (consecutive pieces of a stream in one edit). */
  private drain(): void {
    this.tick = undefined;
    let run: { name: Stream; text: string } | undefined;
    const steps: (() => Thenable<void> | void)[] = [];
    const flush = () => {
      if (run?.text) {
        const { name, text } = run;
        steps.push(() => this.appendStream(name, text));
      }
      run = undefined;
    };
    for (const p of this.pacer.take()) {
      if (p.kind === 'output') {
        if (run && run.name !== p.stream) flush();
        run ??= { name: p.stream, text: '' };
        run.text += this.decoders[p.stream].write(p.bytes);
      } else if (p.kind === 'skipped') {
        flush();
        const note = `\n… ${formatBytes(p.bytes)} of output skipped (containerExec.terminalMaxMBps): all of it is in ${this.o.logName}.\n`;
        steps.push(() => this.appendStream('stderr', note));
      } else if (p.text.startsWith(OP)) {
        flush();
        const id = Number(p.text.slice(OP.length));
        const apply = this.ops.get(id);
        this.ops.delete(id);
        if (apply) steps.push(apply);
      }
    }
    flush();
    for (const step of steps) this.applying = this.applying.then(step).then(undefined, () => undefined);
    if (this.pacer.pending) this.schedule();
    else if (this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }

  /** A pending clear_output(wait=True) happens just before the next output. */
  private async clearIfWaiting(): Promise<void> {
    if (!this.clearOnNext) return;
    this.clearOnNext = false;
    await this.execution.clearOutput();
  }

  private async clear(wait: boolean): Promise<void> {
    this.lastStream = undefined;
    if (wait) this.clearOnNext = true;
    else {
      this.clearOnNext = false;
      await this.execution.clearOutput();
    }
  }

  private async append(output: vscode.NotebookCellOutput): Promise<void> {
    await this.clearIfWaiting();
    this.lastStream = undefined;
    await this.execution.appendOutput(output);
  }

  /** Stream text goes on the cell's last output when that is the same stream's (as Jupyter shows it). */
  private async appendStream(name: Stream, text: string): Promise<void> {
    await this.clearIfWaiting();
    const last = this.lastStream;
    if (last?.name === name) return this.execution.appendOutputItems(streamItem(name, text), last.output);
    const output = new vscode.NotebookCellOutput([streamItem(name, text)]);
    this.lastStream = { name, output };
    await this.execution.appendOutput(output);
  }

  private async updateDisplay(c: Record<string, unknown>): Promise<void> {
    const id = (c.transient as { display_id?: unknown } | undefined)?.display_id;
    if (typeof id !== 'string') return;
    const items = bundleItems(c.data);
    const here = this.execution.cell.outputs.filter(
      (o) => (o.metadata?.transient as { display_id?: unknown } | undefined)?.display_id === id,
    );
    for (const output of here) await this.execution.replaceOutputItems(items, output);
    await this.o.updateElsewhere(id, items);
  }
}
