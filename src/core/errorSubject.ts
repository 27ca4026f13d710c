/**
 * What a failure's message names that the user can edit: a setting (`containerExec.daemons[2]` names
 * `containerExec.daemons`), a configuration ("Configuration gpu not found", "configuration gpu has…") or a
 * daemon (`Daemon "tcp" is not configured`, `Daemon not found: "tcp"`).
 * The messages are ours and name what to fix, so reading them back is enough to offer an Edit.
 */
export interface ErrorSubject {
  setting?: string;
  configuration?: string;
  daemon?: string;
}

export function errorSubject(message: string): ErrorSubject {
  const setting = /\bcontainerExec\.([A-Za-z]+)/.exec(message)?.[1];
  const configuration = /\b[Cc]onfiguration\s+"?([\w.:-]*\w)"?/.exec(message)?.[1];
  const daemon = /\b[Dd]aemon(?: not found:)?\s+"([^"]+)"/.exec(message)?.[1];
  return {
    ...(setting ? { setting: `containerExec.${setting}` } : {}),
    ...(configuration ? { configuration } : {}),
    ...(daemon ? { daemon } : {}),
  };
}
