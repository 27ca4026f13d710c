import * as z from 'zod';
import { MEMORY_FORM, parseCpuset, parseMemory } from './units';
import { BACKEND_DESCRIPTORS } from '../backend/descriptors';

/**
 * One execution configuration: the schema shared by the settings, the core and the webview form
 * (pure zod: no Node or VS Code APIs here). Every message names the field and the accepted form.
 */
export const CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const memory = (field: string, allowUnlimited = false) =>
  z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    if (allowUnlimited && (v === -1 || v === '-1')) return;
    if (parseMemory(v) === undefined)
      ctx.addIssue({ code: 'custom', message: `${field}: "${v}" is not ${MEMORY_FORM}${allowUnlimited ? ', or -1 for unlimited' : ''}` });
  });

/**
 * HostConfig keys beyond the common ones, accepted under resources.advanced: limits only (throttles,
 * weights, quotas), so no configuration, a workspace's included, widens what a container may do.
 */
export const ADVANCED_RESOURCE_KEYS = [
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpusetMems',
  'CpuCount',
  'CpuPercent',
  'MemorySwappiness',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
  'KernelMemoryTCP',
] as const;

/** Keys once allowed, or asked for, that grant rather than limit: refused with the reason. */
const ADVANCED_GRANTS = new Map([
  ['DeviceCgroupRules', 'a device permission (access to host devices), not a resource limit'],
  ['Devices', 'a device permission (host devices in the container), not a resource limit'],
  ['OomKillDisable', 'a switch that turns off the OOM killer (the memory limit then no longer stops the container), not a limit'],
  ['CpuRealtimePeriod', 'a grant of real-time CPU scheduling, not a limit'],
  ['CpuRealtimeRuntime', 'a grant of real-time CPU scheduling, not a limit'],
]);

export const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
] as const;

const Ulimit = z
  .object({ soft: z.number().int().min(-1), hard: z.number().int().min(-1) })
  .strict()
  .refine((u) => u.hard === -1 || (u.soft !== -1 && u.soft <= u.hard), { message: 'soft must not exceed hard' });

export const ResourcesSchema = z
  .object({
    memory: memory('resources.memory').optional(),
    memoryReservation: memory('resources.memoryReservation').optional(),
    memorySwap: memory('resources.memorySwap', true).optional(),
    cpus: z
      .number({ error: 'resources.cpus must be a number of CPUs like 1.5 (as docker run --cpus)' })
      .positive({ error: 'resources.cpus must be more than 0' })
      .optional(),
    cpuShares: z.number().int().min(2, { error: 'resources.cpuShares must be an integer of at least 2 (1024 = one share)' }).optional(),
    cpusetCpus: z
      .string()
      .refine((v) => parseCpuset(v) !== undefined, { message: 'resources.cpusetCpus must list CPUs like 0-3,5' })
      .optional(),
    pidsLimit: z
      .number()
      .int()
      .refine((n) => n === -1 || n > 0, { message: 'resources.pidsLimit must be a positive integer, or -1 for unlimited' })
      .optional(),
    shmSize: memory('resources.shmSize').optional(),
    ulimits: z
      .record(z.string(), Ulimit)
      .superRefine((u, ctx) => {
        for (const name of Object.keys(u))
          if (!(ULIMIT_NAMES as readonly string[]).includes(name))
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `resources.ulimits: unknown limit "${name}" (known: ${ULIMIT_NAMES.join(', ')})`,
            });
      })
      .optional(),
    advanced: z
      .record(z.string(), z.unknown())
      .superRefine((a, ctx) => {
        for (const key of Object.keys(a))
          if (!(ADVANCED_RESOURCE_KEYS as readonly string[]).includes(key))
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: ADVANCED_GRANTS.has(key)
                ? `resources.advanced: "${key}" is ${ADVANCED_GRANTS.get(key)}: a configuration may only set limits there. Remove it (allowed: ${ADVANCED_RESOURCE_KEYS.join(', ')})`
                : `resources.advanced: "${key}" is not an allowed HostConfig resource key (allowed: ${ADVANCED_RESOURCE_KEYS.join(', ')})`,
            });
      })
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const mem = r.memory !== undefined ? parseMemory(r.memory) : undefined;
    const reservation = r.memoryReservation !== undefined ? parseMemory(r.memoryReservation) : undefined;
    const swap = r.memorySwap !== undefined && r.memorySwap !== -1 && r.memorySwap !== '-1' ? parseMemory(r.memorySwap) : undefined;
    if (mem !== undefined && mem < 6 * 1024 * 1024)
      ctx.addIssue({ code: 'custom', path: ['memory'], message: "resources.memory must be at least 6m (Docker's minimum)" });
    if (mem !== undefined && reservation !== undefined && reservation > mem)
      ctx.addIssue({
        code: 'custom',
        path: ['memoryReservation'],
        message: 'resources.memoryReservation must not exceed resources.memory',
      });
    if (swap !== undefined && mem === undefined)
      ctx.addIssue({ code: 'custom', path: ['memorySwap'], message: 'resources.memorySwap needs resources.memory (it is memory + swap)' });
    if (swap !== undefined && mem !== undefined && swap < mem)
      ctx.addIssue({
        code: 'custom',
        path: ['memorySwap'],
        message: 'resources.memorySwap is memory + swap: it must be at least resources.memory',
      });
  });

