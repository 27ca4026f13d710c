import * as vscode from 'vscode';
import { createDaemonClient, findConfiguration, planBaseImage, pushImage } from '../core';
import { registryAuth } from '../configurations/registrySecrets';
import type { ConfigurationNode } from '../configurations/configurationsTree';
import type { Services } from '../services';
import { BUILD_TASK_TYPE, buildTask, readCodeEnvs } from './buildTask';

/** The configuration a build command is about: its tree node, else a pick. */
async function configurationName(s: Services, node: unknown): Promise<string | undefined> {
  if (node && typeof node === 'object' && (node as ConfigurationNode).kind === 'configuration') return (node as Extract<ConfigurationNode, { kind: 'configuration' }>).item.config.name;
  if (typeof node === 'string') return node;
  const pick = await vscode.window.showQuickPick(
    s.configurations.tree.current().items.map((i) => ({ label: i.config.name, description: `${i.config.daemon} · ${i.config.baseImage || 'default base image'}` })),
    { placeHolder: 'Configuration whose base image to build' },
  );
  return pick?.label;
}

/** Runs the build task; resolves with its exit code (tests and Build All wait for it). */
async function runBuild(s: Services, name: string, codeEnv?: string): Promise<number | undefined> {
  const execution = await vscode.tasks.executeTask(buildTask(s, { type: BUILD_TASK_TYPE, configuration: name, target: codeEnv ? 'code-env' : 'base', ...(codeEnv ? { codeEnv } : {}) }));
  return new Promise((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === execution) {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
}

export const BUILD_COMMANDS = {
  'containerExec.buildBaseImage': async (s: Services, node?: unknown) => {
    const name = await configurationName(s, node);
    return name ? runBuild(s, name) : undefined;
  },
  'containerExec.buildAllBaseImages': async (s: Services) => {
    const names = s.configurations.tree.current().items.map((i) => i.config.name);
    const codes: Record<string, number | undefined> = {};
    for (const name of names) codes[name] = await runBuild(s, name); // one at a time: builds are heavy
    return codes;
  },
  /** Build Code Env Image…: one env on its configurations (all when it names none). Returns exit codes by configuration. */
  'containerExec.buildCodeEnvImage': async (s: Services, envName?: string, configuration?: string) => {
    const { envs, errors } = readCodeEnvs();
    if (errors.length) void vscode.window.showWarningMessage(errors.join(' · '));
    const name = envName ?? (await vscode.window.showQuickPick(envs.map((e) => ({ label: e.name, description: e.requirements })), { placeHolder: envs.length ? 'Code env to build' : 'No code envs: add one to containerExec.codeEnvs' }))?.label;
    const env = envs.find((e) => e.name === name);
    if (!env) return undefined;
    const targets = configuration ? [configuration] : (env.configurations ?? s.configurations.tree.current().items.map((i) => i.config.name));
    const codes: Record<string, number | undefined> = {};
    for (const c of targets) codes[c] = await runBuild(s, c, env.name);
    return codes;
  },
  /** Push Base Image: an image already built on the builder daemon, to the configuration's registry. */
  'containerExec.pushBaseImage': async (s: Services, node?: unknown) => {
    const name = await configurationName(s, node);
    if (!name) return;
    const config = findConfiguration(name, s.configurations.tree.current().items.map((i) => i.config));
    if (!config.registry) throw new Error(`Configuration ${name} has no registry: set one in its editor (Image and registry) to push its base image.`);
    const builder = vscode.workspace.getConfiguration('containerExec').get<string>('builderDaemon') || 'local';
    const spec = (await s.daemons.sources()).specs.find((d) => d.daemon.id === builder);
    if (!spec) throw new Error(`Daemon not found: the builder daemon "${builder}" (containerExec.builderDaemon).`);
    const plan = await planBaseImage(config, { extensionVersion: String(s.context.extension.packageJSON.version), workspaceDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd() });
    const client = createDaemonClient(spec.daemon);
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pushing ${plan.tag}`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        await pushImage(client, plan.tag, await registryAuth(s.context.secrets, config.registry!), abort.signal, (line) => {
          s.log.info(`[push ${name}] ${line}`);
          progress.report({ message: line });
        });
      });
      void vscode.window.showInformationMessage(`Pushed ${plan.tag}`);
      return plan.tag;
    } finally {
      client.dispose();
    }
  },
  'containerExec.showGeneratedDockerfile': async (s: Services, node?: unknown) => {
    const name = await configurationName(s, node);
    if (!name) return;
    const config = findConfiguration(name, s.configurations.tree.current().items.map((i) => i.config));
    const plan = await planBaseImage(config, { extensionVersion: String(s.context.extension.packageJSON.version), workspaceDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd() });
    const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content: plan.dockerfile });
    await vscode.window.showTextDocument(doc, { preview: true });
    return plan.dockerfile;
  },
};
