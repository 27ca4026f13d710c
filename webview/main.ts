// The execution configuration editor (browser bundle). Built from @vscode-elements/elements web
// components; validates as you type with the same schema the extension host applies on save.
// Each section of the form is one module in sections/; this one composes them, validates and renders.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { checkCapacity, hasGpuRuntime, podmanRefusals } from '../src/core/backend/docker/capacity';
import { cdiDevices } from '../src/core/backend/docker/podmanSpec';
import { validateConfiguration } from '../src/core/config/configurationSchema';
import { daemonKey, type DaemonCapacity, type ToWebview } from '../src/shared/configEditorProtocol';
import { el, setOptions } from './dom';
import { fromConfig, toConfig, type Form } from './form';
import { daemonSection } from './sections/daemon';
import { environmentSection } from './sections/environment';
import { generalSection } from './sections/general';
import { gpuSection } from './sections/gpu';
import { imageSection } from './sections/image';
import { permissionsSection } from './sections/permissions';
import { registryRows } from './sections/registry';
import { targetProblems } from './sections/placement';
import { resourcesSection } from './sections/resources';
import { saveToSection } from './sections/saveTo';
import { daemonRef, inlineDaemon, post, state } from './state';

const app = document.getElementById('app')!;
const { infos, touched, controls } = state;

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
    state.form.daemonMode === 'new' ? 500 : 0,
  );
}

function changed(key: keyof Form): void {
  state.hostErrors = [];
  touched.add(key);
  if (['daemon', 'daemonMode', 'newHost', 'newTls', 'newVerify', 'certMode', 'certPath', 'ca', 'cert', 'key'].includes(key)) requestInfo();
  render();
}

/** Errors and warnings per form field: schema, uniqueness, the target (placement section), capacity of the daemon. */
function problems(): { errors: Map<string, string>; warnings: Map<string, string> } {
  const errors = new Map<string, string>();
  const warnings = new Map<string, string>();
  const { config, fieldOf, conversion } = toConfig(state.form);
  for (const e of conversion) errors.set(e.field, e.message);
  const r = validateConfiguration(config);
  if (!r.ok) for (const e of r.errors) if (!errors.has(fieldOf(e.field))) errors.set(fieldOf(e.field), e.message);
  if (state.init?.takenNames.includes(state.form.name)) errors.set('name', `name: a configuration "${state.form.name}" exists already`);
  targetProblems(errors);
  const ref = daemonRef();
  const info = ref ? infos.get(daemonKey(ref)) : undefined;
  const podman = podmanOf(info?.info);
  if (r.ok && info?.info) {
    const cap = checkCapacity(r.config, info.info);
    if (podman) {
      // as the run's probe: what Podman cannot carry replaces the runtime and GPU-runtime checks
      const refused = podmanRefusals(r.config, podman, r.config.daemon);
      cap.errors = [...refused, ...cap.errors.filter((e) => !refused.some((x) => x.field === e.field))];
      cap.warnings = cap.warnings.filter((w) => w.field !== 'gpus');
    }
    for (const e of cap.errors) if (!errors.has(fieldOf(e.field))) errors.set(fieldOf(e.field), e.message);
    for (const w of cap.warnings) warnings.set(fieldOf(w.field), w.message);
  }
  if (info?.info && !podman && !hasGpuRuntime(info.info))
    warnings.set('runtime', `This daemon has no GPU-capable runtime (${info.info.runtimes.join(', ')}).`);
  if (info?.error) warnings.set(state.form.daemonMode === 'new' ? 'newHost' : 'daemon', `Cannot read the daemon's capacity: ${info.error}`);
  for (const e of state.hostErrors) errors.set(fieldOf(e.field), e.message);
  return { errors, warnings };
}

/** The engine's label when the daemon is Podman (GPUs are CDI devices there, runtimes refused). */
const podmanOf = (info: DaemonCapacity | undefined) => (info?.engine?.name === 'Podman' ? info.engine.label : undefined);

/** Shows values, visibility, options and messages from `form`; cheap enough for every keystroke. */
function render(): void {
  if (!state.init) return;
  showValues();
  showRows();
  const ref = daemonRef();
  const info = ref ? infos.get(daemonKey(ref)) : undefined;
  const podman = podmanOf(info?.info);
  showRuntimes(info);
  showCdi(podman);
  document.getElementById('capacity')!.textContent = info?.info
    ? `Daemon capacity: ${info.info.cpus} CPUs, ${(info.info.memTotalBytes / 1024 ** 3).toFixed(1)} GiB memory, ${podman ? `${podman}: GPUs as CDI devices` : `runtimes ${info.info.runtimes.join(', ')}`}`
    : '';
  showMessages();
}

/** Each control shows its form field's value (set only when it differs: setting closes an open dropdown). */
function showValues(): void {
  for (const [key, c] of controls) {
    const v = state.form[key];
    if (typeof v === 'boolean') {
      if (c.checked !== v) c.checked = v;
    } else if (Array.isArray(v)) {
      if (JSON.stringify(c.value) !== JSON.stringify(v)) c.value = v;
    } else if (c.value !== v) c.value = v;
  }
}

/** The rows the current choices need: the target's, the new daemon's TLS, the GPUs'. */
function showRows(): void {
  const { form } = state;
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
}