export type Gpus = 'none' | 'all' | number | string[];
export const GpusSchema = z.custom<Gpus>(
  (v) =>
    v === 'none' ||
    v === 'all' ||
    (Number.isInteger(v) && (v as number) > 0) ||
    (Array.isArray(v) && v.length > 0 && v.every((id) => typeof id === 'string' && id.length > 0)),
  { error: 'gpus must be "none", "all", a count like 2, or a list of device ids like ["0", "GPU-3a2f…"]' },
);

/** Image references and registry addresses end up in a Dockerfile's FROM and in tags: no whitespace, no control characters, no shell. */
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
const REGISTRY_URL = /^[A-Za-z0-9][A-Za-z0-9.-]*(:\d+)?(\/[A-Za-z0-9._-]+)*$/;
const shown = (v: string) => JSON.stringify(v);
const imageRef = (field: string) =>
  z.string().superRefine((v, ctx) => {
    if (v !== '' && !IMAGE_REF.test(v))
      ctx.addIssue({
        code: 'custom',
        message: `${field}: ${shown(v)} is not an image reference like debian:bookworm-slim or registry:5000/team/base:1 (no spaces, newlines or other characters)`,
      });
  });
/** A pip requirement (name, extras, version specifiers, markers) on one line: it is quoted for the shell, but a newline would end the RUN. */
const pipPackage = z.string().superRefine((v, ctx) => {
  // eslint-disable-next-line no-control-regex
  if (!v.trim() || /[\x00-\x1f\x7f]/.test(v))
    ctx.addIssue({
      code: 'custom',
      message: `build.pipPackages: ${shown(v)} is not a pip requirement like numpy==2.1 (one line, no control characters)`,
    });
});

/** How the base image of a configuration is built (dssadmin build-base-image's options). Paths are workspace-relative or absolute. */
export const BuildOptionsSchema = z
  .object({
    from: imageRef('build.from').pipe(z.string().min(1)).optional(),
    python: z.boolean().default(true),
    r: z.boolean().default(false),
    /** debugpy in the image (Debug Recipe): Debian's python3-debugpy when the image lacks it. */
    debugpy: z.boolean().default(false),
    /** ipykernel in the image (notebooks): pip's when the image has pip, else Debian's python3-ipykernel. */
    jupyter: z.boolean().default(false),
    cuda: z
      .object({
        enabled: z.boolean(),
        version: z
          .string()
          .regex(/^\d+\.\d+(\.\d+)?$/, { error: 'build.cuda.version must look like 12.4 or 12.4.1' })
          .default('12.4.1'),
      })
      .strict()
      .optional(),
    systemPackages: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, { error: 'build.systemPackages: use Debian package names' }))
      .default([]),
    pipPackages: z.array(pipPackage).default([]),
    httpProxy: z.string().optional(),
    httpsProxy: z.string().optional(),
    noProxy: z.string().optional(),
    dockerfilePrepend: z.string().optional(),
    dockerfileAppend: z.string().optional(),
    copyToBuildContext: z.array(z.string().min(1)).default([]),
    tag: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/:-]*$/, { error: 'build.tag must be an image reference like my/base:1.0' })
      .optional(),
    dockerfile: z.string().optional(),
  })
  .strict();
