import { el, row, text } from '../dom';

/** Its name and description. */
export function generalSection(): HTMLElement[] {
  return [
    el('h2', {}, 'General'),
    row('Name', 'name', text('gpu-large')),
    row('Description', 'description', text('What this configuration is for')),
  ];
}
