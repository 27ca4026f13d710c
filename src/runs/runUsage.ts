import * as vscode from 'vscode';
import type { UsageSample, UsageSummary } from '../core';

/** The live window a chart opened mid-run starts with (the whole run is in stats.jsonl). */
const LIVE_WINDOW = 600;

interface Live {
  latest: UsageSample;
  summary: UsageSummary;
  recent: UsageSample[];
  /** When the latest sample came (this machine's clock: the daemon's may differ). */
  receivedAt: number;
}

/** Resource use of the runs going on in this window: the latest sample and peaks (Runs rows), a recent window (charts). */
export class RunUsage implements vscode.Disposable {
  private readonly live = new Map<string, Live>();
  private readonly sampled = new vscode.EventEmitter<{ runId: string; sample: UsageSample }>();
  private readonly ended = new vscode.EventEmitter<string>();
  readonly onDidSample = this.sampled.event;
  readonly onDidEnd = this.ended.event;

  add(runId: string, sample: UsageSample, summary: UsageSummary): void {
    const was = this.live.get(runId);
    const recent = was?.recent ?? [];
    recent.push(sample);
    if (recent.length > LIVE_WINDOW) recent.splice(0, recent.length - LIVE_WINDOW);
    this.live.set(runId, { latest: sample, summary, recent, receivedAt: Date.now() });
    this.sampled.fire({ runId, sample });
  }

  get(runId: string): Live | undefined {
    return this.live.get(runId);
  }

  /** The run's latest sample while its sampling is live (one came within `maxAgeMs`): the Daemons view adds it up. */
  latest(runId: string, maxAgeMs = 10_000): UsageSample | undefined {
    const live = this.live.get(runId);
    return live && Date.now() - live.receivedAt <= maxAgeMs ? live.latest : undefined;
  }

  end(runId: string): void {
    if (this.live.delete(runId)) this.ended.fire(runId);
  }

  dispose(): void {
    this.sampled.dispose();
    this.ended.dispose();
  }
}
