// What the core tests of single runs share: a run request with the tests' defaults, and a run's containers on a daemon.
import {
  DEFAULT_INTERPRETERS,
  LABELS,
  createDaemonClient,
  listContainers,
  type DaemonDescriptionInput,
  type RunRequest,
} from '../../src/core';

/** The request's own fields, with the tests' defaults for the rest: no pull, group root, default interpreters, 1 s grace. */
export const testRunRequest = (
  r: Pick<RunRequest, 'id' | 'recipe' | 'config' | 'image' | 'workspaceDir' | 'outputsDir'> & Partial<RunRequest>,
): RunRequest => ({
  pull: false,
  groups: ['root'],
  interpreters: DEFAULT_INTERPRETERS,
  graceSeconds: 1,
  extensionVersion: '9.9.9-test',
  ...r,
});

/** Containers on a daemon labelled with run `id` (without one: with any run's). */
export async function runContainersOn(daemon: DaemonDescriptionInput, id?: string) {
  const client = createDaemonClient(daemon);
  try {
    return (await listContainers(client)).filter((c) => c.labels[LABELS.run] && (!id || c.labels[LABELS.run] === id));
  } finally {
    client.dispose();
  }
}
