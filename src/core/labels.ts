import * as os from 'node:os';

/** Labels Container Exec puts on what it creates, so the views can tell its images and containers apart. */
export const LABELS = {
  /** On images and containers: the extension version that made them. */
  version: 'container-exec.version',
  /** On images: base | code-env; on containers: run | debug (a Debug Recipe run). */
  kind: 'container-exec.kind',
  /** On images: hash of the Dockerfile and context files they were built from (stale when it changes). */
  optionsHash: 'container-exec.options-hash',
  /** On images and containers: the execution configuration. */
  configuration: 'container-exec.configuration',
  /** On containers: the run id (finds the containers of runs lost with their daemon). */
  run: 'container-exec.run',
  /** On run containers: which machine and workspace folder ran it (hash), so only its own lost runs are offered for cleanup. */
  workspace: 'container-exec.workspace',
  /** On run containers kept after the run (containerExec.keepContainers): never offered as lost. */
  kept: 'container-exec.kept',
  /** On containers: the workspace-relative path of the recipe. */
  recipe: 'container-exec.recipe',
  /** On run containers: the OS user who started it (per-user budgets count runs by it, on every daemon). */
  user: 'container-exec.user',
  /** On run containers of a pool: the pool (configuration) name. */
  pool: 'container-exec.pool',
  /** On run containers of a pool: what the run asked for, `cpus=1;memory=67108864;gpus=0` (budgets add these up). */
  request: 'container-exec.request',
  /** On claim containers of a pool: when the claim was made (ISO time); an old claim stops counting (see claims.ts). */
  claimedAt: 'container-exec.claimed-at',
  /** On claim containers of a pool: which window made it (host and extension-host process id), for whoever reads it. */
  claimOwner: 'container-exec.claim-owner',
} as const;

/** The `container-exec.kind` label of a sweep's seed container and of its workspace images (found again as lost by it). */
export const SWEEP_WORKSPACE_KIND = 'sweep-workspace';

/** The OS user, as the `container-exec.user` label every run container carries (budgets count by it). */
export const osUser = (): string => {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
};
