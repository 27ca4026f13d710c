import { randomUUID } from 'node:crypto';
import type { ExecSession } from '../backend/backend';
import { onLines } from '../jsonLines';
import type { RunOutcome } from '../run/runRecipe';
import { executeRequest, jupyterRequest, mb, parseRelayLine, relayLine, type RelayEvent } from './kernelWire';
import type { CellHandlers, CellResult, JupyterMessage, KernelSession, KernelState } from './kernelSession';

interface Cell {
  id: string;
  code: string;
  handlers: CellHandlers;
  done(result: CellResult): void;
  settled: boolean;
  reply?: CellResult;
  idle: boolean;
  /** After the reply, the idle status is awaited this long at most (iopub and shell are separate sockets). */
  idleTimer?: NodeJS.Timeout;
}

/** What the session needs from its run (the driver owns the container). */
export interface KernelRun {
  runId: string;
  description: string;
  /** The relay's exec: its stdout carries the relay's lines, its stdin takes ours. */
  relay: ExecSession;
  capBytes: number;
  /** Ends the container as a run ends; resolves with the run's outcome. */
  end(): Promise<RunOutcome>;
  onWarning(text: string): void;
}

const IDLE_AFTER_REPLY_MS = 5000;
/** How long a restart may take to a ready kernel (the relay itself gives up on a start after 60 s). */
const RESTART_DEADLINE_MS = 90_000;

/**
 * A kernel in a run's container, spoken to through the relay's exec stream. Cells are sent one at a
 * time (a cancelled or failed cell aborts the ones queued behind it, as Jupyter does); each ends when
 * both its execute_reply and its idle status came, or `ended` when no reply can come.
 */
export class ContainerKernel implements KernelSession {
  private current: KernelState = 'starting';
  private readonly listeners = new Set<(state: KernelState, why?: string) => void>();
  private readonly queue: Cell[] = [];
  private running?: Cell;
  private readonly session = randomUUID();
  private deadWhy?: string;
  private waitingStart?: { resolve(): void; reject(e: Error): void };
  private ending?: Promise<RunOutcome>;

  constructor(private readonly run: KernelRun) {
    onLines(run.relay.stdout, (line) => this.onLine(line), {
      maxLineBytes: run.capBytes + 64 * 1024,
      onLongLine: (cap) => run.onWarning(`The kernel's relay sent a line over ${mb(cap)}: it was dropped.`),
    });
  }

  get runId() {
    return this.run.runId;
  }
  get description() {
    return this.run.description;
  }
  get state() {
    return this.current;
  }

