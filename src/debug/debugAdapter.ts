import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import {
  attachArguments,
  debugCommand,
  debugRun,
  debuggeeCommand,
  debugpyMissingMessage,
  debugPort,
  encodeDap,
  newRunId,
  relayCommand,
  DapReader,
  DEBUGPY_MISSING_EXIT,
  RELAY_NO_ADAPTER_EXIT,
  WORKSPACE_IN_CONTAINER,
  type DapMessage,
  type ExecSession,
  type RunHandle,
  type RunOutcome,
} from '../core';
import { workspaceDir } from '../workspace';
import type { Services } from '../services';
import { executeToEnd } from '../tasks';
import type { RunRecord } from '../runs/runHistory';
import { RUN_TASK_TYPE, runTask } from '../runs/runTask';

/** What a `container-exec` launch configuration holds (launch.json). */
export interface ContainerExecDebugConfiguration extends vscode.DebugConfiguration {
  recipe: string;
  configuration?: string;
  args?: string[];
  env?: Record<string, string>;
  justMyCode?: boolean;
  stopOnEntry?: boolean;
}

/** How a debug session ended, for the UI (an action on a missing debugpy) and the tests. */
export interface DebugSessionEnd {
  runId: string;
  record?: RunRecord;
  /** Why the session could not debug, in words (undefined: the recipe ran under the debugger). */
  problem?: string;
  debugpyMissing?: { configuration: string; image: string };
}

/**
 * One Debug Recipe session, inline in the extension host: the run is started as a run task (same record,
 * run.log, limits, upload, outputs, removal) with the recipe under debugpy; once its container runs, a
 * relay exec'd in it carries DAP between VS Code and debugpy's adapter. The client's `launch` becomes an
 * `attach` with the path mappings; Stop stops the run (outputs still come back); the session ends
 * (`terminated`) when the run is over, its record final.
 */
export class ContainerExecDebugAdapter implements vscode.DebugAdapter {
  readonly runId = newRunId();
  private readonly sent = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.sent.event;
  /** Client messages waiting for the relay. */
  private queue: DapMessage[] = [];
  private relay?: ExecSession;
  private launchSeq?: number;
  private attached = false;
  private ended = false;
  private stopRequested = false;
  private chosen?: { recipe: string; configuration: string; image: string };
  private relayError = '';
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly port = debugPort();
  private cmd?: { cmd: string[]; recipe: string };

  constructor(
    private readonly s: Services,
    private readonly config: ContainerExecDebugConfiguration,
    private readonly onEnd: (end: DebugSessionEnd) => void,
  ) {
    const task = runTask(
      s,
      {
        type: RUN_TASK_TYPE,
        recipe: config.recipe,
        configuration: config.configuration,
        args: config.args,
        env: config.env,
        runId: this.runId,
      },
      {
        verb: 'Debug',
        reveal: false,
        offThread: false,
        recordKind: 'debug',
        kind: debugRun((cmd, recipe) => {
          this.cmd = { cmd, recipe };
          return debugCommand(cmd, recipe, this.port);
        }),
        onChosen: (recipe, configuration, image) => (this.chosen = { recipe, configuration, image }),
        onStarted: (run) => void this.attach(run),
        onOutput: (chunk, stream) => this.output(this.decoders[stream].write(chunk), stream),
        onStatus: (text) => this.output(`[container-exec] ${text}\n`, 'console'),
        onEnded: (record, outcome, error) => this.runEnded(record, outcome, error),
      },
    );
    executeToEnd(task).catch((e: Error) => this.runEnded(undefined, undefined, e));
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const m = message as DapMessage;
    if (m.type === 'request' && (m.command === 'disconnect' || m.command === 'terminate')) {
      // the run is the debuggee: stopping the session stops its container (the outputs still come back)
      this.respond(m, true);
      this.stopRun();
      if (this.ended) this.event('terminated', {});
      return;
    }
    if (m.type === 'request' && m.command === 'launch') {
      this.launchSeq = m.seq;
      const args = m.arguments ?? {};
      message = { ...m, command: debuggeeCommand(args), arguments: attachArguments(args, workspaceDir(), WORKSPACE_IN_CONTAINER) };
    }
    // a session whose run is over just ends: the reason is in the Debug Console and a notification
    if (this.ended) return this.respond(m, true);
    if (this.relay) this.relay.stdin.write(encodeDap(message));
    else this.queue.push(message as DapMessage);
  }

  dispose(): void {
    this.stopRun();
    this.relay?.close();
    this.sent.dispose();
  }

