import type { RunKind } from './runKind';

/** A shell's container: no recipe, its main process `keepAlive` while shells are exec'd into it. */
export const shellRun = (keepAlive: string[]): RunKind => ({
  name: 'shell',
  command: () => keepAlive,
});
