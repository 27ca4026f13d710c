/**
 * Docker CLI units. Memory as `docker run --memory` takes it (binary multiples, case-insensitive):
 * `512m`, `2g`, `1.5GiB`, `1024k`, `100mb`, a plain number of bytes. CPUs as `--cpus`: `1.5`.
 * Pure (no Node APIs): the webview form uses it too.
 */
const MULTIPLIER: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

export const MEMORY_FORM = 'a size like 512m, 2g or 1.5GiB (b, k, m, g, t; binary multiples, as docker run --memory)';

/** Bytes, or undefined when the text is not a size. */
export function parseMemory(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * MULTIPLIER[m[2]!.toLowerCase()]!);
}

export function formatMemory(bytes: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const)
    if (bytes >= size) return `${+(bytes / size).toFixed(2)}${unit}`;
  return `${bytes}b`;
}

/** `0-3,5,7-8` -> the CPU indexes it names, or undefined when malformed. */
export function parseCpuset(text: string): number[] | undefined {
  if (!/^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(text)) return undefined;
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.trim().split('-').map(Number) as [number, number | undefined];
    if (b !== undefined && b < a) return undefined;
    for (let i = a; i <= (b ?? a); i++) cpus.push(i);
  }
  return cpus;
}
