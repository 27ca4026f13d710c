import type { Configuration } from '../../config/configurationSchema';

/** What a kind's command is built from (the request's recipe, its interpreters and arguments). */
export interface KindCommandInput {
  /** Workspace-relative, posix. */
  recipe: string;
  interpreters: Record<string, string>;
  args?: string[];
}

/** What a kind is without its parameters (a factory's `traits`): the views ask it about a record's kind. */
export interface RunKindTraits {
  /** The container's `container-exec.kind` label (and the record's kind). */
  readonly name: string;
  /** The Runs view names the kind in its runs' rows (a debug run, a kernel); a plain run or a sweep's trial says nothing. */
  readonly namedInRunsRow?: boolean;
}

/**
 * A kind of run the driver is given (run, debug, shell): how the container's main process is built,
 * the kind its labels and record carry, and what it refuses before the target is asked. The driver
 * knows no kind by name: a new kind is a file here and a line in `RUN_KINDS`.
 */
export interface RunKind extends RunKindTraits {
  /** The container's main process; throwing refuses the recipe (before the target is asked). */
  command(input: KindCommandInput): string[];
  /** Why this kind cannot run on the configuration (checked before the target is asked), or undefined. */
  refusal?(config: Configuration): string | undefined;
}
