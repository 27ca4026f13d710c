import { lstat, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { checkRunId, pathInside } from '../safety';

/** <workspace>/.container-exec/sweeps/<sweep id>: the trials' folders and the results. */
export const sweepFolder = (workspaceDir: string, sweepId: string) => path.join(workspaceDir, '.container-exec', 'sweeps', sweepId);

/** A trial attempt's folder name: t3, its retries t3-r1, t3-r2. */
export const trialFolderName = (index: number, attempt: number) => `t${index}${attempt ? `-r${attempt}` : ''}`;

/**
 * Creates <sweep folder>/<name> and checks, as for a run folder, that it is really inside the workspace
 * and that run.log and out are not links (a committed `.container-exec` symlink must not send outputs elsewhere).
 */
export async function prepareSweepFolder(workspaceDir: string, sweepId: string, name = ''): Promise<string> {
  checkRunId(sweepId, 'sweep id');
  const folder = path.join(sweepFolder(workspaceDir, sweepId), name);
  await pathInside(workspaceDir, path.relative(workspaceDir, folder), 'sweep folder');
  await mkdir(folder, { recursive: true });
  await pathInside(workspaceDir, path.relative(workspaceDir, folder), 'sweep folder');
  for (const entry of ['run.log', 'out', 'results.csv', 'results.md']) {
    const st = await lstat(path.join(folder, entry)).catch(() => undefined);
    if (st?.isSymbolicLink())
      throw new Error(
        `sweep folder ${folder}: ${entry} is a symbolic link; remove it (sweep logs and outputs are only written inside the workspace)`,
      );
  }
  return folder;
}
