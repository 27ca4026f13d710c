// Types for codeServer.mjs, used by the TypeScript UI tests.
export function freePort(): Promise<number>;
export function startCodeServer(o: {
  tools: { NODE24: string; CODE_SERVER: string };
  runDir: string;
  workspace: string;
  port?: number;
  env?: Record<string, string>;
  extensionsDir?: string;
  smokeTestDriver?: boolean;
  userSettings?: Record<string, unknown>;
  /** start on the state folder a former start left: a second start of the same profile */
  keepState?: boolean;
}): Promise<{ url: string; port: number; logFile: string; stop: () => Promise<void> }>;
