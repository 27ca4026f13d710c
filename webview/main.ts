// The execution configuration editor (browser bundle). Built from @vscode-elements/elements web
// components; validates as you type with the same schema the extension host applies on save.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { checkCapacity, hasGpuRuntime } from '../src/core/backend/docker/capacity';
import { validateConfiguration, type FieldError } from '../src/core/config/configurationSchema';
import { parseHost } from '../src/core/daemonDescription';
import {
  daemonKey,
  EMPTY_POOL_MESSAGE,
  poolDaemonsNotFound,
  type DaemonCapacity,
  type DaemonChoice,
  type DaemonRef,
  type FromWebview,
  type InlineDaemon,
  type ToWebview,
} from '../src/shared/configEditorProtocol';
import { emptyForm, fromConfig, toConfig, type Form } from './form';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);
// the raw channel, so the UI test can prove that the host rejects what the form would never send
(window as unknown as { containerExecPostRaw: (m: unknown) => void }).containerExecPostRaw = (m) => vscode.postMessage(m);

let form: Form = emptyForm();
let init: Extract<ToWebview, { type: 'init' }> | undefined;
const infos = new Map<string, { info?: DaemonCapacity; error?: string }>();
let hostErrors: FieldError[] = [];
/** Errors show on fields the user has touched, and everywhere once Save was pressed. */
const touched = new Set<string>();
let attempted = false;
const app = document.getElementById('app')!;

/** A form control; a multi-select's value is the list of its chosen values. */
type Control = HTMLElement & { value: string | string[]; checked?: boolean; invalid?: boolean };
const controls = new Map<keyof Form, Control>();

function el<K extends keyof HTMLElementTagNameMap | string>(
  tag: K,
  attrs: Record<string, string | boolean> = {},
  ...children: (Node | string)[]
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== false) e.setAttribute(k, v === true ? '' : v);
  e.append(...children);
  return e;
}

/** A labelled row: the control, a hint, and the place for its error (id err-<field>). */
function row(label: string, key: keyof Form, control: Control, hint?: string): HTMLElement {
  control.id = `f-${key}`;
  controls.set(key, control);
  const onChange = () => {
    (form as unknown as Record<string, unknown>)[key] =
      control.checked !== undefined && control.tagName === 'VSCODE-CHECKBOX' ? control.checked : control.value;
    changed(key);
  };
  control.addEventListener('input', onChange);
  control.addEventListener('change', onChange);
  return el(
    'div',
    { class: 'row', id: `row-${key}` },
    el('label', { for: control.id }, label),
    el(
      'div',
      {},
      control,
      ...(hint ? [el('div', { class: 'hint' }, hint)] : []),
      el('div', { class: 'error', id: `err-${key}` }),
      el('div', { class: 'warning', id: `warn-${key}` }),
    ),
  );
}

const text = (placeholder = '') => el('vscode-textfield', { placeholder }) as Control;
const checkbox = (label: string) => el('vscode-checkbox', { label }) as Control;
function select(options: [string, string][]): Control {
  const s = el('vscode-single-select') as Control;
  setOptions(s, options);
  return s;
}
function setOptions(s: Control, options: [string, string][]): void {
  const signature = JSON.stringify(options);
  if (s.dataset.options === signature) return; // replacing the options closes an open dropdown
  s.dataset.options = signature;
  const keep = s.value;
  s.replaceChildren(...options.map(([value, label]) => el('vscode-option', { value }, label)));
  if (options.some(([v]) => v === keep)) s.value = keep;
}
function multiSelect(options: [string, string][]): Control {
  const s = el('vscode-multi-select') as Control;
  s.replaceChildren(...options.map(([value, label]) => el('vscode-option', { value }, label)));
  return s;
}
function button(label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = el(
    'vscode-button',
    { id: `${label.toLowerCase().replace(/\W+/g, '-')}-button`, ...(secondary ? { secondary: true } : {}) },
    label,
  );
  b.addEventListener('click', onClick);
  return b;
}

/** The daemon the form points at, as the host understands it. */
function daemonRef(): DaemonRef | undefined {
  if (form.daemonMode === 'existing') return form.daemon ? { id: form.daemon } : undefined;
  const inline = inlineDaemon();
  return inline && { inline };
}
function inlineDaemon(): InlineDaemon | undefined {
  if (form.daemonMode !== 'new' || !form.newHost) return undefined;
  const files = form.certMode === 'files';
  const tls = form.newTls
    ? {
        enabled: true,
        verify: form.newVerify,
        ...(files
          ? { ca: form.ca || undefined, cert: form.cert || undefined, key: form.key || undefined }
          : { certPath: form.certPath || undefined }),
      }
    : undefined;
  return {
    id: form.newId || 'new-daemon',
    host: form.newHost.trim(),
    ...(tls ? { tls: JSON.parse(JSON.stringify(tls)) as InlineDaemon['tls'] } : {}),
  };
}

