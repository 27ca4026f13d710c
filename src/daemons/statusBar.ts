import * as vscode from 'vscode';
import type { DaemonHub } from '../core';

/** The default daemon and its state; a click tests the connection. Shows what the hub knows, asks nothing. */
export class DaemonStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('containerExec.defaultDaemon', vscode.StatusBarAlignment.Left, 50);
  private defaultId = 'local';
  private readonly sub: { dispose(): void };

  constructor(private readonly hub: DaemonHub) {
    this.item.name = 'Container Exec: default daemon';
    this.item.command = 'containerExec.testConnection';
    this.sub = hub.onDidChange((c) => c.id === this.defaultId && c.what === 'state' && this.update());
    this.update();
    this.item.show();
  }

  setDefault(id: string): void {
    this.defaultId = id;
    this.update();
  }

  private update(): void {
    const spec = this.hub.spec(this.defaultId);
    const status = this.hub.status(this.defaultId);
    const icon =
      { idle: '$(vm-outline)', connecting: '$(loading~spin)', connected: '$(vm-active)' }[status.state as string] ?? '$(vm-outline)';
    this.item.text = `${icon} ${spec?.daemon.label ?? this.defaultId}`;
    this.item.backgroundColor = ['idle', 'connecting', 'connected'].includes(status.state)
      ? undefined
      : new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.tooltip = spec
      ? `Default Docker daemon: ${spec.daemon.host} — ${status.state}${status.roundTripMs !== undefined && status.state === 'connected' ? `, ${status.roundTripMs.toFixed(1)} ms` : ''}${status.error ? `\n${status.error.message}` : ''}\nClick to test the connection.`
      : `Default Docker daemon "${this.defaultId}" is not configured: set containerExec.defaultDaemon.`;
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
