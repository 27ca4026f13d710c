import type * as vscode from 'vscode';
import type { ConfigurationsFeature } from './configurations/configurationsFeature';
import type { DaemonsFeature } from './daemons/daemonsFeature';
import type { NotebookFeature } from './notebook/notebookFeature';
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
  /** Notebook controllers and kernels. */
  readonly notebooks: NotebookFeature;
}