let infoTimer: ReturnType<typeof setTimeout> | undefined;
function requestInfo(): void {
  clearTimeout(infoTimer);
  infoTimer = setTimeout(
    () => {
      const ref = daemonRef();
      if (ref && !infos.has(daemonKey(ref))) {
        infos.set(daemonKey(ref), {});
        post({ type: 'daemonInfo', daemon: ref });
      }
      render();
    },
    form.daemonMode === 'new' ? 500 : 0,
  );
}

function changed(key: keyof Form): void {
  hostErrors = [];
  touched.add(key);
  if (['daemon', 'daemonMode', 'newHost', 'newTls', 'newVerify', 'certMode', 'certPath', 'ca', 'cert', 'key'].includes(key)) requestInfo();
  render();
}

/** Errors and warnings per form field: schema, uniqueness, inline daemon host, capacity of the daemon. */
function problems(): { errors: Map<string, string>; warnings: Map<string, string> } {
  const errors = new Map<string, string>();
  const warnings = new Map<string, string>();
  const { config, fieldOf, conversion } = toConfig(form);
  for (const e of conversion) errors.set(e.field, e.message);
  const r = validateConfiguration(config);
  if (!r.ok) for (const e of r.errors) if (!errors.has(fieldOf(e.field))) errors.set(fieldOf(e.field), e.message);
  if (init?.takenNames.includes(form.name)) errors.set('name', `name: a configuration "${form.name}" exists already`);
  if (form.daemonMode === 'new') {
    if (!form.newId) errors.set('newId', 'daemon id: give the new daemon an id');
    else if (init?.daemons.some((d) => d.id === form.newId))
      errors.set('newId', `daemon id "${form.newId}" exists already: pick it above instead`);
    try {
      parseHost(form.newHost.trim());
    } catch (e) {
      errors.set('newHost', (e as Error).message);
    }
  } else if (form.daemonMode === 'pool') {
    const known = init?.daemons;
    const unknown = known && poolDaemonsNotFound(form.pool, (id) => known.some((d) => d.id === id));
    if (!form.pool.length) errors.set('pool', EMPTY_POOL_MESSAGE);
    else if (unknown) errors.set('pool', unknown);
  } else if (!form.daemon) errors.set('daemon', 'daemon: pick a daemon, or define a new one');
  else if (init && !init.daemons.some((d) => d.id === form.daemon)) errors.set('daemon', `daemon not found: "${form.daemon}"`);
  const ref = daemonRef();
  const info = ref ? infos.get(daemonKey(ref)) : undefined;
  if (r.ok && info?.info) {
    const cap = checkCapacity(r.config, info.info);
    for (const e of cap.errors) if (!errors.has(fieldOf(e.field))) errors.set(fieldOf(e.field), e.message);
    for (const w of cap.warnings) warnings.set(fieldOf(w.field), w.message);
  }
  if (info?.info && !hasGpuRuntime(info.info))
    warnings.set('runtime', `This daemon has no GPU-capable runtime (${info.info.runtimes.join(', ')}).`);
  if (info?.error) warnings.set(form.daemonMode === 'new' ? 'newHost' : 'daemon', `Cannot read the daemon's capacity: ${info.error}`);
  for (const e of hostErrors) errors.set(fieldOf(e.field), e.message);
  return { errors, warnings };
}

