import type { Control } from '../state';
import { actionRow, button, el, row, text } from '../dom';
import { daemonRef, post, state } from '../state';

/** The registry (its password in secret storage) and a login test; under the image's heading. */
export function registryRows(): HTMLElement[] {
  return [
    row('Registry URL', 'registryUrl', text('registry.example.com:5000'), 'Optional: images are pushed there and pulled by remote daemons'),
    row('Username', 'registryUser', text()),
    row(
      'Password',
      'registryPassword',
      el('vscode-textfield', {
        type: 'password',
        placeholder: state.init!.hasPassword ? '(stored in VS Code secret storage; type to replace)' : '',
      }) as Control,
      "Kept in VS Code's secret storage, never in settings",
    ),
    loginRow(),
  ];
}

/** Test Registry Login and its result. */
function loginRow(): HTMLElement {
  const registry = el('div', { class: 'result', id: 'registry-result' });
  const test = () => {
    const ref = daemonRef();
    const { form } = state;
    registry.className = 'result';
    registry.textContent = 'Logging in…';
    if (ref)
      post({ type: 'testRegistry', daemon: ref, url: form.registryUrl, username: form.registryUser, password: form.registryPassword });
  };
  return actionRow(button('Test Registry Login', test, true), registry);
}
