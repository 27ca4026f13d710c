import { execFile } from 'node:child_process';
import type { Configuration } from './configurationSchema';

/** The OS user's groups, as `id -Gn` reports them (deadline 3 s). */
export function currentUserGroups(): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('id', ['-Gn'], { timeout: 3000 }, (err, stdout) =>
      err
        ? reject(new Error(`cannot read your groups with "id -Gn": ${err.message}`))
        : resolve(stdout.trim().split(/\s+/).filter(Boolean)),
    ),
  );
}

/** Undefined when the user may use the configuration; else DSS's error. An empty allowedGroups allows everyone. */
export function usageDenied(c: Pick<Configuration, 'name' | 'allowedGroups'>, groups: string[]): string | undefined {
  if (!c.allowedGroups.length || c.allowedGroups.some((g) => groups.includes(g))) return undefined;
  return `No usage permission on configuration ${c.name} (allowed groups: ${c.allowedGroups.join(', ')}; yours: ${groups.join(', ') || 'none'})`;
}

/** Finds a configuration by name; a name kept as a default after its configuration was deleted says so. */
export function findConfiguration<T extends { name: string }>(name: string, configs: T[], why = 'referenced'): T {
  const c = configs.find((x) => x.name === name);
  if (!c) throw new Error(`Configuration ${name} not found (${why}; it may have been deleted or renamed): pick another one or create it.`);
  return c;
}
