import type { ExecutionBackend, RunTarget } from './backend';

/** Opens back-ends of one kind: resolves a target id (a daemon id) into a back-end bound to it. */
export interface BackendProvider {
  readonly kind: string;
  /** Words for the kind in errors: "daemon". */
  readonly noun: string;
  /** Undefined when no target of that id is known (a daemon removed from the settings). */
  open(id: string): Promise<ExecutionBackend | undefined>;
}

export interface OpenContext {
  context?: string;
  hint?: string;
}

/** One place back-ends register; the run task and the Runs view ask it for the back-end of a target. */
export class BackendRegistry {
  private readonly providers = new Map<string, BackendProvider>();
  private opened = 0;

  /** Back-ends opened and not disposed yet: one left open after its work is a leak (a pool's event streams stay). */
  get openCount(): number {
    return this.opened;
  }

  /** Returns the function that unregisters it. */
  register(provider: BackendProvider): () => void {
    if (this.providers.has(provider.kind)) throw new Error(`A back-end of kind "${provider.kind}" is already registered.`);
    this.providers.set(provider.kind, provider);
    return () => this.providers.delete(provider.kind);
  }

  kinds(): string[] {
    return [...this.providers.keys()];
  }

  /**
   * The back-end of `target`; throws naming the target when its kind or id is unknown. `why.context`
   * says who asked (a configuration, a run), `why.hint` what to do.
   */
  async open(target: RunTarget, why: OpenContext = {}): Promise<ExecutionBackend> {
    const context = why.context ? ` (${why.context})` : '';
    const hint = why.hint ? ` ${why.hint}` : '';
    const provider = this.providers.get(target.kind);
    if (!provider)
      throw new Error(
        `No back-end for targets of kind "${target.kind}"${context}: this version knows ${this.kinds().join(', ') || 'none'}.${hint}`,
      );
    const backend = await provider.open(target.id);
    if (!backend)
      throw new Error(`${provider.noun[0]!.toUpperCase()}${provider.noun.slice(1)} not found: "${target.id}"${context}.${hint}`);
    this.opened++;
    const dispose = backend.dispose.bind(backend);
    let disposed = false;
    backend.dispose = () => {
      if (!disposed) this.opened--;
      disposed = true;
      dispose();
    };
    return backend;
  }

  /** Opens the back-end of `target` for `work`, disposed after it. */
  async with<T>(target: RunTarget, work: (backend: ExecutionBackend) => Promise<T>, why: OpenContext = {}): Promise<T> {
    const backend = await this.open(target, why);
    try {
      return await work(backend);
    } finally {
      backend.dispose();
    }
  }
}
