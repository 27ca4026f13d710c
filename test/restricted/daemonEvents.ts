import { execFileSync } from 'node:child_process';
import { need } from '../support/testbed';

/** Unix time (s, ms precision) as `docker events` takes it. */
export const unixNow = () => (Date.now() / 1000).toFixed(3);

/** Containers the daemon created for a recipe's runs between two times: `docker events`, not the extension's code. */
export function containersCreated(recipe: string, since: string, until: string): { id: string; time: number }[] {
  const out = execFileSync(
    'docker',
    [
      ...['-H', need('DOCKER_TCP_HOST'), 'events', '--since', since, '--until', until],
      ...['--filter', 'type=container', '--filter', 'event=create', '--filter', `label=container-exec.recipe=${recipe}`],
      ...['--format', '{{.ID}} {{.TimeNano}}'],
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ id: l.split(' ')[0]!, time: Number(l.split(' ')[1]) / 1e6 }));
}
