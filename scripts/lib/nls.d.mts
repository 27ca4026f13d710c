// Types for nls.mjs, used by the TypeScript core test.
export interface LocalizableString {
  key: string;
  value: string;
  set(text: string): void;
}
export function localizableStrings(manifest: unknown): LocalizableString[];
export function nlsReference(text: string): string | undefined;
export function moveStringsToNls(manifest: unknown, nls: Record<string, string>): { nls: Record<string, string>; changes: string[] };
