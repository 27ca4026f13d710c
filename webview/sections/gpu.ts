import { el, row, select, text } from '../dom';

/** The runtime and which GPUs (on Podman: the CDI devices they are asked for as, in place of runtimes). */
export function gpuSection(): HTMLElement[] {
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
    el('div', { class: 'row', id: 'row-cdi', hidden: true }, el('label', {}, 'CDI devices'), el('div', { id: 'cdi-devices' })),
    row('Capabilities', 'gpuCapabilities', text('gpu'), 'Comma-separated, e.g. gpu,utility,compute'),
  ];
}