/** Shows values, visibility, options and messages from `form`; cheap enough for every keystroke. */
function render(): void {
  if (!init) return;
  for (const [key, c] of controls) {
    const v = form[key];
    if (typeof v === 'boolean') {
      if (c.checked !== v) c.checked = v;
    } else if (Array.isArray(v)) {
      if (JSON.stringify(c.value) !== JSON.stringify(v)) c.value = v;
    } else if (c.value !== v) c.value = v;
  }
  const show = (key: string, visible: boolean) => ((document.getElementById(`row-${key}`) as HTMLElement).hidden = !visible);
  const newDaemon = form.daemonMode === 'new';
  show('daemon', form.daemonMode === 'existing');
  show('pool', form.daemonMode === 'pool');
  for (const k of ['newId', 'newHost', 'newTls']) show(k, newDaemon);
  show('newVerify', newDaemon && form.newTls);
  show('certMode', newDaemon && form.newTls);
  show('certPath', newDaemon && form.newTls && form.certMode === 'folder');
  for (const k of ['ca', 'cert', 'key']) show(k, newDaemon && form.newTls && form.certMode === 'files');
  show('gpuCount', form.gpusMode === 'count');
  show('gpuIds', form.gpusMode === 'ids');
  show('gpuCapabilities', form.gpusMode !== 'none');
  const ref = daemonRef();
  const info = ref ? infos.get(daemonKey(ref)) : undefined;
  const runtimes = info?.info?.runtimes ?? [];
  setOptions(controls.get('runtime')!, [
    [
      '',
      info?.info
        ? `default (${info.info.defaultRuntime ?? 'runc'})`
        : info?.error
          ? 'default (daemon unreachable)'
          : 'default (reading the daemon…)',
    ],
    ...runtimes.map((r): [string, string] => [r, /nvidia|gpu/i.test(r) ? `${r} (GPU)` : r]),
    ...(form.runtime && !runtimes.includes(form.runtime) ? [[form.runtime, form.runtime] as [string, string]] : []),
  ]);
  controls.get('runtime')!.value = form.runtime;
  document.getElementById('capacity')!.textContent = info?.info
    ? `Daemon capacity: ${info.info.cpus} CPUs, ${(info.info.memTotalBytes / 1024 ** 3).toFixed(1)} GiB memory, runtimes ${info.info.runtimes.join(', ')}`
    : '';
  const { errors, warnings } = problems();
  for (const key of controls.keys()) {
    const err = attempted || touched.has(key) || hostErrors.length ? (errors.get(key) ?? '') : '';
    document.getElementById(`err-${key}`)!.textContent = err;
    document.getElementById(`warn-${key}`)!.textContent = err ? '' : (warnings.get(key) ?? '');
    controls.get(key)!.invalid = !!err;
  }
  const general = [...errors.entries()].filter(([k]) => !controls.has(k as keyof Form)).map(([, m]) => m);
  const banner = document.getElementById('banner')!;
  if (general.length) {
    banner.textContent = general.join(' · ');
    banner.hidden = false;
  } else if (!banner.dataset.rejected) banner.hidden = true;
  const locked =
    form.allowedGroups.trim() &&
    !form.allowedGroups
      .split(',')
      .map((g) => g.trim())
      .some((g) => init!.groups.includes(g));
  document.getElementById('warn-allowedGroups')!.textContent = locked
    ? `You are not in these groups (yours: ${init.groups.join(', ')}): the configuration will be locked for you.`
    : '';
}

/** build.debugpy, the one build option the form edits (the others stay as stored). */
const debugpyRow = () =>
  row(
    'Debugging',
    'debugpy',
    checkbox('Add debugpy to the base image (build.debugpy)'),
    "Debug Recipe needs it: the built image's Dockerfile installs Debian's python3-debugpy when the image lacks it",
  );

/** Where runs go: one daemon (configured, or defined here: the rows after these), or a pool of configured daemons. */
function targetRows(daemons: [string, string][]): HTMLElement[] {
  return [
    row(
      'Daemon',
      'daemonMode',
      select([
        ['existing', 'A configured or discovered daemon'],
        ['new', 'A new daemon, defined here'],
        ['pool', 'A pool of daemons (each run on the least-loaded one)'],
      ]),
    ),
    row('Use', 'daemon', select(daemons)),
    row(
      'Pool',
      'pool',
      multiSelect(daemons),
      'Each run is placed on the daemon with the most free CPUs and memory that can take it; budgets: containerExec.budgets',
    ),
  ];
}

function build(): void {
  const scope = scopeRadios();
  app.replaceChildren(
    el('h1', {}, init!.originalName ? `Execution configuration: ${init!.originalName}` : 'New execution configuration'),
    el('p', { class: 'lead' }, 'A named container profile: daemon, image, resource limits, GPU runtime, registry and who may use it.'),
    el('div', { class: 'banner', id: 'banner', hidden: true, role: 'alert' }),
    ...generalSection(),
    ...daemonSection(),
    ...imageSection(),
    ...resourcesSection(),
    ...gpuSection(),
    ...permissionsSection(),
    ...environmentSection(),
    ...saveToSection(scope),
  );
  (scope.querySelector(`vscode-radio[value="${form.scope}"]`) as HTMLElement & { checked: boolean }).checked = true;
}

/** Where the configuration is saved: workspace settings only with a folder open. */
function scopeRadios(): HTMLElement {
  const scope = el(
    'vscode-radio-group',
    { id: 'f-scope' },
    el('vscode-radio', { label: 'User settings', name: 'scope', value: 'user' }),
    el('vscode-radio', { label: 'Workspace settings', name: 'scope', value: 'workspace', disabled: !init!.hasWorkspace }),
  );
  scope.addEventListener('change', (e) => {
    form.scope = ((e.target as HTMLInputElement).value as Form['scope']) || form.scope;
    render();
  });
  return scope;
}

