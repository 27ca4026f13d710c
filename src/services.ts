import type * as vscode from 'vscode';
import type { ConfigurationsFeature } from './configurations/configurationsFeature';
import type { DaemonsFeature } from './daemons/daemonsFeature';
import type { OutputChannels } from './outputChannels';
import type { RunsFeature } from './runs/runsFeature';

/** What every UI registration gets. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  /** The "Container Exec" log. */
  readonly log: vscode.LogOutputChannel;
  readonly logChannels: OutputChannels;
  readonly daemons: DaemonsFeature;
  readonly configurations: ConfigurationsFeature;
  readonly runs: RunsFeature;
  /** Notebook kernels' lifecycle, as commands reach it (src/notebook/; an interface here keeps services.ts out of an import cycle). */
  readonly notebooks: NotebookKernels;
}

/** What the notebook commands ask of the notebook feature, for the notebook at `uri`. */
export interface NotebookKernels {
  restart(uri: vscode.Uri): Promise<void>;
  interrupt(uri: vscode.Uri): Promise<void>;
  shutDown(uri: vscode.Uri): Promise<void>;
}
