// The editor's form model: flat text fields, converted to and from a configuration's settings JSON.
import type { FieldError } from '../src/core/config/configurationSchema';
import type { DaemonChoice } from '../src/shared/configEditorProtocol';

export interface Form {
  name: string;
  description: string;
  /** The target: one daemon (configured, or defined here), or a pool of configured daemons. */
  daemonMode: 'existing' | 'new' | 'pool';
  daemon: string;
  /** The pool's daemon ids. */
  pool: string[];
  newId: string;
  newHost: string;
  newTls: boolean;
  newVerify: boolean;
  certMode: 'folder' | 'files';
  certPath: string;
  ca: string;
  cert: string;
  key: string;
  baseImage: string;
  registryUrl: string;
  registryUser: string;
  registryPassword: string;
  memory: string;
  memoryReservation: string;
  memorySwap: string;
  cpus: string;
  cpuShares: string;
  cpusetCpus: string;
  pidsLimit: string;
  shmSize: string;
  runtime: string;
  gpusMode: 'none' | 'all' | 'count' | 'ids';
  gpuCount: string;
  gpuIds: string;
  gpuCapabilities: string;
  allowedGroups: string;
  env: string;
  network: string;
  debugpy: boolean;
  jupyter: boolean;
  scope: 'user' | 'workspace';
}

