import { targetOf, type Configuration } from '../core';
import type { ConfigurationTarget, ConfigurationsViewPart, DaemonsViewPart, EditorError, HostBackend, KindRow } from './hostBackend';
import { dockerDaemonHost } from './docker';
import { poolHost } from './pool';
import { swarmHost } from './swarm';

/** One host-side table of back-end kinds, one line each (the core's list is `BACKEND_DESCRIPTORS`). */
const KINDS = [dockerDaemonHost, swarmHost, poolHost] as const satisfies readonly HostBackend[];
export const HOST_BACKENDS: readonly HostBackend[] = KINDS;

/** The host part of a kind; undefined for a kind this version does not know. */
export const hostBackendOf = (kind: string): HostBackend | undefined => HOST_BACKENDS.find((b) => b.kind === kind);

type Backend = (typeof KINDS)[number];
type DaemonsRowOf<P> = P extends DaemonsViewPart<infer R> ? R : never;
type ConfigurationsRowOf<P> = P extends ConfigurationsViewPart<infer R> ? R : never;
/** The rows the kinds add to the Daemons view (a swarm's nodes and runs). */
export type DaemonsKindRow = DaemonsRowOf<Extract<Backend, { daemonsView: unknown }>['daemonsView']>;
/** The rows the kinds add to the Configurations view (a pool's daemons). */
export type ConfigurationsKindRow = ConfigurationsRowOf<Extract<Backend, { configurationsView: unknown }>['configurationsView']>;

/** The kinds' Daemons-view groups, in table order. */
export const DAEMONS_VIEW_PARTS: readonly DaemonsViewPart[] = HOST_BACKENDS.flatMap((b) => (b.daemonsView ? [b.daemonsView] : []));

/** A kind's group's rows under daemon `id`. */
export const daemonsRows = (part: DaemonsViewPart, hub: Parameters<DaemonsViewPart['children']>[0], id: string) =>
  part.children(hub, id) as Promise<DaemonsKindRow[]>;

/** A kind's row in the Daemons view, drawn by its kind. */
export const daemonsRowItem = (row: DaemonsKindRow) => (row.part as DaemonsViewPart<KindRow>).item(row);

/** A configuration's rows of its kind (a pool's daemons); none for a kind that adds none. */
export const configurationRows = (item: Parameters<ConfigurationsViewPart['children']>[0]) =>
  (hostBackendOf(targetOf(item.config).kind)?.configurationsView?.children(item) ?? []) as ConfigurationsKindRow[];

/** A kind's row in the Configurations view, drawn by its kind. */
export const configurationsRowItem = (row: ConfigurationsKindRow, loads: Parameters<ConfigurationsViewPart['item']>[1]) =>
  (row.part as ConfigurationsViewPart<KindRow>).item(row, loads);

/** The daemons whose loads the Configurations view shows (a pool's daemons). */
export const loadDaemons = (configs: readonly Configuration[]): Set<string> =>
  new Set(HOST_BACKENDS.flatMap((b) => b.configurationsView?.loadDaemons(configs) ?? []));

/** A configuration's target as the Configurations view tells it: its kind's words, by default its daemon. */
export const configurationTarget = (c: Configuration): ConfigurationTarget =>
  hostBackendOf(targetOf(c).kind)?.configurationTarget?.(c) ?? { daemons: [c.daemon], short: c.daemon, long: `Daemon: \`${c.daemon}\`` };

/** Whether a configuration's row opens on rows of its kind (a pool's daemons). */
export const hasConfigurationRows = (c: Configuration): boolean => Boolean(hostBackendOf(targetOf(c).kind)?.configurationsView);

/** The editor's errors of an entry as the form wrote it: the schema's, as each kind words them. */
export const editorEntryErrors = (entry: Record<string, unknown>, errors: EditorError[]): EditorError[] =>
  HOST_BACKENDS.reduce((all, b) => b.editorEntryErrors?.(entry, all) ?? all, errors);

/** The editor's checks of a valid configuration, by its kind, against the daemon ids the user has. */
export const editorChecks = (c: Configuration, daemonIds: ReadonlySet<string>): EditorError[] =>
  hostBackendOf(targetOf(c).kind)?.editorChecks?.(c, daemonIds) ?? [];
