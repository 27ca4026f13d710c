import * as vscode from 'vscode';

/** Binary MIME types Jupyter sends base64-encoded in a bundle. */
const BASE64_MIMES = /^image\/(png|jpeg|gif|webp|bmp)$/;
const JSON_MIMES = /^application\/(.+\+)?json$/;

/** A bundle's value as text: nbformat allows a string split in lines (a list of strings). */
const asText = (v: unknown): string =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join('') : typeof v === 'string' ? v : JSON.stringify(v);

/** One MIME entry of a Jupyter bundle as a VS Code output item (images decoded, JSON as JSON, anything else passed through). */
export function outputItem(mime: string, value: unknown): vscode.NotebookCellOutputItem {
  if (BASE64_MIMES.test(mime) && typeof value === 'string') return new vscode.NotebookCellOutputItem(Buffer.from(value, 'base64'), mime);
  if (JSON_MIMES.test(mime) && typeof value !== 'string') return vscode.NotebookCellOutputItem.json(value, mime);
  return vscode.NotebookCellOutputItem.text(asText(value), mime);
}

/** A display_data / execute_result / update_display_data bundle's items. */
export function bundleItems(data: unknown): vscode.NotebookCellOutputItem[] {
  if (!data || typeof data !== 'object') return [];
  return Object.entries(data as Record<string, unknown>).map(([mime, value]) => outputItem(mime, value));
}

/** The display id a display_data names (transient.display_id), kept in the output's metadata to find it on update. */
export function displayIdOf(content: Record<string, unknown>): string | undefined {
  const id = (content.transient as { display_id?: unknown } | undefined)?.display_id;
  return typeof id === 'string' ? id : undefined;
}

/** A display output: its items, with the display id (if any) in its metadata. */
export function displayOutput(content: Record<string, unknown>): vscode.NotebookCellOutput {
  const displayId = displayIdOf(content);
  return new vscode.NotebookCellOutput(bundleItems(content.data), {
    ...(content.metadata && typeof content.metadata === 'object' ? { metadata: content.metadata } : {}),
    ...(displayId ? { transient: { display_id: displayId } } : {}),
  });
}

/** An `error` message's output: the traceback's lines (ANSI colours kept) as the stack. */
export function errorOutput(content: Record<string, unknown>): vscode.NotebookCellOutput {
  const traceback = Array.isArray(content.traceback) ? content.traceback.map(String).join('\n') : '';
  const name = typeof content.ename === 'string' ? content.ename : 'Error';
  const message = typeof content.evalue === 'string' ? content.evalue : '';
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name, message, stack: traceback || `${name}: ${message}` })]);
}

/** Whether an output is the display `id` (an update_display_data replaces its items). */
export const isDisplay = (output: vscode.NotebookCellOutput, id: string): boolean =>
  (output.metadata?.transient as { display_id?: unknown } | undefined)?.display_id === id;
