import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { minimatch } from 'minimatch';

/** Interpreters by file extension (containerExec.recipeInterpreters): a command, split on spaces. */
export const DEFAULT_INTERPRETERS: Record<string, string> = { '.py': 'python3', '.R': 'Rscript', '.sh': 'sh' };

/** The command a recipe runs with inside the container, relative to /workspace. */
export function recipeCommand(recipe: string, interpreters: Record<string, string>, args: string[] = []): string[] {
  const ext = path.posix.extname(recipe);
  // an exact match first (".R"), then any case (".r" files are common too)
  const interpreter = (interpreters[ext] ?? Object.entries(interpreters).find(([e]) => e.toLowerCase() === ext.toLowerCase())?.[1])?.trim();
  if (!interpreter)
    throw new Error(
      `${recipe} is not a recipe: no interpreter for "${ext || '(no extension)'}" files. Recipes are ${Object.keys(interpreters).join(', ')} files; add one in containerExec.recipeInterpreters.`,
    );
  return [...interpreter.split(/\s+/), recipe, ...args];
}

/**
 * A recipe's workspace-relative path (posix), or an error naming the file when it lies outside the
 * workspace folder: the folder is what is uploaded, so the recipe must be in it.
 */
export function recipeInWorkspace(file: string, workspaceDir: string): string {
  const rel = path.relative(workspaceDir, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
    throw new Error(
      `${file} is outside the workspace folder ${workspaceDir}: only files of the workspace can run as recipes (the folder is what is uploaded).`,
    );
  return rel.split(path.sep).join('/');
}

/** containerExec.recipeConfigurations: the first glob (in the order written) that matches the recipe names its configuration. */
export function recipeConfiguration(recipe: string, globs: Record<string, string> | undefined): string | undefined {
  for (const [glob, name] of Object.entries(globs ?? {}))
    if (minimatch(recipe, glob, { dot: true, matchBase: !glob.includes('/') })) return name;
  return undefined;
}

/** Run ids sort by start time and stay unique across windows: 20261128-041502-a3f9. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${randomBytes(2).toString('hex')}`;
}

/** The value of the workspace label of run containers: this machine and workspace folder, hashed. */
export function workspaceLabel(workspaceDir: string): string {
  return createHash('sha256').update(`${os.hostname()}:${workspaceDir}`).digest('hex').slice(0, 16);
}
