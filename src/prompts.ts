import * as vscode from 'vscode';

/**
 * Questions the extension asks in the middle of a task, as a non-modal quick pick (modal dialogs are
 * not answerable in every host, and a quick pick can be answered from the keyboard or by commands).
 * The question being asked, and the choice the workbench has active, are visible to the in-host tests
 * through the extension's API: the active choice is reported by the workbench, so once it is known the
 * quick pick is on screen and keys reach it. A line of text (a notebook cell's input()) is asked in an
 * input box the same way: the tests see its prompt and options, type into it and accept it through the workbench.
 */
let pending: { title: string; active?: string } | undefined;
/** The error message on screen (a failed command's), with its actions; the first is the notification's primary one. */
let shown: { text: string; actions: string[] } | undefined;
/** The input box on screen (a cell's input()): tests read its options from it and type into it. */
let asking: vscode.InputBox | undefined;
/** Answers for the next save dialogs, set by in-host tests (a native dialog is not answerable there). */
const saveAnswers: (string | undefined)[] = [];

export const prompts = {
  /** The title of the question on screen, if any. */
  pending: (): string | undefined => pending?.title,
  /** The choice the workbench has active in that question, once it has shown it. */
  active: (): string | undefined => pending?.active,

  /** The error message on screen, and its actions (in-host tests press the primary one through the workbench). */
  message: (): { text: string; actions: string[] } | undefined => shown && { text: shown.text, actions: [...shown.actions] },

  /** The input box on screen, if any: its prompt and whether it masks what is typed. */
  input: (): { prompt: string; password: boolean } | undefined => asking && { prompt: asking.prompt ?? '', password: asking.password },
  /** Types `text` into the input box on screen, as the keyboard does (tests then accept it through the workbench). */
  typeInput(text: string): void {
    if (!asking) throw new Error('No input box is on screen.');
    asking.value = text;
  },

  /** A line of text from the user (masked for a password), or undefined when the box is dismissed. */
  askText(prompt: string, password: boolean): Promise<string | undefined> {
    const box = vscode.window.createInputBox();
    asking = box;
    box.prompt = prompt;
    box.password = password;
    box.ignoreFocusOut = true;
    return answerOf(
      box,
      () => box.value,
      () => {
        if (asking === box) asking = undefined;
      },
    );
  },

  /** An error notification with `actions`; resolves with the one pressed, or undefined when it is closed. */
  async showError<T extends string>(text: string, actions: readonly T[]): Promise<T | undefined> {
    const message = (shown = { text, actions: [...actions] });
    try {
      return await vscode.window.showErrorMessage(text, ...actions);
    } finally {
      if (shown === message) shown = undefined;
    }
  },

  /** A file to write (a save dialog); the next test answer when one is set. */
  saveFile(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined> {
    if (saveAnswers.length) {
      const answer = saveAnswers.shift();
      return Promise.resolve(answer === undefined ? undefined : vscode.Uri.file(answer));
    }
    return vscode.window.showSaveDialog(options);
  },
  /** For tests: the next save dialog answers `file` (undefined: dismissed). */
  answerSaveDialog: (file: string | undefined) => void saveAnswers.push(file),

  /** One of `choices` (the first is selected), or undefined when dismissed. */
  choose<T extends string>(title: string, detail: string, choices: readonly T[]): Promise<T | undefined> {
    const question = (pending = { title, active: undefined as string | undefined });
    const pick = vscode.window.createQuickPick();
    pick.title = title;
    pick.placeholder = detail;
    pick.ignoreFocusOut = true;
    pick.items = choices.map((label) => ({ label, detail }));
    pick.onDidChangeActive((items) => (question.active = items[0]?.label));
    return answerOf(
      pick,
      () => pick.selectedItems[0]?.label as T | undefined,
      () => {
        if (pending === question) pending = undefined;
      },
    );
  },
};

/** Shows `input` until it is accepted (then `read()` is the answer) or dismissed (undefined); `hidden` forgets it, then it is disposed. */
function answerOf<T>(
  input: vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>,
  read: () => T | undefined,
  hidden: () => void,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    let answer: T | undefined;
    input.onDidAccept(() => {
      answer = read();
      input.hide();
    });
    input.onDidHide(() => {
      hidden();
      input.dispose();
      resolve(answer);
    });
    input.show();
  });
}
