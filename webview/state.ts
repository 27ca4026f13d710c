// The editor's state, shared by main.ts and the sections: the form, what the host sent, the controls.
import type { FieldError } from '../src/core/config/configurationSchema';
import type { DaemonCapacity, DaemonRef, FromWebview, InlineDaemon, ToWebview } from '../src/shared/configEditorProtocol';
import { emptyForm, type Form } from './form';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
export const post = (m: FromWebview) => vscode.postMessage(m);
declare global {
  interface Window {
    /** The raw channel, so the UI test can prove that the host rejects what the form would never send. */
    containerExecPostRaw?: (m: unknown) => void;
  }
}
window.containerExecPostRaw = (m) => vscode.postMessage(m);

/** A form control; a multi-select's value is the list of its chosen values. */
export type Control = HTMLElement & { value: string | string[]; checked?: boolean; invalid?: boolean };
export type Init = Extract<ToWebview, { type: 'init' }>;

export const state = {
  form: emptyForm(),
  init: undefined as Init | undefined,
  infos: new Map<string, { info?: DaemonCapacity; error?: string }>(),
  hostErrors: [] as FieldError[],
  /** Errors show on fields the user has touched, and everywhere once Save was pressed. */
  touched: new Set<string>(),
  attempted: false,
  controls: new Map<keyof Form, Control>(),
  /** What a control's change does (main.ts: validate and render again). */
  changed: (_key: keyof Form): void => undefined,
  /** Shows the form's values and messages again (main.ts). */
  render: (): void => undefined,
};

/** The daemon the form points at, as the host understands it. */
export function daemonRef(): DaemonRef | undefined {
  const { form } = state;
  if (form.daemonMode === 'existing') return form.daemon ? { id: form.daemon } : undefined;
  const inline = inlineDaemon();
  return inline && { inline };
}

export function inlineDaemon(): InlineDaemon | undefined {
  const { form } = state;
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