export type BuildOptions = z.output<typeof BuildOptionsSchema>;

export { SwarmOptionsSchema, type SwarmOptions } from '../backend/swarm/descriptor';

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** The fields of every back-end kind, composed from their descriptors. */
const BACKEND_FIELDS = Object.assign({}, ...BACKEND_DESCRIPTORS.map((d) => d.schema)) as Intersection<
  (typeof BACKEND_DESCRIPTORS)[number]['schema']
>;

export const ConfigurationSchema = z
  .object({
    name: z.string().regex(CONFIG_NAME, { error: 'name must start with a letter or digit and use letters, digits, _ . - only' }),
    description: z.string().optional(),
    // each back-end kind's fields (`daemon`, `pool`, `swarm`…): its descriptor carries them
    ...BACKEND_FIELDS,
    baseImage: imageRef('baseImage').default(''),
    registry: z
      .object({
        url: z
          .string()
          .min(1, { error: 'registry.url must not be empty (e.g. registry.example.com:5000)' })
          .superRefine((v, ctx) => {
            if (v && !REGISTRY_URL.test(v))
              ctx.addIssue({
                code: 'custom',
                message: `registry.url: ${shown(v)} is not a registry address like registry.example.com:5000 (host[:port][/path], no scheme, spaces or newlines)`,
              });
          }),
        username: z.string().optional(),
      })
      .strict()
      .optional(),
    resources: ResourcesSchema.default({}),
    runtime: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'runtime must be a Docker runtime name like nvidia' })
      .optional(),
    gpus: GpusSchema.default('none'),
    gpuCapabilities: z.array(z.string().min(1)).min(1).default(['gpu']),
    env: z
      .record(z.string(), z.string())
      .superRefine((e, ctx) => {
        for (const k of Object.keys(e))
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
            ctx.addIssue({
              code: 'custom',
              path: [k],
              message: `env: "${k}" is not a variable name (letters, digits, _; not starting with a digit)`,
            });
      })
      .default({}),
    network: z.string().min(1).optional(),
    allowedGroups: z.array(z.string().min(1)).default([]),
    build: BuildOptionsSchema.default({
      python: true,
      r: false,
      debugpy: false,
      jupyter: false,
      systemPackages: [],
      pipPackages: [],
      copyToBuildContext: [],
    }),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const d of BACKEND_DESCRIPTORS)
      for (const f of d.refusals(c as Record<string, unknown>))
        ctx.addIssue({ code: 'custom', path: f.field.split('.'), message: f.message });
  });

export type ConfigurationInput = z.input<typeof ConfigurationSchema>;
export type Configuration = z.output<typeof ConfigurationSchema>;

export interface FieldError {
  /** Dotted path: resources.memory, env.MY_VAR, name. */
  field: string;
  message: string;
}

/** The refusals of kinds that need the entry as written (the parsed one has its defaults filled in). */
function entryRefusals(input: unknown): FieldError[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  return BACKEND_DESCRIPTORS.flatMap((d) => ('entryRefusals' in d ? d.entryRefusals(input as Record<string, unknown>) : []));
}

/** Every problem of one configuration, each on its field. */
export function validateConfiguration(input: unknown): { ok: true; config: Configuration } | { ok: false; errors: FieldError[] } {
  const r = ConfigurationSchema.safeParse(input);
  const refused = entryRefusals(input);
  if (r.success) return refused.length ? { ok: false, errors: refused } : { ok: true, config: r.data };
  return {
    ok: false,
    errors: [
      ...refused,
      ...r.error.issues.map((i) => {
        const field = i.path.join('.') || '(configuration)';
        const message =
          i.code === 'unrecognized_keys'
            ? `${field === '(configuration)' ? '' : `${field}: `}unknown setting ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message.startsWith(field.split('.')[0]!)
              ? i.message
              : `${field}: ${i.message}`;
        return { field, message };
      }),
    ],
  };
}
