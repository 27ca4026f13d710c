import type { Form } from '../form';
import { button, el } from '../dom';
import { post, state } from '../state';

/** Where the configuration is saved (workspace settings only with a folder open) and the form's actions. */
export function saveToSection(save: () => void): HTMLElement[] {
  const scope = scopeRadios();
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

/** The scope's radios; the stored scope is checked once they are in the document (main.ts). */
function scopeRadios(): HTMLElement {
  const scope = el(
    'vscode-radio-group',
    { id: 'f-scope' },
    el('vscode-radio', { label: 'User settings', name: 'scope', value: 'user' }),
    el('vscode-radio', { label: 'Workspace settings', name: 'scope', value: 'workspace', disabled: !state.init!.hasWorkspace }),
  );
  scope.addEventListener('change', (e) => {
    state.form.scope = ((e.target as HTMLInputElement).value as Form['scope']) || state.form.scope;
    state.render();
  });
  return scope;
}
