import type { DaemonChoice } from '../../src/shared/configEditorProtocol';
import { actionRow, button, checkbox, el, row, rowWith, select, text } from '../dom';
import { daemonRef, post, state } from '../state';
import { placementRows } from './placement';

const daemonOptions = (ds: DaemonChoice[]): [string, string][] => ds.map((d) => [d.id, `${d.label} — ${d.host}`]);
const browse = (field: 'certPath' | 'ca' | 'cert' | 'key') => button('Browse…', () => post({ type: 'pickPath', field }), true);

/** Where it runs: a configured daemon, a new one defined here (host, TLS), or a pool; and a connection test. */
export function daemonSection(): HTMLElement[] {
  return [el('h2', {}, 'Daemon'), ...placementRows(daemonOptions(state.init!.daemons)), ...newDaemonRows(), connectionRow()];
}

/** A daemon defined here: its id, host and TLS material. */
function newDaemonRows(): HTMLElement[] {
  return [
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
  ];
}

/** Test Connection, its result, and the daemon's capacity once read. */
function connectionRow(): HTMLElement {
  const connection = el('div', { class: 'result', id: 'connection-result' });
  const test = () => {
    const ref = daemonRef();
    connection.className = 'result';
    connection.textContent = ref ? 'Connecting…' : 'Pick or define a daemon first.';
    if (ref) post({ type: 'testConnection', daemon: ref });
  };
  return actionRow(button('Test Connection', test, true), connection, el('div', { class: 'hint', id: 'capacity' }));
}
