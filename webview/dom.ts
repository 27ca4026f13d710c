// The form's building blocks: elements, labelled rows bound to a form field, and the @vscode-elements controls.
import type { Form } from './form';
import { state, type Control } from './state';

export function el<K extends keyof HTMLElementTagNameMap | string>(
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
export function row(label: string, key: keyof Form, control: Control, hint?: string): HTMLElement {
  control.id = `f-${key}`;
  state.controls.set(key, control);
  const onChange = () => {
    // the control of `key` holds the form's value of `key` (a checkbox's boolean, a select's list)
    Object.assign(state.form, {
      [key]: control.checked !== undefined && control.tagName === 'VSCODE-CHECKBOX' ? control.checked : control.value,
    });
    state.changed(key);
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

/** A row with a control and something beside it (a Browse… button). */
export function rowWith(label: string, key: keyof Form, c: Control, extra: HTMLElement, hint?: string): HTMLElement {
  const r = row(label, key, c, hint);
  const wrap = el('div', { class: 'inline' });
  c.before(wrap);
  wrap.append(c, extra);
  return r;
}

/** A row without a label: an action and where its result shows. */
export const actionRow = (...children: HTMLElement[]) => el('div', { class: 'row' }, el('span'), el('div', {}, ...children));

export const text = (placeholder = '') => el('vscode-textfield', { placeholder }) as Control;
export const checkbox = (label: string) => el('vscode-checkbox', { label }) as Control;

export function select(options: [string, string][]): Control {
  const s = el('vscode-single-select') as Control;
  setOptions(s, options);
  return s;
}

export function setOptions(s: Control, options: [string, string][]): void {
  const signature = JSON.stringify(options);
  if (s.dataset.options === signature) return; // replacing the options closes an open dropdown
  s.dataset.options = signature;
  const keep = s.value;
  s.replaceChildren(...options.map(([value, label]) => el('vscode-option', { value }, label)));
  if (options.some(([v]) => v === keep)) s.value = keep;
}

export function multiSelect(options: [string, string][]): Control {
  const s = el('vscode-multi-select') as Control;
  s.replaceChildren(...options.map(([value, label]) => el('vscode-option', { value }, label)));
  return s;
}

export function button(label: string, onClick: () => void, secondary = false): HTMLElement {
  const b = el(
    'vscode-button',
    { id: `${label.toLowerCase().replace(/\W+/g, '-')}-button`, ...(secondary ? { secondary: true } : {}) },
    label,
  );
  b.addEventListener('click', onClick);
  return b;
}
