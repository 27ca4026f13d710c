import { KEEP_ALIVE_PY } from '../../kernel/relayScript';
import type { RunKind } from './runKind';

/** A notebook kernel's container: no recipe, its main process a keep-alive; the kernel's relay is exec'd into it. */
export const kernelRun: RunKind = {
  name: 'kernel',
  namedInRunsRow: true,
  command: () => ['python3', '-c', KEEP_ALIVE_PY],
};