/** Its name and description. */
function generalSection(): HTMLElement[] {
  return [
    el('h2', {}, 'General'),
    row('Name', 'name', text('gpu-large')),
    row('Description', 'description', text('What this configuration is for')),
  ];
}

/** Where it runs: a configured daemon, a new one defined here (host, TLS), or a pool; and a connection test. */
function daemonSection(): HTMLElement[] {
  const daemonOptions = (ds: DaemonChoice[]): [string, string][] => ds.map((d) => [d.id, `${d.label} — ${d.host}`]);
  const connection = el('div', { class: 'result', id: 'connection-result' });
  const browse = (field: 'certPath' | 'ca' | 'cert' | 'key') => button('Browse…', () => post({ type: 'pickPath', field }), true);
  const rowWith = (label: string, key: keyof Form, c: Control, extra: HTMLElement, hint?: string) => {
    const r = row(label, key, c, hint);
    const wrap = el('div', { class: 'inline' });
    c.before(wrap);
    wrap.append(c, extra);
    return r;
  };
  return [
    el('h2', {}, 'Daemon'),
    ...targetRows(daemonOptions(init!.daemons)),
    row('New daemon id', 'newId', text('build-box')),
    row(
      'Host',
      'newHost',
      text('tcp://build-box:2376 or ssh://me@gpu-box'),
      'As DOCKER_HOST: unix://, tcp://HOST:PORT or ssh://[USER@]HOST',
    ),
    row('TLS', 'newTls', checkbox('Enable TLS')),
    row('Verify', 'newVerify', checkbox('Verify the daemon certificate')),
    row(
      'Certificates',
      'certMode',
      select([
        ['folder', 'A certificate folder (ca.pem, cert.pem, key.pem)'],
        ['files', 'Individual files'],
      ]),
    ),
    rowWith('Certificate folder', 'certPath', text('~/.docker'), browse('certPath'), 'Default ~/.docker, as DOCKER_CERT_PATH'),
    rowWith('CA (ca.pem)', 'ca', text(), browse('ca')),
    rowWith('Certificate (cert.pem)', 'cert', text(), browse('cert')),
    rowWith('Key (key.pem)', 'key', text(), browse('key')),
    el(
      'div',
      { class: 'row' },
      el('span'),
      el(
        'div',
        {},
        button(
          'Test Connection',
          () => {
            const ref = daemonRef();
            connection.className = 'result';
            connection.textContent = ref ? 'Connecting…' : 'Pick or define a daemon first.';
            if (ref) post({ type: 'testConnection', daemon: ref });
          },
          true,
        ),
        connection,
        el('div', { class: 'hint', id: 'capacity' }),
      ),
    ),
  ];
}

/** The image, debugpy, the registry (its password in secret storage) and a login test. */
function imageSection(): HTMLElement[] {
  const registry = el('div', { class: 'result', id: 'registry-result' });
  return [
    el('h2', {}, 'Image and registry'),
    row('Base image', 'baseImage', text('empty = the base image Container Exec builds')),
    debugpyRow(),
    row(
      'Notebooks',
      'jupyter',
      checkbox('Add Jupyter kernel support (build.jupyter)'),
      "Notebook kernels need ipykernel: installed with pip, else Debian's python3-ipykernel",
    ),
    row('Registry URL', 'registryUrl', text('registry.example.com:5000'), 'Optional: images are pushed there and pulled by remote daemons'),
    row('Username', 'registryUser', text()),
    row(
      'Password',
      'registryPassword',
      el('vscode-textfield', {
        type: 'password',
        placeholder: init!.hasPassword ? '(stored in VS Code secret storage; type to replace)' : '',
      }) as Control,
      "Kept in VS Code's secret storage, never in settings",
    ),
    el(
      'div',
      { class: 'row' },
      el('span'),
      el(
        'div',
        {},
        button(
          'Test Registry Login',
          () => {
            const ref = daemonRef();
            registry.className = 'result';
            registry.textContent = 'Logging in…';
            if (ref)
              post({
                type: 'testRegistry',
                daemon: ref,
                url: form.registryUrl,
                username: form.registryUser,
                password: form.registryPassword,
              });
          },
          true,
        ),
        registry,
      ),
    ),
  ];
}

