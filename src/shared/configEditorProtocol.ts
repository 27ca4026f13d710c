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
    tls: z
      .object({
        enabled: z.boolean(),
        verify: z.boolean(),
        certPath: z.string().optional(),
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type InlineDaemon = z.infer<typeof InlineDaemon>;

/** Which daemon a request is about: an existing id, or an inline definition. */
export const DaemonRef = z.union([z.object({ id: z.string().min(1) }).strict(), z.object({ inline: InlineDaemon }).strict()]);
export type DaemonRef = z.infer<typeof DaemonRef>;

export const PathField = z.enum(['certPath', 'ca', 'cert', 'key']);

/** The resource keys the form edits; ulimits, advanced and any other resource key are kept as stored. */
export const FORM_RESOURCE_KEYS = [
  'memory',
  'memoryReservation',
  'memorySwap',
  'cpus',
  'cpuShares',
  'cpusetCpus',
  'pidsLimit',
  'shmSize',
] as const;
/** The build options the form edits; every other build key is kept as stored. */
export const FORM_BUILD_KEYS = ['debugpy', 'jupyter'] as const;
/** The configuration keys the form edits; the other build keys and any other key are kept as stored. */
export const FORM_KEYS = [
  'name',
  'description',
  'daemon',
  'pool',
  'baseImage',
  'registry',
  'resources',
  'runtime',
  'gpus',
  'gpuCapabilities',
  'env',
  'network',
  'allowedGroups',
] as const;

const anyOf = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, z.unknown().optional()])) as Record<K, z.ZodOptional<z.ZodUnknown>>;

/**
 * What the form sends: only the keys it edits (a target is `daemon` or `pool`, never both: the one
 * left out is removed from the entry) (values are checked by the configuration schema after
 * the merge, so that each error names its field). A key it leaves out is one the user cleared.
 */
export const FormConfig = z
  .object({
    ...anyOf(FORM_KEYS),
    resources: z.object(anyOf(FORM_RESOURCE_KEYS)).strict().optional(),
    build: z.object(anyOf(FORM_BUILD_KEYS)).strict().optional(),
  })
  .strict();
export type FormConfig = z.infer<typeof FormConfig>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets or removes the form's keys of a nested section (resources, build); the section's other keys stay. */
function mergeSection(entry: Record<string, unknown>, section: string, keys: readonly string[], form?: Record<string, unknown>): void {
  const stored: Record<string, unknown> = isRecord(entry[section]) ? entry[section] : {};
  for (const key of keys) {
    if (form?.[key] === undefined) delete stored[key];
    else stored[key] = form[key];
  }
  if (Object.keys(stored).length) entry[section] = stored;
  else delete entry[section];
}

/**
 * The settings entry after a save: the stored one (a deep copy) with the form's keys set or, when the
 * form leaves them out, removed. Every key the form does not edit stays exactly as stored.
 */
export function mergeFormIntoEntry(stored: unknown, form: FormConfig): Record<string, unknown> {
  const entry: Record<string, unknown> = isRecord(stored) ? structuredClone(stored) : {};
  for (const key of FORM_KEYS) {
    if (key === 'resources') continue;
    if (form[key] === undefined) delete entry[key];
    else entry[key] = form[key];
  }
  mergeSection(entry, 'resources', FORM_RESOURCE_KEYS, form.resources);
  mergeSection(entry, 'build', FORM_BUILD_KEYS, form.build);
  return entry;
}

/** The refusal of a pool of zero daemons, in the form and on save. */
export const EMPTY_POOL_MESSAGE =
  'pool: pick at least one daemon for the pool (or target a single daemon: choose "A configured or discovered daemon")';

/** The refusal of a pool naming daemons that are not configured, in the form and on save; undefined when all are known. */
export function poolDaemonsNotFound(pool: readonly string[], isKnown: (id: string) => boolean): string | undefined {
  const unknown = pool.filter((id) => !isKnown(id));
  return unknown.length ? `pool: daemon not found: ${unknown.map((d) => `"${d}"`).join(', ')}: add it or leave it out` : undefined;
}

export const FromWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('cancel') }).strict(),
  z
    .object({
      type: z.literal('save'),
      config: FormConfig,
      scope: Scope,
      inlineDaemon: InlineDaemon.optional(),
      registryPassword: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('pickPath'), field: PathField }).strict(),
  z.object({ type: z.literal('testConnection'), daemon: DaemonRef }).strict(),
  z.object({ type: z.literal('daemonInfo'), daemon: DaemonRef }).strict(),
  z
    .object({ type: z.literal('testRegistry'), daemon: DaemonRef, url: z.string().min(1), username: z.string(), password: z.string() })
    .strict(),
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
  /** Which engine answers ("Podman 4.3.1"): on Podman the form offers GPUs as CDI devices instead of runtimes. */
  engine?: { name: 'Docker' | 'Podman'; label: string };
}

export type ToWebview =
  | {
      type: 'init';
      config: Record<string, unknown> | undefined;
      originalName?: string;
      scope: 'user' | 'workspace';
      hasWorkspace: boolean;
      daemons: DaemonChoice[];
      takenNames: string[];
      groups: string[];
      hasPassword: boolean;
    }
  | { type: 'daemonInfo'; key: string; info: DaemonCapacity }
  | { type: 'pickedPath'; field: z.infer<typeof PathField>; path: string }
  | { type: 'connectionResult'; ok: true; text: string }
  | { type: 'registryResult'; ok: true; text: string }
  | { type: 'saveResult'; ok: boolean; errors: { field: string; message: string }[] }
  /**
   * Any action that could not be carried out (the form's load, a path pick, a connection or registry
   * test, a daemon's capacity read, a save): one shape for all, shown where that action shows its result;
   * `key` is the daemon's (daemonKey) for the actions about one.
   */
  | { type: 'failed'; action: FromWebview['type']; text: string; key?: string }
  | { type: 'rejected'; text: string };

/** The key a daemon reference is cached under (webview and host agree on it). */
export function daemonKey(ref: DaemonRef): string {
  return 'id' in ref ? `id:${ref.id}` : `inline:${JSON.stringify(ref.inline)}`;
}