  private stopRun(): void {
    if (this.ended || this.stopRequested) return;
    this.stopRequested = true;
    this.s.runs.stop(this.runId);
  }

  /** The container runs: the relay connects to debugpy (waiting while it starts) and the queued messages go. */
  private async attach(run: RunHandle): Promise<void> {
    if (!this.cmd) return;
    try {
      const relay = await run.exec(relayCommand(this.cmd.cmd, this.cmd.recipe, this.port), { stdin: true });
      if (this.ended) return relay.close();
      const reader = new DapReader((msg) => this.fromDebugpy(msg));
      relay.stdout.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk);
        } catch (e) {
          this.output(`[container-exec] ${(e as Error).message}\n`, 'stderr');
          relay.close();
        }
      });
      relay.stderr.on('data', (chunk: Buffer) => (this.relayError += chunk.toString('utf8')));
      this.relay = relay;
      for (const m of this.queue.splice(0)) relay.stdin.write(encodeDap(m));
      const code = await relay.exit().catch(() => undefined);
      if (code === RELAY_NO_ADAPTER_EXIT && !this.ended) this.output(`[container-exec] ${this.relayError.trim()}\n`, 'stderr');
    } catch (e) {
      // the container may be gone already (the recipe ended first): the run's end says so
      if (!this.ended) this.output(`[container-exec] could not reach the debugger in ${run.name}: ${(e as Error).message}\n`, 'stderr');
    }
  }

  private fromDebugpy(m: DapMessage): void {
    if (m.type === 'response' && m.request_seq === this.launchSeq) {
      m = { ...m, command: 'launch' };
      if (m.success) this.attached = true;
    }
    if (m.type === 'response' && m.command === 'initialize') this.attached = true;
    // the session ends when the run does (outputs back, record final), not when debugpy lets go
    if (m.type === 'event' && m.event === 'terminated') return;
    this.sent.fire(m as vscode.DebugProtocolMessage);
  }

  private runEnded(record: RunRecord | undefined, outcome: RunOutcome | undefined, error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    const end: DebugSessionEnd = { runId: this.runId, record };
    const image = this.chosen?.image ?? record?.image ?? '';
    const configuration = this.chosen?.configuration ?? record?.configuration ?? '';
    if (error) end.problem = error.message;
    // the daemon vanished mid-session: the run's own daemon-lost message, shown as the session's end
    else if (outcome?.failure === 'daemon-lost') end.problem = outcome.message;
    else if (outcome && outcome.state === 'failed' && outcome.exitCode === DEBUGPY_MISSING_EXIT && !this.attached) {
      end.problem = debugpyMissingMessage(image, configuration);
      end.debugpyMissing = { configuration, image };
    } else if (outcome && outcome.state !== 'cancelled' && !this.attached)
      end.problem =
        outcome.exitCode !== undefined
          ? `The recipe exited (code ${outcome.exitCode}) before the debugger attached: debugpy in ${image} did not start it (see run.log of run ${this.runId}).`
          : `The debug run of ${this.chosen?.recipe ?? this.config.recipe} failed before the debugger attached: ${outcome.message}`;
    for (const t of Object.values(this.decoders)) t.end();
    if (end.problem) this.output(`${end.problem}\n`, 'stderr');
    if (outcome && outcome.message !== end.problem) this.output(`[container-exec] Run ${outcome.state}: ${outcome.message}\n`, 'console');
    // requests still waiting (initialize, launch) are answered, not failed: VS Code would show a modal dialog
    // without the action a missing debugpy offers; the notification says why instead
    for (const m of this.queue.splice(0)) if (m.type === 'request') this.respond(m, true);
    if (outcome?.exitCode !== undefined) this.event('exited', { exitCode: outcome.exitCode });
    this.event('terminated', {});
    this.relay?.close();
    this.onEnd(end);
  }

  private output(text: string, category: 'stdout' | 'stderr' | 'console'): void {
    if (text) this.event('output', { category, output: text });
  }

  private event(event: string, body: Record<string, unknown>): void {
    this.sent.fire({ seq: 0, type: 'event', event, body } as vscode.DebugProtocolMessage);
  }

  private respond(request: DapMessage, success: boolean, message?: string): void {
    this.sent.fire({
      seq: 0,
      type: 'response',
      request_seq: request.seq,
      command: request.command,
      success,
      ...(message ? { message, body: { error: { id: 1, format: message, showUser: true } } } : {}),
    } as vscode.DebugProtocolMessage);
  }
}