  onDidChangeState(listener: (state: KernelState, why?: string) => void) {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Resolves at the relay's `started` (the kernel answered kernel_info), rejects at `dead`. */
  whenStarted(): Promise<void> {
    if (this.current === 'idle' || this.current === 'busy') return Promise.resolve();
    if (this.current === 'dead') return Promise.reject(new Error(this.deadWhy));
    return new Promise((resolve, reject) => (this.waitingStart = { resolve, reject }));
  }

  execute(code: string, handlers: CellHandlers, signal?: AbortSignal): Promise<CellResult> {
    if (this.current === 'dead') return Promise.resolve({ status: 'ended', reason: this.deadWhy });
    return new Promise<CellResult>((resolve) => {
      const onAbort = () => this.cancel(cell);
      const cell: Cell = {
        id: '',
        code,
        handlers,
        settled: false,
        idle: false,
        done: (result) => {
          if (cell.settled) return;
          cell.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      if (signal?.aborted) return cell.done({ status: 'aborted', reason: 'Cancelled before it ran.' });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(cell);
      this.pump();
    });
  }

  async interrupt(): Promise<void> {
    await this.send({ relay: 'interrupt' });
  }

  async restart(): Promise<void> {
    if (this.ending) throw new Error('The kernel is shut down.');
    this.endAll('The kernel was restarted.');
    this.setState('restarting');
    const started = this.whenStarted();
    await this.send({ relay: 'restart' });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`The kernel did not restart within ${RESTART_DEADLINE_MS / 1000} s.`)),
        RESTART_DEADLINE_MS,
      );
    });
    try {
      await Promise.race([started, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  shutdown(): Promise<RunOutcome> {
    this.ending ??= (async () => {
      this.endAll('The kernel was shut down.');
      this.markDead('The kernel was shut down.');
      return this.run.end();
    })();
    return this.ending;
  }

  /** The run ended without a shutdown (daemon lost, container killed): the kernel is gone with it. */
  runEnded(outcome: RunOutcome): void {
    if (this.ending) return;
    const why = outcome.failure === 'daemon-lost' ? outcome.message : `The kernel's container ended: ${outcome.message}`;
    this.endAll(why);
    this.markDead(why);
  }

  /** The relay's stream ended (it exited, or the connection to the daemon broke). */
  relayEnded(why: string): void {
    if (this.ending || this.current === 'dead') return;
    this.endAll(why);
    this.markDead(why);
  }

  private setState(state: KernelState, why?: string): void {
    if (this.current === state) return;
    this.current = state;
    for (const l of [...this.listeners]) l(state, why);
  }

  private markDead(why: string): void {
    this.deadWhy = why;
    this.setState('dead', why);
    this.waitingStart?.reject(new Error(why));
    this.waitingStart = undefined;
  }

  /** Ends the running cell and every queued one: no reply will come for them. */
  private endAll(reason: string): void {
    const cells = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    this.running = undefined;
    for (const c of cells) {
      clearTimeout(c.idleTimer);
      c.done({ status: 'ended', reason });
    }
  }

  private abortQueued(reason: string): void {
    for (const c of this.queue.splice(0)) c.done({ status: 'aborted', reason });
  }

  private cancel(cell: Cell): void {
    const queued = this.queue.indexOf(cell);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      cell.done({ status: 'aborted', reason: 'Cancelled before it ran.' });
    } else if (this.running === cell) {
      // the cell stays the running one until the kernel answers: the next is sent only then
      cell.done({ status: 'ended', reason: 'Cancelled: the kernel was interrupted.' });
      this.abortQueued('A cell before it was cancelled.');
      void this.interrupt().catch(() => undefined);
    }
  }

  private pump(): void {
    while (!this.running && this.queue.length && (this.current === 'idle' || this.current === 'busy')) {
      const cell = this.queue.shift()!;
      const msg = executeRequest(this.session, cell.code);
      cell.id = msg.header.msg_id;
      const line = relayLine(msg, this.run.capBytes);
      if (!line) {
        cell.done({
          status: 'ended',
          reason: `The cell is over the kernel's frame cap of ${mb(this.run.capBytes)} and was not sent; the kernel goes on.`,
        });
        continue;
      }
      this.running = cell;
      this.write(line);
    }
  }

  private finish(cell: Cell): void {
    clearTimeout(cell.idleTimer);
    if (this.running !== cell) return;
    this.running = undefined;
    const result = cell.reply!;
    cell.done(result);
    if (result.status === 'error') this.abortQueued('An earlier cell failed or was interrupted.');
    this.pump();
  }

  private onLine(line: string): void {
    const parsed = parseRelayLine(line);
    if ('invalid' in parsed) this.run.onWarning(`The kernel's relay sent a line that is ${parsed.invalid}: it was ignored.`);
    else if ('event' in parsed) this.onEvent(parsed.event);
    else this.onMessage(parsed.message);
  }

  private onEvent(ev: RelayEvent): void {
    switch (ev.relay) {
      case 'started':
        this.deadWhy = undefined;
        this.setState('idle');
        this.waitingStart?.resolve();
        this.waitingStart = undefined;
        this.pump();
        return;
      case 'restarting':
        this.setState('restarting');
        return;
      case 'dead':
        this.endAll(`The kernel died: ${ev.why}. Restart the kernel to go on.`);
        this.markDead(`The kernel died: ${ev.why}.`);
        return;
      case 'refused':
        return this.onRefused(ev);
      case 'no-ipykernel':
        return this.markDead(`no ipykernel (${ev.detail})`);
      case 'error':
        return this.run.onWarning(`The kernel's relay: ${ev.message}`);
      case 'shutdown':
        return;
    }
  }

  /** A line over the cap was dropped by the relay: the cell says so, the kernel goes on. */
  private onRefused(ev: Extract<RelayEvent, { relay: 'refused' }>): void {
    const cell = this.running;
    const size = ev.bytes !== undefined ? `${mb(ev.bytes)}, ` : '';
    const text = `[Container Exec] A ${ev.msg_type ?? 'message'} of ${size}over the kernel's frame cap of ${mb(ev.cap ?? this.run.capBytes)}, was dropped; the kernel goes on.\n`;
    if (ev.direction === 'out' && cell && ev.parent === cell.id) {
      cell.handlers.onOutput({
        ...jupyterRequest('iopub', 'stream', this.session, { name: 'stderr', text }, { msg_id: cell.id, msg_type: 'execute_request' }),
      });
    } else if (ev.direction === 'in' && cell && (!ev.msg_id || ev.msg_id === cell.id)) {
      clearTimeout(cell.idleTimer);
      this.running = undefined;
      cell.done({ status: 'ended', reason: ev.why ? `The kernel did not take the cell: ${ev.why}.` : text.trim() });
      this.pump();
    } else this.run.onWarning(text.trim());
  }

  private onMessage(msg: JupyterMessage): void {
    const cell = this.running;
    if (!cell || msg.parent_header.msg_id !== cell.id) return;
    const type = msg.header.msg_type;
    if (msg.channel === 'iopub') {
      if (type === 'status') {
        const s = msg.content.execution_state;
        if (s === 'busy') this.setState('busy');
        else if (s === 'idle') {
          this.setState('idle');
          cell.idle = true;
          if (cell.reply) this.finish(cell);
        }
      } else if (type !== 'execute_input' && !cell.settled) cell.handlers.onOutput(msg);
    } else if (msg.channel === 'shell' && type === 'execute_reply') {
      const status = msg.content.status;
      const count = msg.content.execution_count;
      cell.reply = {
        status: status === 'ok' || status === 'aborted' ? status : 'error',
        ...(typeof count === 'number' ? { executionCount: count } : {}),
      };
      if (cell.idle || status === 'aborted') this.finish(cell);
      else cell.idleTimer = setTimeout(() => this.finish(cell), IDLE_AFTER_REPLY_MS);
    } else if (msg.channel === 'stdin' && type === 'input_request') this.answerInput(cell, msg);
  }

  private answerInput(cell: Cell, request: JupyterMessage): void {
    const prompt = typeof request.content.prompt === 'string' ? request.content.prompt : '';
    const reply = (value: string) =>
      this.send(jupyterRequest('stdin', 'input_reply', this.session, { value }, request.header)).catch(() => undefined);
    cell.handlers.onInput(prompt, request.content.password === true).then(
      (value) => reply(value),
      async () => {
        await reply('');
        await this.interrupt().catch(() => undefined);
      },
    );
  }

  private async send(obj: unknown): Promise<void> {
    const line = relayLine(obj, this.run.capBytes);
    if (!line) throw new Error(`A message over the kernel's frame cap of ${mb(this.run.capBytes)} was not sent.`);
    this.write(line);
  }

  private write(line: Buffer): void {
    if (this.run.relay.stdin.writable) this.run.relay.stdin.write(line);
  }
}
