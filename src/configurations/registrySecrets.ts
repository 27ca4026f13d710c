import type * as vscode from 'vscode';
import type { Configuration, DaemonSpec, PullDaemon, RegistryAuth } from '../core';
import { prompts } from '../prompts';
import { shadowText } from '../daemons/daemonSources';
import { isWorkspaceConfiguration } from './configurationSources';

/** Registry passwords live in SecretStorage under this key, never in settings or logs. */
export const registrySecretKey = (url: string, username: string) => `containerExec.registryPassword:${url}:${username}`;

/** The user's answer, in globalState: may the stored password of this registry and user go to this daemon for workspace configurations? */
export const registryConsentKey = (url: string, username: string, daemonHost: string) =>
  `containerExec.registryConsent:${url}:${username}:${daemonHost}`;

export const SEND_PASSWORD = 'Send the stored password';
export const KEEP_PASSWORD = 'Do not send it';

export async function registryAuth(secrets: vscode.SecretStorage, registry: { url: string; username?: string }): Promise<RegistryAuth> {
  const password = registry.username ? await secrets.get(registrySecretKey(registry.url, registry.username)) : undefined;
  return { serveraddress: registry.url, username: registry.username, password };
}

/**
 * Why the password may not go to `daemon` unasked: the configuration, or that daemon's definition (by
 * its id now: `spec`), comes from the workspace, or is not the one the pull goes to any more. Undefined:
 * both are the user's own.
 */
function workspaceInput(config: Configuration, daemon: PullDaemon, spec: DaemonSpec | undefined): string | undefined {
  if (isWorkspaceConfiguration(config)) return `configuration ${config.name} comes from workspace settings`;
  if (!spec || spec.daemon.host !== daemon.host)
    return `daemon ${daemon.id} is no longer defined with host ${daemon.host} in your settings`;
  if (spec.source === 'workspace') {
    const shadows = shadowText(spec);
    return `daemon ${daemon.id} comes from workspace settings${shadows ? ` (it ${shadows})` : ''}`;
  }
  return undefined;
}

/**
 * The registry credentials for a push or pull of `config` through `daemon`, the daemon actually contacted
 * (a pool's placed daemon, a swarm's manager, the builder), whose definition now is `spec`. When the
 * configuration or that daemon's definition comes from workspace settings (a cloned repository may define
 * a configuration naming your registry and user, or a daemon under the id of one of yours), the stored
 * password is used only after the user agreed once for that registry, user and daemon host; a refusal
 * stops the operation before anything is sent.
 */
export async function registryAuthFor(
  context: vscode.ExtensionContext,
  config: Configuration,
  daemon: PullDaemon,
  spec: DaemonSpec | undefined,
): Promise<RegistryAuth | undefined> {
  if (!config.registry) return undefined;
  const auth = await registryAuth(context.secrets, config.registry);
  const why = workspaceInput(config, daemon, spec);
  if (!auth.password || !auth.username || !why) return auth;
  const key = registryConsentKey(config.registry.url, auth.username, daemon.host);
  let agreed = context.globalState.get<boolean>(key);
  if (agreed === undefined) {
    const answer = await prompts.choose(
      `Send your stored password for ${auth.username}@${config.registry.url} to daemon ${daemon.id} (${daemon.host})?`,
      `${why[0]!.toUpperCase()}${why.slice(1)}${daemon.why ? `; ${daemon.why}` : ''}. The daemon ${daemon.host} would log in to the registry with it. Your answer is remembered for this registry, user and daemon host.`,
      [SEND_PASSWORD, KEEP_PASSWORD] as const,
    );
    if (answer) await context.globalState.update(key, (agreed = answer === SEND_PASSWORD));
  }
  if (!agreed)
    throw new Error(
      `The stored password for ${auth.username}@${config.registry.url} was not sent to daemon ${daemon.id} (${daemon.host}): ${why} and using the password was declined. Nothing was sent. Define it in your user settings, or answer again after "Container Exec: Reset Registry Password Answers".`,
    );
  return auth;
}

/** Forgets every answer given for workspace configurations; returns how many there were. */
export async function forgetRegistryConsents(context: vscode.ExtensionContext): Promise<number> {
  const keys = context.globalState.keys().filter((k) => k.startsWith('containerExec.registryConsent:'));
  for (const k of keys) await context.globalState.update(k, undefined);
  return keys.length;
}
