import * as vscode from 'vscode';

/** Output channels created on demand by name (container logs), disposed with the extension. */
export class OutputChannels implements vscode.Disposable {
  private readonly channels = new Map<string, vscode.OutputChannel>();
  get(name: string): vscode.OutputChannel {
    let c = this.channels.get(name);
    if (!c) this.channels.set(name, (c = vscode.window.createOutputChannel(name)));
    return c;
  }
  dispose(): void {
    this.channels.forEach((c) => c.dispose());
    this.channels.clear();
  }
}
