import * as vscode from 'vscode';

/**
 * Questions the extension asks in the middle of a task, as a non-modal quick pick (modal dialogs are
 * not answerable in every host, and a quick pick can be answered from the keyboard or by commands).
 * The question being asked, and the choice the workbench has active, are visible to the in-host tests
 * through the extension's API: the active choice is reported by the workbench, so once it is known the
 * quick pick is on screen and keys reach it.
 */
let pending: { title: string; active?: string } | undefined;

export const prompts = {
  /** The title of the question on screen, if any. */
  pending: (): string | undefined => pending?.title,
  /** The choice the workbench has active in that question, once it has shown it. */
  active: (): string | undefined => pending?.active,

  /** One of `choices` (the first is selected), or undefined when dismissed. */
  choose<T extends string>(title: string, detail: string, choices: readonly T[]): Promise<T | undefined> {
    const question = (pending = { title, active: undefined as string | undefined });
    const pick = vscode.window.createQuickPick();
    pick.title = title;
    pick.placeholder = detail;
    pick.ignoreFocusOut = true;
    pick.items = choices.map((label) => ({ label, detail }));
    return new Promise<T | undefined>((resolve) => {
      let answer: T | undefined;
      pick.onDidChangeActive((items) => (question.active = items[0]?.label));
      pick.onDidAccept(() => {
        answer = pick.selectedItems[0]?.label as T | undefined;
        pick.hide();
      });
      pick.onDidHide(() => {
        if (pending === question) pending = undefined;
        pick.dispose();
        resolve(answer);
      });
      pick.show();
    });
  },
};
