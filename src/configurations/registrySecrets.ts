import type * as vscode from 'vscode';
import type { RegistryAuth } from '../core';

/** Registry passwords live in SecretStorage under this key, never in settings or logs. */
export const registrySecretKey = (url: string, username: string) => `containerExec.registryPassword:${url}:${username}`;

export async function registryAuth(secrets: vscode.SecretStorage, registry: { url: string; username?: string }): Promise<RegistryAuth> {
  const password = registry.username ? await secrets.get(registrySecretKey(registry.url, registry.username)) : undefined;
  return { serveraddress: registry.url, username: registry.username, password };
}
