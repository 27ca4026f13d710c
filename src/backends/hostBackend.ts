import type * as vscode from 'vscode';
import type { BackendProvider, Configuration, DaemonHub, DaemonSpec, ListKind, RunTarget } from '../core';
import type { ConfigurationItem, ConfigurationSources } from '../configurations/configurationSources';
import type { PoolLoads } from '../configurations/poolLoads';

/** What a kind's provider may ask of the daemons the user has (the Daemons feature). */
export interface HostDaemons {
  spec(id: string): Promise<DaemonSpec | undefined>;
  sources(): Promise<{ specs: DaemonSpec[] }>;
}

/** What a kind's provider may ask of the configurations the user has (the Configurations feature). */
export interface HostConfigurations {
  readonly catalog: { current(): ConfigurationSources };
}

/** A row a kind adds to a tree: its `kind` names the row (`swarm-node`), `part` is the kind's view part that draws it. */
export interface KindRow {
  kind: string;
  part: unknown;
}

/** A kind's group under a connected daemon in the Daemons view (a swarm manager's nodes and runs). */
export interface DaemonsViewPart<R extends KindRow = KindRow> {
  /** The hub's list the group shows, with its label and icon. */
  readonly group: readonly [list: Exclude<ListKind, 'version'>, label: string, icon: string];
  /** Whether daemon `id` shows the group. */
  shows(hub: DaemonHub, id: string): Promise<boolean>;
  /** The group's rows. */
  children(hub: DaemonHub, id: string): Promise<R[]>;
  item(row: R): vscode.TreeItem;
}

/** A kind's rows under a configuration of that kind in the Configurations view (a pool's daemons with their loads). */
export interface ConfigurationsViewPart<R extends KindRow = KindRow> {
  children(item: ConfigurationItem): R[];
  item(row: R, loads: PoolLoads): vscode.TreeItem;
  /** The daemons whose loads rows of this kind show, among the configurations `configs`. */
  loadDaemons(configs: readonly Configuration[]): string[];
}

/** How the Configurations view tells a configuration's target. */
export interface ConfigurationTarget {
  /** The daemon ids it needs (each flagged when missing). */
  daemons: string[];
  /** In the row's description: `local`, `pool a, b`. */
  short: string;
  /** In the tooltip (markdown): `Daemon: \`local\``. */
  long: string;
}

/** An error of the configuration editor's save, on its field. */
export interface EditorError {
  field: string;
  message: string;
}

/**
 * The host-side part of a back-end kind, registered in `HOST_BACKENDS`: how its targets are resolved from the
 * settings, when its lost runs are looked for, its rows in the Daemons and Configurations views and its checks
 * in the configuration editor.
 */
export interface HostBackend {
  /** Its descriptor's kind. */
  readonly kind: string;
  /** The kind's provider, its target ids resolved from the daemons and configurations the user has. */
  provider(daemons: HostDaemons, configurations?: HostConfigurations): BackendProvider;
  /** When daemon `daemonId` (re)connects: the target of this kind it stands for, whose lost runs are then offered for cleanup. */
  lostRunTarget?(hub: DaemonHub, daemonId: string): Promise<RunTarget | undefined>;
  readonly daemonsView?: DaemonsViewPart;
  readonly configurationsView?: ConfigurationsViewPart;
  /** How the Configurations view tells a configuration of this kind's target (default: its daemon). */
  configurationTarget?(c: Configuration): ConfigurationTarget;
  /** The configuration editor's checks on save of a configuration of this kind, against the daemon ids the user has. */
  editorChecks?(config: Configuration, daemonIds: ReadonlySet<string>): EditorError[];
  /** The editor's errors for an entry as the form wrote it, rewritten where this kind words them better. */
  editorEntryErrors?(entry: Record<string, unknown>, errors: EditorError[]): EditorError[];
}
