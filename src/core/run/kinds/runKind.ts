import type { Configuration } from '../../config/configurationSchema';

/** What a kind's command is built from (the request's recipe, its interpreters and arguments). */
export interface KindCommandInput {
  /** Workspace-relative, posix. */
  recipe: string;
  interpreters: Record<string, string>;
  args?: string[];
}

/**
 * A kind of run the driver is given (run, debug, shell): how the container's main process is built,
 * the kind its labels and record carry, and what it refuses before the target is asked. The driver
 * knows no kind by name: a new kind is a file here and a line in `RUN_KINDS`.
 */
export interface RunKind {
  /** The container's `container-exec.kind` label (and the record's kind). */
  readonly name: string;
  /** The container's main process; throwing refuses the recipe (before the target is asked). */
  command(input: KindCommandInput): string[];
  /** Why this kind cannot run on the configuration (checked before the target is asked), or undefined. */
  refusal?(config: Configuration): string | undefined;
}
