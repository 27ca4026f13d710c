import type { ExecutionBackend } from '../backend/backend';
import type { RunHooks, RunOutcome, RunRequest } from '../run/runRecipe';

/** A Jupyter message in the Jupyter server's websocket shape (buffers base64), tagged by channel. */
export interface JupyterMessage {
  channel: 'shell' | 'iopub' | 'stdin' | 'control';
  header: { msg_id: string; msg_type: string; session: string; username: string; date: string; version: string };
  parent_header: { msg_id?: string; msg_type?: string } & Record<string, unknown>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers?: string[];
}

export type KernelState = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead';

/** What one cell's execution reports while it runs. */
export interface CellHandlers {
  /** Each iopub message whose parent is this execution, in order: stream, display_data, execute_result,
   *  update_display_data (may name a display of an earlier cell: the host finds it by display_id),
   *  clear_output, error. (status and execute_input are consumed by the session.) */
  onOutput(msg: JupyterMessage): void;
  /** input()/getpass() in the cell: resolve with the text; reject to send an empty answer and interrupt. */
  onInput(prompt: string, password: boolean): Promise<string>;
}

export interface CellResult {
  /** ok / error: the kernel's execute_reply; aborted: the kernel skipped it (an earlier cell failed or was
   *  interrupted); ended: no reply will come (kernel died, daemon lost, shut down, frame refused): see `reason`. */
  status: 'ok' | 'error' | 'aborted' | 'ended';
  executionCount?: number;
  /** In words, for the cell's output when status is `ended` (e.g. the run's daemon-lost message). */
  reason?: string;
}

export interface KernelSession {
  readonly runId: string;
  /** The container's daemon and image, in words, for the picker and the Runs view. */
  readonly description: string;
  readonly state: KernelState;
  /** State changes; `why` says what happened when it becomes `dead` (daemon lost, kernel killed: OOM, SIGKILL). */
  onDidChangeState(listener: (state: KernelState, why?: string) => void): { dispose(): void };
  /** Runs a cell. The signal aborting interrupts the kernel (SIGINT) and resolves this cell `ended`/`aborted`. */
  execute(code: string, handlers: CellHandlers, signal?: AbortSignal): Promise<CellResult>;
  /** SIGINT to the kernel process: the running cell ends with KeyboardInterrupt, queued cells are aborted. */
  interrupt(): Promise<void>;
  /** A fresh kernel process in the same container: state cleared; pending cells end `ended`. */
  restart(): Promise<void>;
  /** Ends the kernel and its container as a run ends (out/ fetched into the run folder, container removed). */
  shutdown(): Promise<RunOutcome>;
}

/** The kernel's launch: a run request of kind kernel (no recipe), the notebook's folder as working directory. */
export type KernelRequest = Omit<RunRequest, 'kind' | 'recipe'> & {
  /** Workspace-relative posix folder of the notebook: the kernel's working directory under /workspace. */
  notebookFolder: string;
  /** The cap on one JSON line between the extension and the kernel's relay, either way (default 32 MB). */
  frameCapBytes?: number;
};

/** Starts the container (placement, image, upload, consent: the run driver's) and the kernel in it; resolves
 *  when the kernel answered kernel_info, rejects with the run's message when it cannot start (no ipykernel in
 *  the image: the message says so, "Image … of configuration … has no ipykernel"). `hooks.onStatus` reports
 *  progress (placing, image, upload, starting kernel); `hooks.signal` aborting cancels the start or shuts down. */
export type StartKernel = (backend: ExecutionBackend, req: KernelRequest, hooks: RunHooks) => Promise<KernelSession>;