/** Docker's limits, in docker run's units. */
function resourcesSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Resources'),
    el(
      'p',
      { class: 'lead' },
      'Docker limits, with the units of docker run: memory 512m, 2g, 1.5GiB; CPUs 1.5. Checked against the daemon.',
    ),
    row('Memory', 'memory', text('2g')),
    row('Memory reservation', 'memoryReservation', text('1g')),
    row('Memory + swap', 'memorySwap', text('4g, or -1 for unlimited')),
    row('CPUs', 'cpus', text('1.5')),
    row('CPU shares', 'cpuShares', text('1024')),
    row('CPU set', 'cpusetCpus', text('0-3')),
    row('Max processes', 'pidsLimit', text('100')),
    row('Shared memory', 'shmSize', text('64m')),
  ];
}

/** The runtime and which GPUs. */
function gpuSection(): HTMLElement[] {
  return [
    el('h2', {}, 'GPU'),
    row('Runtime', 'runtime', select([['', 'default']])),
    row(
      'GPUs',
      'gpusMode',
      select([
        ['none', 'None'],
        ['all', 'All'],
        ['count', 'A number of GPUs'],
        ['ids', 'Device ids'],
      ]),
    ),
    row('Count', 'gpuCount', text('1')),
    row('Device ids', 'gpuIds', text('0,1 or GPU-3a2f…')),
    row('Capabilities', 'gpuCapabilities', text('gpu'), 'Comma-separated, e.g. gpu,utility,compute'),
  ];
}

/** Who may use it (OS groups). */
function permissionsSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Permissions'),
    row(
      'Allowed groups',
      'allowedGroups',
      text('empty = everyone'),
      `Comma-separated OS groups (id -Gn). Yours: ${init!.groups.join(', ') || 'unknown'}`,
    ),
  ];
}

/** The container's variables and network. */
function environmentSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Environment'),
    row('Variables', 'env', el('vscode-textarea', { rows: '4', placeholder: 'KEY=value, one per line' }) as Control),
    row('Network', 'network', text('bridge')),
  ];
}

/** The scope and the form's actions. */
function saveToSection(scope: HTMLElement): HTMLElement[] {
  return [
    el('h2', {}, 'Save to'),
    el('div', { class: 'row' }, el('label', { for: 'f-scope' }, 'Settings'), scope),
    el(
      'div',
      { class: 'actions' },
      button('Save', save),
      button('Cancel', () => post({ type: 'cancel' }), true),
    ),
  ];
}

function save(): void {
  attempted = true;
  const { errors } = problems();
  if (errors.size) {
    render();
    document.getElementById(`f-${[...errors.keys()][0]}`)?.focus();
    return;
  }
  const { config } = toConfig(form);
  post({
    type: 'save',
    config,
    scope: form.scope,
    ...(form.daemonMode === 'new' ? { inlineDaemon: inlineDaemon()! } : {}),
    ...(form.registryPassword ? { registryPassword: form.registryPassword } : {}),
  });
}

/** An action that could not be carried out, shown where that action shows its result. */
function showFailure(m: Extract<ToWebview, { type: 'failed' }>): void {
  if (!init) {
    // the form never loaded: the reason replaces "Loading…"
    document.getElementById('app')!.textContent = m.text;
    return;
  }
  if (m.action === 'daemonInfo' && m.key) infos.set(m.key, { error: m.text });
  else if (m.action === 'testConnection' || m.action === 'testRegistry') {
    const out = document.getElementById(m.action === 'testConnection' ? 'connection-result' : 'registry-result')!;
    out.className = 'result bad';
    out.textContent = m.text;
    return;
  } else hostErrors = [{ field: '(configuration)', message: m.text }]; // in the banner until the next change
  render();
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'init':
      init = m;
      form = fromConfig(m.config, m.scope, m.daemons);
      build();
      requestInfo();
      render();
      break;
    case 'daemonInfo':
      infos.set(m.key, { info: m.info });
      render();
      break;
    case 'pickedPath':
      form[m.field] = m.path;
      changed(m.field);
      break;
    case 'connectionResult':
    case 'registryResult': {
      const out = document.getElementById(m.type === 'connectionResult' ? 'connection-result' : 'registry-result')!;
      out.className = 'result ok'; // a failure comes as `failed`
      out.textContent = m.text;
      if (m.type === 'connectionResult') requestInfo();
      break;
    }
    case 'saveResult':
      hostErrors = m.errors;
      render();
      break;
    case 'failed':
      showFailure(m);
      break;
    case 'rejected': {
      const banner = document.getElementById('banner')!;
      banner.textContent = m.text;
      banner.dataset.rejected = '1';
      banner.hidden = false;
      break;
    }
  }
});

post({ type: 'ready' });
