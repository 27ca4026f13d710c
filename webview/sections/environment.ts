import { el, row, text } from '../dom';
import type { Control } from '../state';

/** The container's variables and network. */
export function environmentSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Environment'),
    row('Variables', 'env', el('vscode-textarea', { rows: '4', placeholder: 'KEY=value, one per line' }) as Control),
    row('Network', 'network', text('bridge')),
  ];
}