/** The runtime dropdown: the daemon's runtimes (GPU ones marked), and the stored one even if the daemon lacks it. */
function showRuntimes(info: { info?: DaemonCapacity; error?: string } | undefined): void {
  const podman = podmanOf(info?.info);
  // Podman lists runtimes it ignores through this API (kata, runsc… installed or not): none is offered there
  const runtimes = podman ? [] : (info?.info?.runtimes ?? []);
  const runtime = state.form.runtime;
  setOptions(controls.get('runtime')!, [
    [
      '',
      podman
        ? `default (${podman} takes no runtime: GPUs are CDI devices)`
        : info?.info
          ? `default (${info.info.defaultRuntime ?? 'runc'})`
          : info?.error
            ? 'default (daemon unreachable)'
            : 'default (reading the daemon…)',
    ],
    ...runtimes.map((r): [string, string] => [r, /nvidia|gpu/i.test(r) ? `${r} (GPU)` : r]),
    ...(runtime && !runtimes.includes(runtime) ? [[runtime, runtime] as [string, string]] : []),
  ]);
  controls.get('runtime')!.value = runtime;
}

/**
 * On Podman the GPU choices are CDI devices: "All" is nvidia.com/gpu=all, ids are nvidia.com/gpu=<id>, and a
 * count (no CDI form) is offered only while the form holds one (then refused, saying what to write).
 */
function showCdi(podman: string | undefined): void {
  const { form } = state;
  setOptions(controls.get('gpusMode')!, [
    ['none', 'None'],
    ['all', podman ? 'All (CDI nvidia.com/gpu=all)' : 'All'],
    ...(!podman || form.gpusMode === 'count' ? [['count', 'A number of GPUs'] as [string, string]] : []),
    ['ids', podman ? 'Device ids (CDI nvidia.com/gpu=<id>)' : 'Device ids'],
  ]);
  const modes = controls.get('gpusMode')!;
  if (modes.value !== form.gpusMode) modes.value = form.gpusMode; // setting closes an open dropdown
  const { config } = toConfig(form);
  const gpus = config.gpus as Parameters<typeof cdiDevices>[0]['gpus'] | undefined;
  const devices = podman && gpus && gpus !== 'none' && typeof gpus !== 'number' ? cdiDevices({ gpus }) : [];
  (document.getElementById('row-cdi') as HTMLElement).hidden = !devices.length;
  document.getElementById('cdi-devices')!.textContent = devices.length ? `${devices.join(', ')} (the run asks ${podman} for these)` : '';
  (document.getElementById('row-runtime') as HTMLElement).hidden = Boolean(podman && !form.runtime);
}

/** Errors and warnings under their fields (errors once touched or tried), the others in the banner, the groups lock. */
function showMessages(): void {
  const { errors, warnings } = problems();
  for (const key of controls.keys()) {
    const err = state.attempted || touched.has(key) || state.hostErrors.length ? (errors.get(key) ?? '') : '';
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
  const groups = state.init!.groups;
  const locked =
    state.form.allowedGroups.trim() &&
    !state.form.allowedGroups
      .split(',')
      .map((g) => g.trim())
      .some((g) => groups.includes(g));
  document.getElementById('warn-allowedGroups')!.textContent = locked
    ? `You are not in these groups (yours: ${groups.join(', ')}): the configuration will be locked for you.`
    : '';
}

/** The form: its sections, in order. */
function build(): void {
  app.replaceChildren(
    el('h1', {}, state.init!.originalName ? `Execution configuration: ${state.init!.originalName}` : 'New execution configuration'),
    el('p', { class: 'lead' }, 'A named container profile: daemon, image, resource limits, GPU runtime, registry and who may use it.'),
    el('div', { class: 'banner', id: 'banner', hidden: true, role: 'alert' }),
    ...generalSection(),
    ...daemonSection(),
    ...imageSection(),
    ...registryRows(),
    ...resourcesSection(),
    ...gpuSection(),
    ...permissionsSection(),
    ...environmentSection(),
    ...saveToSection(save),
  );
  (app.querySelector(`#f-scope vscode-radio[value="${state.form.scope}"]`) as HTMLElement & { checked: boolean }).checked = true;
}

function save(): void {
  state.attempted = true;
  const { errors } = problems();
  if (errors.size) {
    render();
    document.getElementById(`f-${[...errors.keys()][0]}`)?.focus();
    return;
  }
  const { config } = toConfig(state.form);
  post({
    type: 'save',
    config,
    scope: state.form.scope,
    ...(state.form.daemonMode === 'new' ? { inlineDaemon: inlineDaemon()! } : {}),
    ...(state.form.registryPassword ? { registryPassword: state.form.registryPassword } : {}),
  });
}

/** An action that could not be carried out, shown where that action shows its result. */
function showFailure(m: Extract<ToWebview, { type: 'failed' }>): void {
  if (!state.init) {
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
  } else state.hostErrors = [{ field: '(configuration)', message: m.text }]; // in the banner until the next change
  render();
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'init':
      state.init = m;
      state.form = fromConfig(m.config, m.scope, m.daemons);
      build();
      requestInfo();
      render();
      break;
    case 'daemonInfo':
      infos.set(m.key, { info: m.info });
      render();
      break;
    case 'pickedPath':
      state.form[m.field] = m.path;
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
      state.hostErrors = m.errors;
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

state.changed = changed;
state.render = render;
post({ type: 'ready' });
