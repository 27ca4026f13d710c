import { recipeRun, type RunHandle, type RunKind, type RunOutcome } from '../core';
import type { RunRecord } from './runHistory';

/**
 * A run kind as the run task's terminal is given it: the driver's kind (command, label, refusals), the
 * task's words, where the output goes, the record's kind, and its hooks from the choice to the end. The
 * terminal knows no kind by name: a new kind is a `TerminalRunKind` made in its own folder.
 */
export interface TerminalRunKind {
  readonly kind: RunKind;
  /** The task's name starts with it (Run, Debug). */
  readonly verb: string;
  /** The terminal comes to front when the task starts (a debug run shows in the Debug Console instead). */
  readonly reveal: boolean;
  /** The output is read off the host's thread (a worker writes run.log and paces the terminal); false: every byte comes here. */
  readonly offThread: boolean;
  /** The run record's kind (absent: a plain run). */
  readonly recordKind?: RunRecord['kind'];
  /** The recipe, configuration and image are known, before anything is created. */
  onChosen?(recipe: string, configuration: string, image: string): void;
  onStarted?(run: RunHandle): void;
  onOutput?(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  onStatus?(text: string): void;
  /** The run is over and its record final (undefined: it never started, `error` says why). */
  onEnded?(record: RunRecord | undefined, outcome: RunOutcome | undefined, error?: Error): void;
}

/** A plain run (Run Recipe, tasks.json): its output in the task terminal, read off the host's thread. */
export const recipeRunTerminal: TerminalRunKind = { kind: recipeRun, verb: 'Run', reveal: true, offThread: true };
