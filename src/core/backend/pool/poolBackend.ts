import type { RegistryAuth } from '../../build/registry';
import type { Configuration, FieldError } from '../../config/configurationSchema';
import { createDaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import { copyImage, createClaim, labelledContainers } from '../../engine/pool';
import { removeContainer } from '../../engine/containers';
import type { DaemonInfo } from '../../engineTypes';
import { LABELS } from '../../labels';
import { osUser } from '../../run/runRecipe';
import {
  DOCKER_POOL,
  type Capacity,
  type ExecOptions,
  type ExecutionBackend,
  type PullDaemon,
  type LostRun,
  type Placement,
  type ProbeOptions,
  type RunHandle,
  type RunSpec,
  type RunTarget,
  type StartHooks,
  type Started,
} from '../backend';
import { checkCapacity, hasGpuRuntime } from '../docker/capacity';
import { DockerDaemonBackend, runContainerName } from '../docker/dockerDaemonBackend';
import type { BackendProvider } from '../registry';
import { neverFits, ordinal, overBudget, usageOf, type Budget } from './budget';
import { choose, requestLabel, requestOf, type Candidate, type RunAsk } from './placement';
import { acquireLoadCache, holdingCapacity, type LoadCache } from './loadCache';
import { userRunsIn } from './usage';

/** A pool as its provider resolves it: its daemons (undefined: an id no daemon has), the user's budget on it. */
export interface PoolSpec {
  name: string;
  daemons: { id: string; daemon: DaemonDescriptionInput | DaemonDescription | undefined }[];
  budget?: Budget;
  /** The user's budget for this pool is invalid (why, naming the setting): runs are refused, stop and cleanup still work. */
  budgetError?: string;
  /** False once the pool's configuration is gone (deleted in the settings): a queued run then ends. */
  stillConfigured?(): boolean;
}

/** Runs this process placed and not yet ended, per pool and daemon: counted before their containers show. */
const placedRuns = new Map<string, Map<string, RunAsk>>();
const placedOn = (pool: string, daemon: string) => {
  const key = `${pool}\u0000${daemon}`;
  let m = placedRuns.get(key);
  if (!m) placedRuns.set(key, (m = new Map()));
  return m;
};

/** Waiting runs, first-come, per pool and user; `wake` re-checks the head. */
interface Waiter {
  runId: string;
  wake(): void;
}
const queues = new Map<string, Waiter[]>();
const queueOf = (pool: string, user: string) => {
  const key = `${pool}\u0000${user}`;
  let q = queues.get(key);
  if (!q) queues.set(key, (q = []));
  return q;
};
const wakeAll = (pool: string) => {
  for (const [key, q] of queues) if (key.startsWith(`${pool}\u0000`)) q[0]?.wake();
};

interface Member {
  id: string;
  backend: DockerDaemonBackend;
  /** What the daemon's containers hold, kept by its event stream (shared in this process). */
  load: LoadCache;
  release(): void;
}
interface Answer {
  member: Member;
  info?: DaemonInfo;
  error?: string;
}

/** Fallback re-check of a waiting run when no daemon event came (events are the main wake-up). */
const RECHECK_MS = 3000;

/**
 * Runs on a pool of Docker daemons: each run placed on the least-loaded daemon that can take it (the
 * pool's Docker-daemon back-ends do the rest); the user's budget on the pool counted from the daemons
 * by label; a run that does not fit waits in a first-come queue, woken by daemon events.
 */
export class PoolBackend implements ExecutionBackend {
  readonly kind = DOCKER_POOL;
  readonly target: RunTarget;
  readonly user = osUser();
  private readonly members: Member[];
  private readonly unknown: string[];
  private chosen: Member | undefined;
  placement: Placement | undefined;
  private runId: string | undefined;
  private config: Configuration | undefined;
  private status: ((text: string) => void) | undefined;

  constructor(private readonly spec: PoolSpec) {
    this.target = { kind: DOCKER_POOL, id: spec.name };
    this.members = spec.daemons.flatMap((d) => {
      if (!d.daemon) return [];
      const { cache, release } = acquireLoadCache(d.daemon);
      return [{ id: d.id, backend: new DockerDaemonBackend(createDaemonClient(d.daemon), true), load: cache, release }];
    });
    this.unknown = spec.daemons.filter((d) => !d.daemon).map((d) => d.id);
  }

  get description(): string {
    return this.chosen
      ? `daemon "${this.chosen.id}" of pool "${this.spec.name}" (${this.chosen.backend.client.host})`
      : `pool "${this.spec.name}" (${this.spec.daemons.map((d) => d.id).join(', ')})`;
  }

  /** Every daemon asked at once, each within its own deadline: an unreachable one is an answer with an error. */
  private async ask(signal: AbortSignal, members = this.members): Promise<Answer[]> {
    return Promise.all(
      members.map((member) =>
        member.load.info({ signal }).then(
          (info) => ({ member, info }),
          (e: Error) => ({ member, error: e.message }),
        ),
      ),
    );
  }

  /** What keeps `c` off a daemon for good (runtime, GPU runtime, memory, CPUs vs /info). */
  private static never(c: Configuration, id: string, info: DaemonInfo): FieldError[] {
    const errors = checkCapacity({ ...c, daemon: id }, info).errors;
    if (c.gpus !== 'none' && !hasGpuRuntime(info))
      errors.push({ field: 'gpus', message: `daemon "${id}" has no GPU runtime (it has: ${info.runtimes.join(', ')})` });
    return errors;
  }

  /** The daemons that could ever run `c` (answers kept), or the error saying why none can. */
  private async feasible(
    c: Configuration,
    signal: AbortSignal,
    members = this.members,
  ): Promise<{ ok: (Answer & { info: DaemonInfo })[]; errors: FieldError[] }> {
    const pool = `pool "${this.spec.name}"`;
    if (this.unknown.length)
      return {
        ok: [],
        errors: [
          {
            field: 'pool',
            message: `${pool} names ${this.unknown.map((u) => `daemon "${u}"`).join(', ')}, which no daemon setting has: add it in the Daemons view or remove it from the configuration's pool`,
          },
        ],
      };
    const answers = await this.ask(signal, members);
    const up = answers.filter((a): a is Answer & { info: DaemonInfo } => Boolean(a.info));
    if (!up.length)
      return {
        ok: [],
        errors: [
          { field: 'pool', message: `no daemon of ${pool} answered: ${answers.map((a) => `${a.member.id}: ${a.error}`).join('; ')}` },
        ],
      };
    // per field, each daemon's reason: the driver and the editor show them on the field they concern
    const byField = new Map<string, string[]>();
    const ok = up.filter((a) => {
      const errors = PoolBackend.never(c, a.member.id, a.info);
      for (const e of errors) byField.set(e.field, [...(byField.get(e.field) ?? []), `${a.member.id}: ${e.message}`]);
      return !errors.length;
    });
    const down = answers.filter((a) => a.error).map((a) => `${a.member.id}: unreachable (${a.error})`);
    if (!ok.length) {
      const errors = [...byField].map(([field, why], i) => ({
        field,
        message: `${i === 0 ? `no daemon of ${pool} can run configuration ${c.name}: ` : ''}${why.join('; ')}`,
      }));
      if (down.length) errors[errors.length - 1]!.message += `; ${down.join('; ')}`;
      return { ok, errors };
    }
    return { ok, errors: [] };
  }

  /** One admission attempt: a daemon with room and a budget with room, or the reason it waits. Reads the daemons' load caches. */
  private async tryAdmit(
    c: Configuration,
    request: RunAsk,
    ok: (Answer & { info: DaemonInfo })[],
    signal: AbortSignal,
    runId: string,
  ): Promise<{ member: Member; reason: string } | { wait: string }> {
    const holdings = await Promise.all(ok.map((a) => a.member.load.holdingsNow({ signal }).catch(() => undefined)));
    // this user's runs of the pool on each daemon (claims and run containers, one per run id, not ended)
    const usage = new Map(ok.map((a, i) => [a.member.id, userRunsIn(holdings[i] ?? [], this.spec.name, this.user)]));
    const reservations = holdings.map((h) => h && holdingCapacity(h));
    const all = new Map<string, string | undefined>();
    for (const m of usage.values()) for (const [k, v] of m) all.set(k, v);
    // runs of this process placed but not yet labelled on a daemon count too
    for (const a of ok)
      for (const [k, v] of placedOn(this.spec.name, a.member.id)) if (!all.has(k) && k !== runId) all.set(k, requestLabel(v));
    all.delete(runId);
    const over = overBudget(this.spec.budget, usageOf(all.values()), request);
    if (over) return { wait: over };
    const candidates: Candidate[] = ok.flatMap((a, i) =>
      reservations[i]
        ? [
            {
              id: a.member.id,
              info: a.info,
              reservations: reservations[i]!,
              placed: placedOn(this.spec.name, a.member.id),
              userRuns:
                [...(usage.get(a.member.id)?.keys() ?? [])].filter((k) => k !== runId).length +
                [...placedOn(this.spec.name, a.member.id).keys()].filter((k) => k !== runId && !usage.get(a.member.id)?.has(k)).length,
            },
          ]
        : [],
    );
    const choice = choose(candidates, request, this.spec.budget?.perDaemonRuns);
    if (!choice.chosen) return { wait: `no daemon has room now (${choice.full})` };
    return { member: ok.find((a) => a.member.id === choice.chosen!.id)!.member, reason: choice.reason };
  }

  /** Places the run: waits (queued, first-come per user) until a daemon and the budget have room. */
  private async place(c: Configuration, runId: string, opts: ProbeOptions, members = this.members): Promise<Capacity> {
    const { signal } = opts;
    // first-come: the place in the queue is taken before anything is asked
    const queue = queueOf(this.spec.name, this.user);
    let wake: () => void = () => undefined;
    const waiter: Waiter = { runId, wake: () => wake() };
    queue.push(waiter);
    const unfollow: (() => void)[] = [];
    let following = false;
    try {
      const { ok, errors } = await this.feasible(c, signal, members);
      if (errors.length) return { errors, warnings: [] };
      const request = requestOf(c);
      const never = neverFits(this.spec.budget, request, `pool "${this.spec.name}"`);
      if (never) return { errors: [{ field: 'budget', message: never }], warnings: [] };
      for (;;) {
        if (signal.aborted) throw new Error('cancelled while queued');
        if (this.spec.stillConfigured && !this.spec.stillConfigured())
          return {
            errors: [
              {
                field: 'pool',
                message: `configuration ${c.name} was deleted while its run waited in the queue of pool "${this.spec.name}": nothing was created`,
              },
            ],
            warnings: [],
          };
        const position = queue.indexOf(waiter) + 1;
        const admitted =
          position === 1
            ? await this.tryAdmit(c, request, ok, signal, runId)
            : { wait: `${position - 1} of your runs on this pool before it` };
        if ('member' in admitted) {
          this.chosen = admitted.member;
          this.placement = { daemon: admitted.member.id, reason: admitted.reason };
          placedOn(this.spec.name, admitted.member.id).set(runId, request);
          opts.onQueued?.(undefined);
          opts.onStatus?.(`Placed on daemon "${admitted.member.id}": ${admitted.reason}`);
          return { errors: [], warnings: [] };
        }
        opts.onQueued?.(`queued ${ordinal(position)}: ${admitted.wait}`);
        if (!following) {
          following = true;
          // a run ending anywhere in the pool may make room: wake on each change the daemons' events bring
          for (const a of ok) unfollow.push(a.member.load.onChange(() => waiter.wake()));
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, RECHECK_MS);
          signal.addEventListener('abort', done, { once: true });
          function done() {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          }
          wake = done;
        });
      }
    } finally {
      unfollow.forEach((u) => u());
      if (queue.includes(waiter)) queue.splice(queue.indexOf(waiter), 1);
      queue[0]?.wake();
    }
  }

  async probe(c: Configuration, opts: ProbeOptions): Promise<Capacity> {
    // the driver probes before `run(runId)`: the run id is made here and taken by the next run()
    this.runId ??= `pending-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.config = c;
    this.status = opts.onStatus;
    if (this.spec.budgetError) return { errors: [{ field: 'budget', message: this.spec.budgetError }], warnings: [] };
    return this.place(c, this.runId, opts);
  }

  /** True when the chosen daemon has the image, or got it copied from another pool daemon (no registry to pull from). */
  async hasImage(ref: string, { signal }: { signal: AbortSignal }, onStatus = this.status): Promise<boolean> {
    const chosen = this.need();
    if (await chosen.backend.hasImage(ref, { signal })) return true;
    // a registry is where the image comes from: the driver pulls it
    if (this.config?.registry) return false;
    const others = this.members.filter((m) => m !== chosen);
    const has = await Promise.all(others.map((m) => m.backend.hasImage(ref, { signal }).catch(() => false)));
    const source = others.find((_, i) => has[i]);
    if (!source) return false;
    onStatus?.(`Copying image ${ref} from daemon "${source.id}" to "${chosen.id}"`);
    let last = 0;
    try {
      await copyImage(source.backend.client, chosen.backend.client, ref, signal, (bytes) => {
        if (bytes - last < 8e6) return;
        last = bytes;
        onStatus?.(`Copying image ${ref}: ${(bytes / 1e6).toFixed(0)} MB`);
      });
    } catch (e) {
      if (signal.aborted) throw e;
      // docker load tags nothing from a cut archive: the target has no part of the image to clean up
      const [from, to] = [source, chosen].map((m) => `daemon "${m.id}" (${m.backend.client.host})`);
      throw new Error(
        `Could not copy image ${ref} from ${from} to ${to}: ${(e as Error).message}. Nothing was created on "${chosen.id}": run again to copy it once more, or give the configuration a registry.`,
        { cause: e },
      );
    }
    return true;
  }

  pullImage(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
    return this.need().backend.pullImage(ref, auth, signal, onLine);
  }

  pullsThrough(): PullDaemon {
    return { ...this.need().backend.pullsThrough(), why: `placement chose it for this run of pool "${this.spec.name}"` };
  }

  run(runId: string): RunHandle {
    // the probe's provisional id becomes the run's: its place in the budget moves over
    if (this.runId && this.chosen) {
      const placed = placedOn(this.spec.name, this.chosen.id);
      const r = placed.get(this.runId);
      if (r) {
        placed.delete(this.runId);
        placed.set(runId, r);
      }
    }
    this.runId = runId;
    return new PoolRun(this, runId);
  }

  /** @internal for PoolRun */
  need(): Member {
    if (!this.chosen) throw new Error(`pool "${this.spec.name}": the run was not placed yet (probe first)`);
    return this.chosen;
  }

  /** @internal for PoolRun: places a run started without a probe (the contract suite), or again after the chosen daemon vanished. */
  async placeFor(c: Configuration, runId: string, signal: AbortSignal, without?: Member, why?: string): Promise<Member> {
    if (without) placedOn(this.spec.name, without.id).delete(runId);
    this.runId = runId;
    const cap = await this.place(
      c,
      runId,
      { signal },
      this.members.filter((m) => m !== without),
    );
    if (cap.errors.length) throw new Error(cap.errors.map((e) => e.message).join('; '));
    // the run record says why it is not where it was first placed
    if (why && this.placement) this.placement = { ...this.placement, reason: `placed again: ${why}; ${this.placement.reason}` };
    return this.need();
  }

  /** @internal for PoolRun: the run is over; its place frees, and waiting runs re-check. */
  released(runId: string): void {
    for (const m of this.members) placedOn(this.spec.name, m.id).delete(runId);
    wakeAll(this.spec.name);
  }

  get budget(): Budget | undefined {
    return this.spec.budget;
  }

  get poolName(): string {
    return this.spec.name;
  }

  async ping(): Promise<void> {
    if (this.chosen) return this.chosen.backend.ping();
    const answers = await this.ask(AbortSignal.timeout(60000));
    if (!answers.some((a) => a.info))
      throw new Error(`no daemon of pool "${this.spec.name}" answered: ${answers.map((a) => `${a.member.id}: ${a.error}`).join('; ')}`);
  }

  heartbeat(everyMs: number, onLost: (e: Error) => void): () => void {
    return (this.chosen ?? this.members[0])?.backend.heartbeat(everyMs, onLost) ?? (() => undefined);
  }

  async findLost(workspaceDir: string, activeRunIds: ReadonlySet<string>, opts?: { signal?: AbortSignal }): Promise<LostRun[]> {
    const found = await Promise.all(
      this.members.map((m) =>
        m.backend.findLost(workspaceDir, activeRunIds, opts).then(
          (l) => l.map((x) => ({ ...x, id: `${m.id}/${x.id}` })),
          () => [],
        ),
      ),
    );
    return found.flat();
  }

  async removeLost(lost: LostRun, opts?: { signal?: AbortSignal }): Promise<void> {
    const slash = lost.id.indexOf('/');
    const member = this.members.find((m) => m.id === lost.id.slice(0, slash));
    if (!member)
      throw new Error(
        `pool "${this.spec.name}" has no daemon "${lost.id.slice(0, slash)}" any more: remove container ${lost.name} in the Daemons view`,
      );
    await member.backend.removeLost({ ...lost, id: lost.id.slice(slash + 1) }, opts);
  }

  async retrieveKeptOutputs(
    container: string,
    outputPath: string,
    dest: string,
    opts?: Parameters<ExecutionBackend['retrieveKeptOutputs']>[3],
  ) {
    for (const m of this.members) {
      const there = await labelledContainers(m.backend.client, LABELS.pool, this.spec.name).then(
        (l) => l.length > 0,
        () => false,
      );
      if (there) {
        try {
          return await m.backend.retrieveKeptOutputs(container, outputPath, dest, opts);
        } catch (e) {
          if (!/no such container|not found/i.test((e as Error).message)) throw e;
        }
      }
    }
    throw new Error(
      `Container ${container} is on no daemon of pool "${this.spec.name}" (${this.members.map((m) => m.id).join(', ')}): it was removed, or its daemon is unreachable.`,
    );
  }

  dispose(): void {
    if (this.runId) this.released(this.runId);
    for (const m of this.members) {
      m.backend.dispose();
      m.release();
    }
  }
}

/**
 * A pool run: a claim container (never started) holds its place in the budget while the run is set
 * up; after creating it every window recounts, and runs beyond the budget (the latest claims) back
 * off and wait again. The run container then goes where the claim is; the claim goes.
 */
class PoolRun implements RunHandle {
  readonly name: string;
  private inner: RunHandle | undefined;
  private member: Member | undefined;

  constructor(
    private readonly pool: PoolBackend,
    private readonly runId: string,
  ) {
    this.name = runContainerName(runId);
  }

  private handle(): RunHandle {
    if (!this.inner) throw new Error(`run ${this.runId} of pool "${this.pool.poolName}" was not started`);
    return this.inner;
  }

  async start(spec: RunSpec, hooks: StartHooks): Promise<Started> {
    let member: Member;
    try {
      member = this.pool.need();
    } catch {
      member = await this.pool.placeFor(spec.config, this.runId, hooks.signal);
    }
    const request = requestOf(spec.config);
    const labels = {
      ...spec.labels,
      [LABELS.user]: this.pool.user,
      [LABELS.pool]: this.pool.poolName,
      [LABELS.request]: requestLabel(request),
    };
    for (let replaced = false; ;) {
      try {
        await this.claim(member, spec, labels, hooks);
        break;
      } catch (e) {
        // the chosen daemon vanished between placement and create: place again, once
        if (
          replaced ||
          hooks.signal.aborted ||
          !(await member.backend.ping().then(
            () => false,
            () => true,
          ))
        )
          throw e;
        replaced = true;
        hooks.onStatus(`Daemon "${member.id}" stopped answering (${(e as Error).message}): placing the run again`);
        const why = `daemon "${member.id}" stopped answering between placement and create (${(e as Error).message})`;
        member = await this.pool.placeFor(spec.config, this.runId, hooks.signal, member, why);
        if (!(await this.pool.hasImage(spec.image, { signal: hooks.signal }, hooks.onStatus)))
          throw new Error(
            `Image ${spec.image} is not on daemon "${member.id}" (where the run was placed again) nor on another daemon of pool "${this.pool.poolName}": build it there, or give the configuration a registry.`,
            { cause: e },
          );
      }
    }
    this.member = member;
    this.inner = member.backend.run(this.runId);
    const claimName = `${this.name}-claim`;
    return this.inner.start(
      { ...spec, labels },
      {
        ...hooks,
        onCreated: (id) => {
          void removeContainer(member.backend.client, claimName).catch(() => undefined);
          hooks.onCreated?.(id);
        },
      },
    );
  }

  /** Claim, recount, back off while over: the claim exists when this resolves. */
  private async claim(member: Member, spec: RunSpec, labels: Record<string, string>, hooks: StartHooks): Promise<void> {
    const image = spec.image;
    const client = member.backend.client;
    const claimName = `${this.name}-claim`;
    for (;;) {
      await createClaim(client, claimName, image, { ...labels, [LABELS.kind]: 'claim' }, { signal: hooks.signal });
      const budget = this.pool.budget;
      if (!budget) return;
      const mine = (await labelledContainers(client, LABELS.user, this.pool.user, { signal: hooks.signal })).filter(
        (c) => c.labels[LABELS.pool] === this.pool.poolName && (c.state === 'created' || c.state === 'running'),
      );
      // the earliest claims keep their place; ours backs off if it is beyond the budget
      const byRun = new Map<string, { created: number; request?: string }>();
      for (const c of mine) {
        const id = c.labels[LABELS.run]!;
        const prev = byRun.get(id);
        byRun.set(id, { created: Math.min(prev?.created ?? Infinity, c.createdSec), request: c.labels[LABELS.request] });
      }
      const ordered = [...byRun.entries()].sort((a, b) => a[1].created - b[1].created || a[0].localeCompare(b[0]));
      const mineAt = ordered.findIndex(([id]) => id === this.runId);
      const before = ordered.slice(0, mineAt < 0 ? ordered.length : mineAt);
      if (!overBudget(budget, usageOf(before.map(([, v]) => v.request)), requestOf(spec.config))) return;
      await removeContainer(client, claimName).catch(() => undefined);
      hooks.onStatus('Another window took the last of the budget at the same moment: waiting for room');
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      if (hooks.signal.aborted) throw new Error('cancelled');
    }
  }

  wait(follow: AbortSignal) {
    return this.handle().wait(follow);
  }
  stop(graceSeconds: number) {
    return this.handle().stop(graceSeconds);
  }
  exec(cmd: string[], opts?: ExecOptions) {
    return this.handle().exec(cmd, opts);
  }
  fetchOutputs(path: string, dest: string, opts?: Parameters<RunHandle['fetchOutputs']>[2]) {
    return this.handle().fetchOutputs(path, dest, opts);
  }
  async remove(opts?: { signal?: AbortSignal }): Promise<void> {
    try {
      if (this.member) await removeContainer(this.member.backend.client, `${this.name}-claim`, opts).catch(() => undefined);
      await this.inner?.remove(opts);
    } finally {
      this.pool.released(this.runId);
    }
  }
}

/** The pool provider: a pool id (a configuration's name) resolved into its daemons and the user's budget by `resolve`. */
export function dockerPoolProvider(resolve: (id: string) => Promise<PoolSpec | undefined>): BackendProvider {
  return {
    kind: DOCKER_POOL,
    noun: 'pool',
    open: async (id) => {
      const spec = await resolve(id);
      return spec && new PoolBackend(spec);
    },
  };
}
