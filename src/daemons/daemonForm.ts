import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { DaemonError, parseHost, type DaemonDescriptionInput } from '../core';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * Add Daemon / Edit Connection as a quick-input flow: host -> TLS? -> certificate folder (native dialog)
 * -> id. Returns undefined when the user cancels at any step; nothing is saved here.
 */
export async function askDaemon(
  existing: DaemonDescriptionInput | undefined,
  takenIds: Set<string>,
): Promise<DaemonDescriptionInput | undefined> {
  const step = (n: number) => `${existing ? 'Edit Connection' : 'Add Daemon'} (${n}/3)`;
  const host = await vscode.window.showInputBox({
    title: step(1),
    prompt: 'Docker host',
    placeHolder: 'tcp://build-box:2376 · ssh://me@gpu-box · unix:///var/run/docker.sock',
    value: existing?.host ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseHost(v.trim());
        return undefined;
      } catch (e) {
        return e instanceof DaemonError ? e.message : String(e);
      }
    },
  });
  if (!host) return undefined;
  const parsed = parseHost(host.trim());
  let tls: DaemonDescriptionInput['tls'];
  if (parsed.scheme === 'tcp') {
    const choice = await vscode.window.showQuickPick(
      [
        {
          label: 'TLS, verify the daemon',
          detail: 'ca.pem, cert.pem, key.pem from a certificate folder (like DOCKER_CERT_PATH)',
          tls: { enabled: true, verify: true },
        },
        { label: 'TLS, no verification', detail: 'encrypts, but accepts any daemon certificate', tls: { enabled: true, verify: false } },
        { label: 'No TLS', detail: 'plain HTTP: only on trusted networks', tls: undefined },
      ],
      { title: step(2), placeHolder: 'Does this daemon use TLS?', ignoreFocusOut: true },
    );
    if (!choice) return undefined;
    if (choice.tls) {
      const start = [existing?.tls?.certPath, `${os.homedir()}/.docker`].find((p) => p && fs.existsSync(p)) ?? os.homedir();
      const picked = await vscode.window.showOpenDialog({
        title: 'Certificate folder (ca.pem, cert.pem, key.pem)',
        canSelectFolders: true,
        canSelectFiles: false,
        defaultUri: vscode.Uri.file(start),
        openLabel: 'Use this folder',
      });
      if (!picked?.[0]) return undefined;
      tls = { ...choice.tls, certPath: picked[0].fsPath };
    }
  }
  const suggested =
    existing?.id ?? (parsed.scheme === 'unix' || parsed.scheme === 'npipe' ? 'local' : parsed.hostname.replace(/[^A-Za-z0-9_.-]/g, '-'));
  const id = await vscode.window.showInputBox({
    title: step(3),
    prompt: 'Daemon id (configurations refer to it)',
    value: suggested,
    ignoreFocusOut: true,
    validateInput: (v) =>
      !ID_PATTERN.test(v)
        ? 'Use letters, digits, _ . : - (starting with a letter or digit)'
        : v !== existing?.id && takenIds.has(v)
          ? `A daemon "${v}" exists already`
          : undefined,
  });
  if (!id) return undefined;
  return { ...existing, id, host: host.trim(), ...(tls ? { tls } : { tls: undefined }) };
}

/** User or workspace settings (workspace only when a folder is open). */
export async function askScope(): Promise<vscode.ConfigurationTarget | undefined> {
  if (!vscode.workspace.workspaceFolders?.length) return vscode.ConfigurationTarget.Global;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'User settings', detail: 'available in every workspace', target: vscode.ConfigurationTarget.Global },
      { label: 'Workspace settings', detail: 'only in this workspace, shared with it', target: vscode.ConfigurationTarget.Workspace },
    ],
    { title: 'Save the daemon in', ignoreFocusOut: true },
  );
  return pick?.target;
}
