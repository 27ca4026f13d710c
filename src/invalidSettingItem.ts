import * as vscode from 'vscode';

/** A settings entry that failed validation, shown with its reason; nothing about it is rewritten. */
export function invalidSettingItem(
  label: string,
  scope: string,
  setting: string,
  /** The entry's position in a list setting, or its key in an object setting. */
  index: number | string,
  error: string,
  contextValue: string,
): vscode.TreeItem {
  const item = new vscode.TreeItem(label);
  item.description = `invalid ${scope} setting`;
  item.tooltip = `${setting}[${typeof index === 'number' ? index : JSON.stringify(index)}] (${scope} settings): ${error}`;
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.contextValue = contextValue;
  return item;
}

/** A workspace settings entry the extension does not use (Restricted Mode, or it would run a local program), with the reason. */
export function ignoredSettingItem(label: string, setting: string, index: number, reason: string, contextValue: string): vscode.TreeItem {
  const item = new vscode.TreeItem(label);
  item.description = 'ignored workspace setting';
  item.tooltip = `${setting}[${index}] (workspace settings): ${reason}`;
  item.iconPath = new vscode.ThemeIcon('workspace-untrusted', new vscode.ThemeColor('list.warningForeground'));
  item.contextValue = contextValue;
  return item;
}
