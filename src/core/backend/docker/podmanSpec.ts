// Podman hands GPUs out through CDI device names (`nvidia.com/gpu=0`). Its 4.x Docker-compatible create
// cannot carry them (a HostConfig.Devices entry becomes `name:path:perms`, which is neither a valid CDI
// name nor a file; DeviceRequests with Driver "cdi" arrive in Podman 5.5), but its own API's create
// (SpecGenerator `devices: [{ path }]`) does. A run that needs CDI devices on Podman is created there, from
// the same compat body every other run is created with; attach, start, wait and archives stay compat.
import type { Configuration, FieldError } from '../../config/configurationSchema';

/** The CDI kind the configuration's `gpus` name devices of: `all` and each id become `nvidia.com/gpu=<id>`. */
export const CDI_GPU_KIND = 'nvidia.com/gpu';

/** A CDI device name (the part after `=`): letters, digits, `_ - . :`, starting and ending with a letter or digit. */
const CDI_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/** The CDI devices a configuration's `gpus` asks for; a count has no CDI form (refused before, see podmanRefusals). */
export function cdiDevices(c: Pick<Configuration, 'gpus'>): string[] {
  if (c.gpus === 'none' || typeof c.gpus === 'number') return [];
  return (c.gpus === 'all' ? ['all'] : c.gpus).map((id) => `${CDI_GPU_KIND}=${id}`);
}

/**
 * The GPU fields a daemon that takes CDI devices only cannot honour as written (`where`: which daemon, and
 * why), each naming the field and what to write instead.
 */
export function cdiRefusals(c: Configuration, where: string): FieldError[] {
  if (c.gpus === 'none') return [];
  const errors: FieldError[] = [];
  const refuse = (field: string, message: string) => errors.push({ field, message: `configuration ${c.name}: ${message}, but ${where}` });
  if (typeof c.gpus === 'number')
    refuse(
      'gpus',
      `gpus: ${c.gpus} is a count, which has no CDI form: list the device ids (e.g. gpus: ["0", "1"], asked for as ${CDI_GPU_KIND}=0 and ${CDI_GPU_KIND}=1) or use gpus: "all"`,
    );
  const bad = Array.isArray(c.gpus) ? c.gpus.filter((id) => !CDI_NAME.test(id)) : [];
  if (bad.length)
    refuse(
      'gpus',
      `gpus ${bad.map((id) => JSON.stringify(id)).join(', ')} cannot be a CDI device name (letters, digits, _ - . : inside, a letter or digit at each end): use the device names of ${CDI_GPU_KIND} in the daemon's CDI spec`,
    );
  if (c.gpuCapabilities.join() !== 'gpu')
    refuse(
      'gpuCapabilities',
      `gpuCapabilities ${c.gpuCapabilities.join(', ')} cannot be asked for: a CDI device gets what its spec gives. Remove gpuCapabilities`,
    );
  const advanced = Object.keys(c.resources.advanced ?? {});
  if (advanced.length)
    refuse(
      'resources.advanced',
      `resources.advanced (${advanced.join(', ')}) cannot go with GPUs: a run with CDI devices is created through Podman's own API, which takes the common limits only. Remove them or the GPUs`,
    );
  return errors;
}

/** The HostConfig keys toHostConfig may send that the SpecGenerator below carries (plus LogConfig). */
export const PODMAN_SPEC_HOST_KEYS = [
  'Memory',
  'MemoryReservation',
  'MemorySwap',
  'NanoCpus',
  'CpuShares',
  'CpusetCpus',
  'PidsLimit',
  'ShmSize',
  'Ulimits',
  'NetworkMode',
  'LogConfig',
];

/** The compat create body the back-end builds (the keys it sets). */
export interface CompatCreateBody {
  name: string;
  Image: string;
  Cmd?: string[];
  WorkingDir?: string;
  Env?: string[];
  Labels?: Record<string, string>;
  HostConfig: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The libpod SpecGenerator (POST /libpod/containers/create) equivalent to a compat create body, as Podman's
 * own compat handler translates it (4.3: NanoCpus → CPU period 100000 and a quota, Ulimits → r_limits by
 * name), plus `devices`. Throws naming a HostConfig key it has no translation for.
 */
export function podmanSpec(body: CompatCreateBody, devices: string[]): Record<string, unknown> {
  const h = body.HostConfig;
  const unknown = Object.keys(h).filter((k) => !PODMAN_SPEC_HOST_KEYS.includes(k));
  if (unknown.length) throw new Error(`HostConfig ${unknown.join(', ')} cannot be sent with CDI devices through Podman's own API`);
  const num = (k: string) => (typeof h[k] === 'number' ? (h[k] as number) : undefined);
  const nanoCpus = num('NanoCpus');
  const memory = pick({ limit: num('Memory'), reservation: num('MemoryReservation'), swap: num('MemorySwap') });
  const cpu = pick({
    shares: num('CpuShares'),
    cpus: h.CpusetCpus as string | undefined,
    ...(nanoCpus ? { period: 100_000, quota: Math.round(nanoCpus / 10_000) } : {}),
  });
  const pids = num('PidsLimit') === undefined ? undefined : { limit: num('PidsLimit') };
  const ulimits = (h.Ulimits as { Name: string; Soft: number; Hard: number }[] | undefined) ?? [];
  const log = (h.LogConfig as { Type?: string } | undefined)?.Type;
  return pick({
    name: body.name as string,
    image: body.Image,
    command: body.Cmd,
    work_dir: body.WorkingDir,
    create_working_dir: true, // as the compat create does (moby always creates it)
    env: body.Env && Object.fromEntries(body.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    labels: body.Labels,
    devices: devices.map((path) => ({ path })),
    resource_limits: pick({ memory, cpu, pids }),
    r_limits: ulimits.length ? ulimits.map((u) => ({ type: u.Name, soft: u.Soft, hard: u.Hard })) : undefined,
    shm_size: num('ShmSize'),
    log_configuration: log ? { driver: log } : undefined,
    ...network(h.NetworkMode as string | undefined),
  })!;
}

/** NetworkMode as libpod's netns (and the named network to join). */
function network(mode: string | undefined): Record<string, unknown> {
  if (!mode || mode === 'default' || mode === 'bridge') return {};
  if (mode === 'host' || mode === 'none') return { netns: { nsmode: mode } };
  if (mode.startsWith('container:')) return { netns: { nsmode: 'container', value: mode.slice('container:'.length) } };
  return { netns: { nsmode: 'bridge' }, Networks: { [mode]: {} } };
}

/** The object without its undefined values; undefined when nothing is left. */
function pick<T extends Record<string, unknown>>(o: T): T | undefined {
  const kept = Object.entries(o).filter(([, v]) => v !== undefined);
  return kept.length ? (Object.fromEntries(kept) as T) : undefined;
}
