import type { DaemonClient } from '../../daemonClient';
import { listTasks, type SwarmTask } from '../../engine/swarm';
import { isNotFound } from '../../errors';

// One poll of a manager serves every run waiting on it: the tasks of all their services in one call. Six
// runs started at once would otherwise each ask it 40 times a second, at ~3 ms of CPU a call on each side
// (measured here), while the same machine starts their containers. (Not all run tasks by label: Swarm
// keeps the tasks of removed job services, over a hundred after a few benches.)

interface Waiter {
  serviceId: string;
  client: DaemonClient;
  since: number;
  onTask(task: SwarmTask | undefined): void;
  onError(e: Error): void;
}

interface Watch {
  waiters: Set<Waiter>;
  /** Ends the wait between polls early: a new waiter is asked for at its own pace. */
  wake?: () => void;
}

const watches = new Map<string, Watch>();

/** Placement takes Swarm a moment (a few hundred ms): asked often at first, then gently while a run is queued. */
function pollEveryMs(waitedMs: number): number {
  return waitedMs < 2000 ? 25 : waitedMs < 5000 ? 100 : 500;
}

async function poll(key: string, watch: Watch): Promise<void> {
  const { waiters } = watch;
  while (waiters.size) {
    // the client of a run still waiting: a disposed client reconnects, but a live one is kept warm
    const { client } = waiters.values().next().value!;
    const asked = [...waiters];
    try {
      const tasks = await listTasks(client, { service: [...new Set(asked.map((w) => w.serviceId))] });
      const byService = new Map<string, SwarmTask>();
      for (const t of tasks) if (!byService.has(t.serviceId)) byService.set(t.serviceId, t); // newest first
      for (const w of asked) w.onTask(byService.get(w.serviceId));
    } catch (e) {
      // one service gone (removed by hand) fails the whole list: each is asked alone, to fail only its run
      if (!isNotFound(e)) for (const w of asked) w.onError(e as Error);
      else
        await Promise.all(
          asked.map((w) =>
            listTasks(client, { service: [w.serviceId] }).then(
              ([t]) => w.onTask(t),
              (e2: Error) =>
                w.onError(
                  isNotFound(e2)
                    ? new Error(
                        `The run's service ${w.serviceId.slice(0, 12)} was removed from the swarm (${client.host}) while the run waited for Swarm to start it`,
                      )
                    : e2,
                ),
            ),
          ),
        );
    }
    if (!waiters.size) break;
    const now = Date.now();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(...[...waiters].map((w) => pollEveryMs(now - w.since))));
      watch.wake = () => (clearTimeout(t), resolve());
    });
    watch.wake = undefined;
  }
  watches.delete(key);
}

/**
 * The task of one run's service as the shared poll of its manager sees it: `next()` answers at the next
 * poll (undefined before Swarm made the task). Closed when the run no longer waits on Swarm.
 */
export class TaskWatch {
  private pending: { resolve(t: SwarmTask | undefined): void; reject(e: Error): void } | undefined;
  private readonly waiters: Set<Waiter>;
  private readonly waiter: Waiter;

  constructor(manager: DaemonClient, serviceId: string) {
    const key = JSON.stringify(manager.daemon);
    this.waiter = {
      serviceId,
      client: manager,
      since: Date.now(),
      onTask: (task) => this.settle((p) => p.resolve(task)),
      onError: (e) => this.settle((p) => p.reject(e)),
    };
    let watch = watches.get(key);
    if (!watch) {
      watches.set(key, (watch = { waiters: new Set([this.waiter]) }));
      void poll(key, watch);
    } else {
      watch.waiters.add(this.waiter);
      watch.wake?.();
    }
    this.waiters = watch.waiters;
  }

  private settle(how: (p: NonNullable<TaskWatch['pending']>) => void): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) how(p);
  }

  next(signal: AbortSignal): Promise<SwarmTask | undefined> {
    if (signal.aborted) return Promise.reject(new Error('cancelled'));
    return new Promise((resolve, reject) => {
      const cancelled = () => this.settle((p) => p.reject(new Error('cancelled')));
      signal.addEventListener('abort', cancelled, { once: true });
      this.pending = {
        resolve: (t) => (signal.removeEventListener('abort', cancelled), resolve(t)),
        reject: (e) => (signal.removeEventListener('abort', cancelled), reject(e)),
      };
    });
  }

  close(): void {
    this.waiters.delete(this.waiter);
  }
}