export function emptyForm(): Form {
  return {
    name: '',
    description: '',
    daemonMode: 'existing',
    daemon: 'local',
    pool: [],
    newId: '',
    newHost: '',
    newTls: true,
    newVerify: true,
    certMode: 'folder',
    certPath: '',
    ca: '',
    cert: '',
    key: '',
    baseImage: '',
    registryUrl: '',
    registryUser: '',
    registryPassword: '',
    memory: '',
    memoryReservation: '',
    memorySwap: '',
    cpus: '',
    cpuShares: '',
    cpusetCpus: '',
    pidsLimit: '',
    shmSize: '',
    runtime: '',
    gpusMode: 'none',
    gpuCount: '1',
    gpuIds: '',
    gpuCapabilities: 'gpu',
    allowedGroups: '',
    env: '',
    network: '',
    debugpy: false,
    jupyter: false,
    scope: 'user',
  };
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** The form for a settings entry (as written: unknown keys are the schema's to report). */
export function fromConfig(raw: Record<string, unknown> | undefined, scope: Form['scope'], daemons: DaemonChoice[]): Form {
  const f = emptyForm();
  f.scope = scope;
  if (!raw) {
    f.daemon = daemons.some((d) => d.id === 'local') ? 'local' : (daemons[0]?.id ?? '');
    return f;
  }
  const r = (raw.resources ?? {}) as Record<string, unknown>;
  const reg = (raw.registry ?? {}) as Record<string, unknown>;
  const gpus = raw.gpus;
  Object.assign(f, {
    name: str(raw.name),
    description: str(raw.description),
    daemon: str(raw.daemon ?? (daemons.some((d) => d.id === 'local') ? 'local' : (daemons[0]?.id ?? ''))),
    ...(Array.isArray(raw.pool) ? { daemonMode: 'pool', pool: raw.pool.map(str) } : {}),
    baseImage: str(raw.baseImage),
    registryUrl: str(reg.url),
    registryUser: str(reg.username),
    memory: str(r.memory),
    memoryReservation: str(r.memoryReservation),
    memorySwap: str(r.memorySwap),
    cpus: str(r.cpus),
    cpuShares: str(r.cpuShares),
    cpusetCpus: str(r.cpusetCpus),
    pidsLimit: str(r.pidsLimit),
    shmSize: str(r.shmSize),
    runtime: str(raw.runtime),
    gpusMode: gpus === 'all' ? 'all' : typeof gpus === 'number' ? 'count' : Array.isArray(gpus) ? 'ids' : 'none',
    gpuCount: typeof gpus === 'number' ? String(gpus) : '1',
    gpuIds: Array.isArray(gpus) ? gpus.join(',') : '',
    gpuCapabilities: Array.isArray(raw.gpuCapabilities) ? raw.gpuCapabilities.join(',') : 'gpu',
    allowedGroups: Array.isArray(raw.allowedGroups) ? raw.allowedGroups.join(', ') : '',
    env: Object.entries((raw.env ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    network: str(raw.network),
    debugpy: (raw.build as Record<string, unknown> | undefined)?.debugpy === true,
    jupyter: (raw.build as Record<string, unknown> | undefined)?.jupyter === true,
  });
  return f;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
/** A number when the text is one; otherwise the text, so that the schema names the field and the form. */
const num = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text.trim());
const memOrNum = (text: string): string | number => (/^-?\d+$/.test(text.trim()) ? Number(text) : text.trim());

const FIELD_OF: Record<string, keyof Form> = {
  name: 'name',
  description: 'description',
  daemon: 'daemon',
  pool: 'pool',
  baseImage: 'baseImage',
  'registry.url': 'registryUrl',
  'registry.username': 'registryUser',
  'resources.memory': 'memory',
  'resources.memoryReservation': 'memoryReservation',
  'resources.memorySwap': 'memorySwap',
  'resources.cpus': 'cpus',
  'resources.cpuShares': 'cpuShares',
  'resources.cpusetCpus': 'cpusetCpus',
  'resources.pidsLimit': 'pidsLimit',
  'resources.shmSize': 'shmSize',
  runtime: 'runtime',
  gpus: 'gpusMode',
  gpuCapabilities: 'gpuCapabilities',
  env: 'env',
  network: 'network',
  allowedGroups: 'allowedGroups',
  'build.debugpy': 'debugpy',
  'build.jupyter': 'jupyter',
  'daemon.id': 'newId',
  'daemon.host': 'newHost',
  'registry.password': 'registryPassword',
};

/**
 * The settings entry the form describes: only what is set, so the saved JSON is what a person would
 * write by hand. `fieldOf` maps a schema path (resources.memory, env.X) to the form field showing it.
 */
export function toConfig(f: Form): { config: Record<string, unknown>; fieldOf: (path: string) => string; conversion: FieldError[] } {
  const conversion: FieldError[] = [];
  const resources: Record<string, unknown> = {};
  for (const [key, value] of [
    ['memory', f.memory],
    ['memoryReservation', f.memoryReservation],
    ['memorySwap', f.memorySwap],
    ['shmSize', f.shmSize],
  ] as const)
    if (value.trim()) resources[key] = memOrNum(value);
  for (const [key, value] of [
    ['cpus', f.cpus],
    ['cpuShares', f.cpuShares],
    ['pidsLimit', f.pidsLimit],
  ] as const)
    if (value.trim()) resources[key] = num(value);
  if (f.cpusetCpus.trim()) resources.cpusetCpus = f.cpusetCpus.trim();
  const env: Record<string, string> = {};
  for (const line of f.env
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) conversion.push({ field: 'env', message: `env: "${line}" is not KEY=value` });
    else env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  const gpus = f.gpusMode === 'count' ? num(f.gpuCount) : f.gpusMode === 'ids' ? list(f.gpuIds) : f.gpusMode;
  const caps = list(f.gpuCapabilities);
  const config: Record<string, unknown> = {
    name: f.name.trim(),
    ...(f.description.trim() ? { description: f.description.trim() } : {}),
    ...(f.daemonMode === 'pool' ? { pool: f.pool } : { daemon: f.daemonMode === 'new' ? f.newId.trim() : f.daemon }),
    ...(f.baseImage.trim() ? { baseImage: f.baseImage.trim() } : {}),
    ...(f.registryUrl.trim()
      ? { registry: { url: f.registryUrl.trim(), ...(f.registryUser.trim() ? { username: f.registryUser.trim() } : {}) } }
      : {}),
    ...(Object.keys(resources).length ? { resources } : {}),
    ...(f.runtime ? { runtime: f.runtime } : {}),
    ...(gpus !== 'none' ? { gpus } : {}),
    ...(gpus !== 'none' && caps.join(',') !== 'gpu' ? { gpuCapabilities: caps } : {}),
    ...(Object.keys(env).length ? { env } : {}),
    ...(f.network.trim() ? { network: f.network.trim() } : {}),
    ...(list(f.allowedGroups).length ? { allowedGroups: list(f.allowedGroups) } : {}),
    // only the options the form shows: mergeFormIntoEntry keeps the entry's other build keys
    ...(f.debugpy || f.jupyter ? { build: { ...(f.debugpy ? { debugpy: true } : {}), ...(f.jupyter ? { jupyter: true } : {}) } } : {}),
  };
  const fieldOf = (path: string) =>
    FIELD_OF[path] ?? FIELD_OF[path.split('.').slice(0, 2).join('.')] ?? FIELD_OF[path.split('.')[0]!] ?? path;
  return { config, fieldOf, conversion };
}
