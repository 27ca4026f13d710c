import type { RegistryAuth } from '../../build/registry';
import type { Configuration, FieldError } from '../../config/configurationSchema';
import { createDaemonClient } from '../../daemonClient';
import type { DaemonDescription, DaemonDescriptionInput } from '../../daemonDescription';
import { createClaim, labelledContainers } from '../../engine/pool';
import { copyImage } from '../../engine/imageCopy';
import { inspectContainer, removeContainer } from '../../engine/containers';
import { isNotFound } from '../../errors';
import type { DaemonInfo } from '../../engineTypes';
import { LABELS, osUser } from '../../labels';
import type { RetrievedOutputs } from '../../run/runOutputs';
import {
  DOCKER_POOL,
  type AvoidDaemons,
  type Capacity,
  type ExecOptions,
  type ExecutionBackend,
  type KeptOutputsOptions,
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
import { checkCapacity, hasGpuRuntime, podmanRefusals } from '../docker/capacity';
import { engineLabel } from '../../engineTypes';
import { DockerDaemonBackend, runContainerName } from '../docker/dockerDaemonBackend';
import type { BackendProvider } from '../registry';
import { neverFits, ordinal, overBudget, usageOf, type Budget } from './budget';
import {
  CLAIM_MAX_AGE_MS,
  CLAIM_SETTLE_MS,
  claimOwner,
  recountVerdict,
  runsAmong,
  type CountedRun,
  type OurClaim,
  type PoolContainer,
} from './claims';
import { choose, requestLabel, requestOf, type Candidate, type RunAsk } from './placement';
import { untilAborted } from '../../untilAborted';
import { eachUnder } from '../../abortFanOut';
import { acquireLoadCache, holdingCapacity, type LoadCache } from './loadCache';

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

/** The runs this process placed on pool `pool` and not yet released (what placement counts before their containers show). */
export const placedRunIds = (pool: string): string[] =>
  [...placedRuns].flatMap(([key, m]) => (key.startsWith(`${pool}\u0000`) ? [...m.keys()] : []));

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
/** The user's runs last seen on each daemon of a pool (pool, daemon, user): what a daemon that does not answer counts for. */
const lastSeen = new Map<string, Map<string, CountedRun>>();
const requests = (runs: Map<string, CountedRun>) => new Map([...runs].map(([id, r]) => [id, r.request]));

/** A run that backed off waits at least this long (doubling per back-off, jittered) before it claims again. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 8000;

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
  /** The engine when it is not Docker's own ("Podman 4.3.1"): what its compat API ignores keeps runs off it. */
  otherEngine?: string;
  error?: string;
}

