import * as vscode from 'vscode';

/**
 * Questions the extension asks in the middle of a task, as a non-modal quick pick (modal dialogs are
 * not answerable in every host, and a quick pick can be answered from the keyboard or by commands).
 * The question being asked is visible to the in-host tests through the extension's API.
 */
let pending: string | undefined;

export const prompts = {
  /** The title of the question on screen, if any. */
  pending: (): string | undefined => pending,

  /** One of `choices` (the first is selected), or undefined when dismissed. */
  async choose<T extends string>(title: string, detail: string, choices: readonly T[]): Promise<T | undefined> {
    pending = title;
    try {
      const picked = await vscode.window.showQuickPick(
        choices.map((label) => ({ label, detail })),
        { title, placeHolder: detail, ignoreFocusOut: true },
      );
      return picked?.label as T | undefined;
    } finally {
      pending = undefined;
    }
  },
};
