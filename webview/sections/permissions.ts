import { el, row, text } from '../dom';
import { state } from '../state';

/** Who may use it (OS groups). */
export function permissionsSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Permissions'),
    row(
      'Allowed groups',
      'allowedGroups',
      text('empty = everyone'),
      `Comma-separated OS groups (id -Gn). Yours: ${state.init!.groups.join(', ') || 'unknown'}`,
    ),
  ];
}
