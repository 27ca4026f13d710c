// Types for demo.mjs, used by the TypeScript UI tests.
export const LOCAL_DEFAULT_IMAGE: string;
export const OFFLINE_IMAGE: string;
export function localDaemon(): { host: string; target?: { socketPath: string } | { host: string; port: number } };
export function demoUserSettings(log?: (s: string) => void): Promise<Record<string, string>>;
export function startDemoServer(o: {
  tools: { NODE24: string; CODE_SERVER: string };
  runDir: string;
  workspace: string;
  port?: number;
  userSettings?: Record<string, unknown>;
}): Promise<{ url: string; port: number; logFile: string; stop: () => Promise<void> }>;