/** Fallback re-check of a waiting run when no daemon event came (events are the main wake-up; the caches it reads recount every LOAD_RECOUNT_MS meanwhile). */
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
  /** The run whose place in the pool this back-end holds (it placed it): the only one it releases. */
  private holds: string | undefined;
  private config: Configuration | undefined;
  private status: ((text: string) => void) | undefined;
  private queued: ((reason: string | undefined) => void) | undefined;
  /** The probe's daemons to place elsewhere than if another can run it (kept for a placement again after a back-off). */
  private avoid: AvoidDaemons | undefined;
  /** The run of this back-end (one per run task): its claim goes when the back-end is disposed. */
  private current: PoolRun | undefined;
  /** Ends keeping the placed run's daemon load fresh. */
  private unkeep: (() => void) | undefined;

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
    return eachUnder(signal, members, (member, signal) =>
      Promise.all([member.load.info({ signal }), member.backend.client.engine({ signal })]).then(
        ([info, v]) => ({ member, info, otherEngine: v.engine === 'Docker' ? undefined : engineLabel(v) }),
        (e: Error) => ({ member, error: e.message }),
      ),
    );
  }

  /** What keeps `c` off a daemon for good (runtime, GPU runtime, memory, CPUs vs /info). */
  private static never(c: Configuration, id: string, info: DaemonInfo, otherEngine?: string): FieldError[] {
    const errors = checkCapacity({ ...c, daemon: id }, info).errors;
    if (otherEngine) {
      const refused = podmanRefusals({ ...c, daemon: id }, otherEngine, id);
      // its API lists no CDI devices (Podman 4), so nothing says whether this member has the GPUs
      if (c.gpus !== 'none' && !refused.some((r) => r.field === 'gpus'))
        refused.push({
          field: 'gpus',
          message: `daemon "${id}" is ${otherEngine}, whose API does not list its CDI devices: a pool does not place GPU runs there. Give the configuration that daemon itself (daemon: "${id}") to run its GPUs`,
        });
      return [...errors.filter((e) => !refused.some((r) => r.field === e.field)), ...refused];
    }
    if (c.gpus !== 'none' && !hasGpuRuntime(info))
      errors.push({ field: 'gpus', message: `daemon "${id}" has no GPU runtime (it has: ${info.runtimes.join(', ')})` });
    return errors;
  }

  /** The daemons that could ever run `c` (answers kept; those to avoid left out if others can), or the error saying why none can. */
  private async feasible(
    c: Configuration,
    signal: AbortSignal,
    members = this.members,
  ): Promise<{ ok: (Answer & { info: DaemonInfo })[]; avoided?: string; errors: FieldError[] }> {
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
      const errors = PoolBackend.never(c, a.member.id, a.info, a.otherEngine);
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
    return { ...this.elsewhere(ok), errors: [] };
  }

  /** One admission attempt: a daemon with room and a budget with room, or the reason it waits. Reads the daemons' load caches. */
  private async tryAdmit(
    c: Configuration,
    request: RunAsk,
    ok: (Answer & { info: DaemonInfo })[],
    signal: AbortSignal,
    runId: string,
  ): Promise<{ member: Member; reason: string } | { wait: string }> {
    const holdings = await eachUnder(signal, ok, (a, signal) => a.member.load.holdingsNow({ signal }).catch(() => undefined));
    // this user's runs of the pool on each daemon (claims and run containers, one per run id, not ended)
    const usage = new Map(ok.map((a, i) => [a.member.id, requests(this.runsOn(a.member.id, holdings[i]).runs)]));
    // a daemon that did not answer counts the runs last seen there (see runsOn)
    for (const m of this.members) if (!usage.has(m.id)) usage.set(m.id, requests(this.runsOn(m.id, undefined).runs));
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

  /**
   * Places the run: waits (queued, first-come per user) until a daemon and the budget have room. A run
   * that `backedOff` goes first in the queue, and is not admitted before `until` (shown with its reason).
   */
  private async place(
    c: Configuration,
    runId: string,
    opts: ProbeOptions,
    members = this.members,
    backedOff?: { reason: string; until: number },
  ): Promise<Capacity> {
    const { signal } = opts;
    // first-come: the place in the queue is taken before anything is asked
    const queue = queueOf(this.spec.name, this.user);
    let wake: () => void = () => undefined;
    const waiter: Waiter = { runId, wake: () => wake() };
    if (backedOff) queue.unshift(waiter);
    else queue.push(waiter);
    const unfollow: (() => void)[] = [];
    let following = false;
    try {
      const { ok, avoided, errors } = await this.feasible(c, signal, members);
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
        const holdMs = backedOff ? backedOff.until - Date.now() : 0;
        const admitted =
          holdMs > 0
            ? { wait: `${backedOff!.reason}; trying again in ${(holdMs / 1000).toFixed(1)} s` }
            : position === 1
              ? await this.tryAdmit(c, request, ok, signal, runId)
              : { wait: `${position - 1} of your runs on this pool before it` };
        if ('member' in admitted) {
          this.chosen = admitted.member;
          this.placement = { daemon: admitted.member.id, reason: avoided ? `${avoided}; ${admitted.reason}` : admitted.reason };
          placedOn(this.spec.name, admitted.member.id).set(runId, request);
          // while the run is placed its daemon's load is recounted too, whatever its event stream says
          this.unkeep?.();
          this.unkeep = admitted.member.load.keepFresh();
          this.holds = runId;
          opts.onQueued?.(undefined);
          opts.onStatus?.(`Placed on daemon "${admitted.member.id}": ${admitted.reason}`);
          return { errors: [], warnings: [] };
        }
        opts.onQueued?.(`queued ${ordinal(position)}: ${admitted.wait}`);
        if (!following) {
          following = true;
          // a run ending anywhere in the pool may make room: wake on each change the daemons' events (or recounts) bring
          for (const a of ok)
            unfollow.push(
              a.member.load.onChange(() => waiter.wake()),
              a.member.load.keepFresh(),
            );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, holdMs > 0 ? Math.min(holdMs, RECHECK_MS) : RECHECK_MS);
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

  /**
   * The feasible daemons without those the run should avoid (a sweep's retry: its attempt was lost there),
   * unless no other is left: a daemon back from a crash may crash again, and an idle one would be chosen first.
   */
  private elsewhere<A extends Answer>(ok: A[]): { ok: A[]; avoided?: string } {
    const avoid = this.avoid;
    const others = avoid ? ok.filter((a) => !avoid.daemons.includes(a.member.id)) : ok;
    if (!avoid || !others.length || others.length === ok.length) return { ok };
    const names = ok.filter((a) => !others.includes(a)).map((a) => `"${a.member.id}"`);
    return { ok: others, avoided: `not on daemon ${names.join(', ')} (${avoid.why})` };
  }

  async probe(c: Configuration, opts: ProbeOptions): Promise<Capacity> {
    // the driver probes before `run(runId)`: the run id is made here and taken by the next run()
    this.runId ??= `pending-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.config = c;
    this.status = opts.onStatus;
    this.queued = opts.onQueued;
    this.avoid = opts.avoid;
    if (this.spec.budgetError) return { errors: [{ field: 'budget', message: this.spec.budgetError }], warnings: [] };
    return this.place(c, this.runId, opts);
  }

  /**
   * True when the chosen daemon has the image, or got it copied from another pool daemon (no registry to
   * pull from; `copyAnyway`: a run placed again after a back-off takes it from where it was).
   */
  async hasImage(ref: string, { signal }: { signal: AbortSignal }, onStatus = this.status, copyAnyway = false): Promise<boolean> {
    const chosen = this.need();
    if (await chosen.backend.hasImage(ref, { signal })) return true;
    // a registry is where the image comes from: the driver pulls it
    if (this.config?.registry && !copyAnyway) return false;
    const others = this.members.filter((m) => m !== chosen);
    const has = await eachUnder(signal, others, (m, signal) => m.backend.hasImage(ref, { signal }).catch(() => false));
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
        if (this.holds === this.runId) this.holds = runId;
      }
    }
    this.runId = runId;
    return (this.current = new PoolRun(this, runId));
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

  /**
   * @internal for PoolRun: a run whose claim backed off (`why`) waits in the queue again, first, for a
   * hold-off that doubles with each back-off (jittered, at most BACKOFF_MAX_MS), then is placed again.
   */
  async waitAgain(c: Configuration, runId: string, signal: AbortSignal, from: Member, why: string, backoffs: number): Promise<Member> {
    placedOn(this.spec.name, from.id).delete(runId);
    const holdMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (backoffs - 1)) * (0.5 + Math.random() / 2);
    const reason = `another window claimed the room at the same moment (${why})`;
    const cap = await this.place(c, runId, { signal, onStatus: this.status, onQueued: this.queued }, this.members, {
      reason,
      until: Date.now() + holdMs,
    });
    if (cap.errors.length) throw new Error(cap.errors.map((e) => e.message).join('; '));
    return this.need();
  }

  /**
   * The user's runs of the pool on a daemon from its containers (expired claims apart). A daemon that did
   * not answer (`undefined`) counts the runs this process last saw there: it may still run them, and
   * counting nothing could let the budget overshoot; they stop counting when it answers again, or when
   * it leaves the pool.
   */
  private runsOn(daemon: string, containers: Iterable<PoolContainer> | undefined): { runs: Map<string, CountedRun>; expired: string[] } {
    const key = `${this.spec.name}\u0000${daemon}\u0000${this.user}`;
    if (!containers) return { runs: lastSeen.get(key) ?? new Map(), expired: [] };
    const found = runsAmong(containers, this.spec.name, this.user);
    lastSeen.set(key, found.runs);
    return found;
  }

  /**
   * @internal for PoolRun: the recount once our claim exists, listed afresh from every daemon of the pool
   * (each within its deadline); claims past their age bound are removed. Why the run backs off, or undefined.
   */
  async recount(ours: OurClaim, request: RunAsk, signal: AbortSignal): Promise<string | undefined> {
    const budget = this.spec.budget;
    if (!budget) return undefined;
    const lists = await eachUnder(signal, this.members, (m, signal) =>
      labelledContainers(m.backend.client, LABELS.pool, this.spec.name, { signal }).catch(() => undefined),
    );
    if (signal.aborted) throw new Error('cancelled');
    const daemons = this.members.map((m, i) => {
      const { runs, expired } = this.runsOn(
        m.id,
        lists[i]?.map((c) => ({ ...c, createdMs: c.createdSec * 1000 })),
      );
      for (const id of expired) void removeContainer(m.backend.client, id).catch(() => undefined);
      return { id: m.id, runs };
    });
    return recountVerdict(ours, daemons, budget, request);
  }

  /**
   * @internal for PoolRun: the daemon holding run `runId`'s container (not its claim), asked of every
   * daemon of the pool at once, each within its deadline.
   */
  async landedOn(runId: string, signal?: AbortSignal): Promise<Member> {
    const answers = await eachUnder(signal, this.members, (m, signal) =>
      labelledContainers(m.backend.client, LABELS.run, runId, { signal }).then(
        (list) => ({ m, has: list.some((c) => c.labels[LABELS.pool] === this.spec.name && c.labels[LABELS.kind] !== 'claim') }),
        (e: Error) => ({ m, has: false, error: e.message }),
      ),
    );
    const found = answers.find((a) => a.has);
    if (found) return found.m;
    const down = answers.flatMap((a) => ('error' in a ? [`${a.m.id}: ${a.error}`] : []));
    throw new Error(
      `run ${runId} has no container on any daemon of pool "${this.spec.name}" (${this.spec.daemons.map((d) => d.id).join(', ')})${down.length ? `; unreachable: ${down.join('; ')}` : ''}: it ended, or its daemon is not reachable.`,
    );
  }

  /**
   * @internal for PoolRun: the run is over; its place frees, and waiting runs re-check. Only a run this
   * back-end placed: one opened for another's run (a shell, a fetch) never frees that run's place.
   */
  released(runId: string): void {
    if (runId !== this.holds) return;
    this.holds = undefined;
    for (const m of this.members) placedOn(this.spec.name, m.id).delete(runId);
    this.unkeep?.();
    this.unkeep = undefined;
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
    const found = await eachUnder(opts?.signal, this.members, (m, signal) =>
      m.backend.findLost(workspaceDir, activeRunIds, { signal }).then(
        (l) => l.map((x) => ({ ...x, id: `${m.id}/${x.id}` })),
        () => [],
      ),
    );
    return found.flat();
  }

  async removeLost(lost: LostRun, opts?: { signal?: AbortSignal }): Promise<void> {
    // `<daemon id>/<id there>` (findLost): a daemon id may hold a slash, a container or image id never does
    const slash = lost.id.lastIndexOf('/');
    const member = this.members.find((m) => m.id === lost.id.slice(0, slash));
    if (!member)
      throw new Error(
        `pool "${this.spec.name}" has no daemon "${lost.id.slice(0, slash)}" any more: remove container ${lost.name} in the Daemons view`,
      );
    await member.backend.removeLost({ ...lost, id: lost.id.slice(slash + 1) }, opts);
  }

  /**
   * From the daemon the run landed on (its record's `placement.daemon`); a record without one (written
   * before it was kept) asks every daemon: gone only when each of them answered and none has it.
   */
  async retrieveKeptOutputs(container: string, outputPath: string, dest: string, opts: KeptOutputsOptions = {}): Promise<RetrievedOutputs> {
    const pool = `pool "${this.spec.name}"`;
    const at = (m: Member) => `daemon "${m.id}" of ${pool} (${m.backend.client.host})`;
    const retry = `The outputs stay in container ${container}: run Fetch Run Outputs again once it answers.`;
    const from = async (m: Member) => {
      try {
        return await m.backend.retrieveKeptOutputs(container, outputPath, dest, opts);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        throw new Error(`Could not fetch the outputs kept on ${at(m)}: ${(e as Error).message}. ${retry}`, { cause: e });
      }
    };
    if (opts.landedOn !== undefined) {
      const m = this.members.find((x) => x.id === opts.landedOn);
      if (!m)
        throw new Error(
          `Run container ${container} is on daemon "${opts.landedOn}", which ${pool} ${this.unknown.includes(opts.landedOn) ? 'names but no daemon entry defines' : 'no longer lists'}: add it back (Daemons view, or the configuration's pool), then run Fetch Run Outputs again.`,
        );
      return from(m);
    }
    const answers = await Promise.all(
      this.members.map((m) =>
        inspectContainer(m.backend.client, container, { signal: opts.signal }).then(
          (): { m: Member; has: boolean; error?: string } => ({ m, has: true }),
          (e: Error) => (isNotFound(e) ? { m, has: false } : { m, has: false, error: e.message }),
        ),
      ),
    );
    const holder = answers.find((a) => a.has);
    if (holder) return from(holder.m);
    const silent = [
      ...answers.flatMap((a) => (a.error ? [`${at(a.m)}: ${a.error}`] : [])),
      ...this.unknown.map((id) => `"${id}": no daemon entry`),
    ];
    if (opts.signal?.aborted) throw new Error(`fetching the outputs of container ${container} was cancelled`);
    if (silent.length)
      throw new Error(
        `Container ${container} is on no daemon of ${pool} that answered; not asked or not answering: ${silent.join('; ')}. ${retry}`,
      );
    return { skipped: [], entries: 0, bytes: 0, removed: false, gone: true };
  }

  dispose(): void {
    // a window closing mid-admission: its claim goes first (best effort; else it expires, see claims.ts)
    const dropping = this.current?.dropClaim() ?? Promise.resolve();
    if (this.holds) this.released(this.holds);
    void dropping.finally(() => {
      for (const m of this.members) {
        m.backend.dispose();
        m.release();
      }
    });
  }
}

/**
 * A pool run: a claim container (never started) holds its place in the budget while the run is set
 * up; once it exists the recount lists every daemon of the pool, and a run beyond the budget (a later
 * claim) backs off into the queue again (claims.ts says why that holds). The run container then goes
 * where the claim is; the claim goes, on every path.
 */
class PoolRun implements RunHandle {
  readonly name: string;
  private inner: RunHandle | undefined;
  private member: Member | undefined;
  /** Where our claim may exist (from just before its create until it is removed). */
  private claimOn: Member | undefined;

  constructor(
    private readonly pool: PoolBackend,
    private readonly runId: string,
  ) {
    this.name = runContainerName(runId);
  }

  private get claimName() {
    return `${this.name}-claim`;
  }

  /** The run's container: the one this handle started, else found by its run label on the pool's daemons (a shell, a stop from elsewhere). */
  private async handle(signal?: AbortSignal): Promise<RunHandle> {
    if (this.inner) return this.inner;
    const member = await this.pool.landedOn(this.runId, signal);
    this.member = member;
    return (this.inner = member.backend.run(this.runId));
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
    for (let replaced = false, backoffs = 0; ;) {
      let backOff: string | undefined;
      try {
        backOff = await this.claim(member, spec.image, labels, request, hooks.signal);
      } catch (e) {
        await this.dropClaim();
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
        continue;
      }
      if (!backOff) break;
      // over the budget once every window's claim is counted: back into the queue, not a claim loop
      await this.dropClaim();
      hooks.onStatus(`Another window claimed the room at the same moment (${backOff}): waiting in the queue again`);
      const from = member;
      member = await this.pool.waitAgain(spec.config, this.runId, hooks.signal, from, backOff, ++backoffs);
      if (member !== from && !(await this.pool.hasImage(spec.image, { signal: hooks.signal }, hooks.onStatus, true)))
        throw new Error(
          `Image ${spec.image} is not on daemon "${member.id}" (where the run was placed after waiting again) and could not be copied from "${from.id}": run again.`,
        );
    }
    this.member = member;
    this.inner = member.backend.run(this.runId);
    return this.inner.start(
      { ...spec, labels },
      {
        ...hooks,
        // the claim is gone before the run is told of its container (and before it starts): with a shared
        // workspace image there is no upload for its removal to overlap with, and a daemon lost right after would keep both
        onCreated: async (id) => {
          await this.dropClaim();
          await hooks.onCreated?.(id);
        },
      },
    );
  }

  /**
   * Creates our claim, waits CLAIM_SETTLE_MS and recounts (claims.ts). Resolves with the claim in place
   * (undefined), or why the run must back off; throws on cancel or failure (the caller removes the claim).
   */
  private async claim(member: Member, image: string, labels: Record<string, string>, request: RunAsk, signal: AbortSignal) {
    // a claim a failed removal left here (one on a daemon that vanished is left to expire)
    if (this.claimOn === member) await this.dropClaim();
    if (signal.aborted) throw new Error('cancelled');
    this.claimOn = member;
    const claimedAt = Date.now();
    // not cancelled mid-request (its deadline holds): a claim the daemon made that we never heard of would be left
    await createClaim(member.backend.client, this.claimName, image, {
      ...labels,
      [LABELS.kind]: 'claim',
      [LABELS.claimedAt]: new Date(claimedAt).toISOString(),
      [LABELS.claimOwner]: claimOwner(),
    });
    if (signal.aborted) throw new Error('cancelled');
    if (!this.pool.budget) return undefined;
    const took = Date.now() - claimedAt;
    // claims made before ours become listable meanwhile (claims.ts)
    if (took < CLAIM_SETTLE_MS) await untilAborted(new Promise((r) => setTimeout(r, CLAIM_SETTLE_MS - took)), signal);
    const ours = { runId: this.runId, daemon: member.id, claimedAt, countEveryClaim: took >= CLAIM_SETTLE_MS };
    const over = await this.pool.recount(ours, request, signal);
    if (over) return over;
    // others stop counting a claim past CLAIM_MAX_AGE_MS: a run container never follows one that old
    if (Date.now() - claimedAt > CLAIM_MAX_AGE_MS / 2)
      return `the admission took more than ${CLAIM_MAX_AGE_MS / 2000} s, its claim could soon stop counting`;
    return undefined;
  }

  /** Removes our claim where it may exist (not found is fine); a failure leaves it to expire (claims.ts). */
  async dropClaim(): Promise<void> {
    const on = this.claimOn;
    if (!on) return;
    try {
      await removeContainer(on.backend.client, this.claimName);
      if (this.claimOn === on) this.claimOn = undefined;
    } catch (e) {
      if (isNotFound(e) && this.claimOn === on) this.claimOn = undefined;
    }
  }

  async wait(follow: AbortSignal) {
    return (await this.handle(follow)).wait(follow);
  }
  async stop(graceSeconds: number) {
    return (await this.handle()).stop(graceSeconds);
  }
  async exec(cmd: string[], opts?: ExecOptions) {
    return (await this.handle(opts?.signal)).exec(cmd, opts);
  }
  async followStats(onStats: (raw: unknown) => void, signal: AbortSignal): Promise<void> {
    return (await this.handle(signal)).followStats(onStats, signal);
  }
  async fetchOutputs(path: string, dest: string, opts?: Parameters<RunHandle['fetchOutputs']>[2]) {
    return (await this.handle(opts?.signal)).fetchOutputs(path, dest, opts);
  }
  async remove(opts?: { signal?: AbortSignal }): Promise<void> {
    try {
      await this.dropClaim();
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
