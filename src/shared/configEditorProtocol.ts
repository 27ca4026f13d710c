/**
 * Messages between the configuration editor webview and the extension host, as zod schemas imported
 * by both bundles. The host parses every message from the webview (untrusted) with FromWebview.
 * Pure: no Node or VS Code APIs (this module is bundled for the browser too).
 */
import * as z from 'zod';

export const Scope = z.enum(['user', 'workspace']);

/** A daemon defined inline in the form (saved to containerExec.daemons with the configuration). */
export const InlineDaemon = z
  .object({
    id: z.string().min(1),
    host: z.string().min(1),
    tls: z.object({ enabled: z.boolean(), verify: z.boolean(), certPath: z.string().optional(), ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict().optional(),
  })
  .strict();
export type InlineDaemon = z.infer<typeof InlineDaemon>;

/** Which daemon a request is about: an existing id, or an inline definition. */
export const DaemonRef = z.union([z.object({ id: z.string().min(1) }).strict(), z.object({ inline: InlineDaemon }).strict()]);
export type DaemonRef = z.infer<typeof DaemonRef>;

export const PathField = z.enum(['certPath', 'ca', 'cert', 'key']);

export const FromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('cancel') }).strict(),
  z.object({ type: z.literal('save'), config: z.record(z.string(), z.unknown()), scope: Scope, inlineDaemon: InlineDaemon.optional(), registryPassword: z.string().optional() }).strict(),
  z.object({ type: z.literal('pickPath'), field: PathField }).strict(),
  z.object({ type: z.literal('testConnection'), daemon: DaemonRef }).strict(),
  z.object({ type: z.literal('daemonInfo'), daemon: DaemonRef }).strict(),
  z.object({ type: z.literal('testRegistry'), daemon: DaemonRef, url: z.string().min(1), username: z.string(), password: z.string() }).strict(),
]);
export type FromWebview = z.infer<typeof FromWebview>;

export interface DaemonChoice {
  id: string;
  label: string;
  host: string;
}

export interface DaemonCapacity {
  name: string;
  cpus: number;
  memTotalBytes: number;
  runtimes: string[];
  defaultRuntime?: string;
}

export type ToWebview =
  | { type: 'init'; config: Record<string, unknown> | undefined; originalName?: string; scope: 'user' | 'workspace'; hasWorkspace: boolean; daemons: DaemonChoice[]; takenNames: string[]; groups: string[]; hasPassword: boolean }
  | { type: 'daemonInfo'; key: string; info?: DaemonCapacity; error?: string }
  | { type: 'pickedPath'; field: z.infer<typeof PathField>; path: string }
  | { type: 'connectionResult'; ok: boolean; text: string }
  | { type: 'registryResult'; ok: boolean; text: string }
  | { type: 'saveResult'; ok: boolean; errors: { field: string; message: string }[] }
  | { type: 'rejected'; text: string };

/** The key a daemon reference is cached under (webview and host agree on it). */
export function daemonKey(ref: DaemonRef): string {
  return 'id' in ref ? `id:${ref.id}` : `inline:${JSON.stringify(ref.inline)}`;
}
