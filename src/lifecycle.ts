import type * as vscode from 'vscode';

/**
 * Something that owns disposables (listeners, views, emitters): they are disposed with it, once, in the
 * order they were registered. As vscode-pull-request-github's `src/common/lifecycle.ts`, except that
 * order (theirs disposes the last registered first; the features here always disposed in order).
 */
export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.owned.splice(0)) d.dispose();
  }

  /** Owns `value` from now on; registered after the end, it is disposed at once. */
  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.owned.push(value);
    return value;
  }
}
