import type { RunSpec, SharedWorkspace } from '../backend/backend';
import { uploadWorkspace } from '../backend/docker/dockerDaemonBackend';
import { createDaemonClient, type DaemonClient } from '../daemonClient';
import type { DaemonDescription } from '../daemonDescription';
import { commitContainer, createContainer, removeContainer } from '../engine/containers';
import { removeImage } from '../engine/images';
import { isDaemonError } from '../errors';
import { LABELS, SWEEP_WORKSPACE_KIND, osUser } from '../labels';
import { workspaceLabel } from '../run/recipe';
import { scanWorkspace, type WorkspaceScan } from '../run/workspaceArchive';
import { untilAborted } from '../untilAborted';

/** The repository of a sweep's workspace images: `container-exec-sweep:<sweep id>-<n>`. */
export const SWEEP_WORKSPACE_REPO = 'container-exec-sweep';

interface Prepared {
  daemon: DaemonDescription;
  client: DaemonClient;
  /** The image's id, once committed (rejects when the preparation failed: nothing of it is left). */
  image: Promise<string>;
}

/**
 * A sweep's workspace, uploaded once per daemon its trials land on: a stopped seed container of the run's
 * image gets the workspace (as a run's upload would), is committed into an image and removed; each trial
 * on that daemon starts from the image. A trial's container is its own (copy-on-write: its writes and its
 * out/ are not the other trials'). `dispose` removes the images once the sweep is over.
 */
export class WorkspaceImages implements SharedWorkspace {
  private scanned: Promise<WorkspaceScan> | undefined;
  private readonly prepared = new Map<string, Prepared>();
  private made = 0;

  constructor(
    private readonly o: {
      sweepId: string;
      workspaceDir: string;
      uploadExclude?: string[];
      extensionVersion: string;
      /** The sweep's end (cancel, fail-fast): an upload going on stops; the image is then not made. */
      signal: AbortSignal;
    },
  ) {}

  scan(): Promise<WorkspaceScan> {
    this.scanned ??= scanWorkspace(this.o.workspaceDir, this.o.uploadExclude);
    this.scanned.catch(() => (this.scanned = undefined));
    return this.scanned;
  }

  imageOn(daemon: DaemonDescription, spec: RunSpec, hooks: { signal: AbortSignal; onStatus(text: string): void }): Promise<string> {
    const key = `${daemon.id}\u0000${daemon.host}`;
    let p = this.prepared.get(key);
    if (!p) {
      const client = createDaemonClient(daemon);
      const made: Prepared = { daemon, client, image: this.prepare(client, spec, hooks.onStatus) };
      this.prepared.set(key, (p = made));
      // nothing of a failed preparation is left: the next trial on that daemon tries again
      made.image.catch(() => {
        if (this.prepared.get(key) === made) this.prepared.delete(key);
        client.dispose();
      });
    }
    // a trial cancelled alone stops waiting; the image goes on for the others
    return untilAborted(p.image, hooks.signal);
  }

  private async prepare(client: DaemonClient, spec: RunSpec, onStatus: (text: string) => void): Promise<string> {
    const { signal, sweepId } = this.o;
    const tag = `${sweepId}-${++this.made}`;
    onStatus(`Uploading the workspace once for the sweep's trials on daemon "${client.daemon.id}" (image ${SWEEP_WORKSPACE_REPO}:${tag})`);
    const seed = await createContainer(client, {
      name: `container-exec-sweep-${tag}`,
      Image: spec.image,
      Cmd: ['true'], // never started: an image without a command is fine too
      WorkingDir: spec.workingDir,
      Labels: {
        [LABELS.run]: sweepId,
        [LABELS.kind]: SWEEP_WORKSPACE_KIND,
        [LABELS.workspace]: workspaceLabel(this.o.workspaceDir),
        [LABELS.version]: this.o.extensionVersion,
        [LABELS.user]: osUser(),
      },
    });
    try {
      await uploadWorkspace(client, seed, spec, signal, onStatus);
      if (signal.aborted) throw new Error('cancelled');
      // not cancelled mid-request (its deadline holds, longer for a large workspace): an image the daemon made that we never heard of would be left
      const timeoutMs = client.daemon.timeoutMs * 2 + spec.workspace.scan.bytes / 1000;
      return await commitContainer(client, seed, { repo: SWEEP_WORKSPACE_REPO, tag }, { timeoutMs });
    } finally {
      await removeContainer(client, seed).catch(() => undefined);
    }
  }

  /**
   * Removes the images made (after the preparations going on ended); an image a kept trial container
   * still uses, or on a daemon that no longer answers, stays: the warnings say which and how to remove it.
   */
  async dispose(): Promise<string[]> {
    const warnings: string[] = [];
    await Promise.all(
      [...this.prepared.values()].map(async ({ daemon, client, image }) => {
        const id = await image.catch(() => undefined);
        if (!id) return; // failed: its client went with it
        try {
          await removeImage(client, id);
        } catch (e) {
          const inUse = isDaemonError(e) && e.status === 409;
          const why = inUse ? 'a kept container of a trial uses it' : (e as Error).message;
          // not in use: it is found with the lost runs' containers once the daemon answers (runs/lostRuns.ts)
          const then = inUse
            ? `remove it with "docker rmi ${id.slice(7, 19)}" once that is over`
            : 'it is offered for removal with the containers of lost runs when the daemon answers again';
          warnings.push(`The sweep's workspace image ${id.slice(7, 19)} stays on daemon "${daemon.id}" (${why}): ${then}.`);
        } finally {
          client.dispose();
        }
      }),
    );
    this.prepared.clear();
    return warnings;
  }
}
