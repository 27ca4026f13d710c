import * as vscode from 'vscode';
import { createDaemonClient, pushImage } from '../core';
import { registryAuthFor } from '../configurations/registrySecrets';
import { pickConfiguration } from '../configurations/configurationCommands';
import { withCancellableProgress } from '../progress';
import type { Services } from '../services';
import { executeToEnd } from '../tasks';
import { basePlan, buildingDaemon } from './basePlan';
import { BUILD_TASK_TYPE, buildTask, readCodeEnvs } from './buildTask';

/** The configuration a build command is about: a name (tasks, tests), its tree node, else a pick. */
async function configurationName(s: Services, node: unknown, placeHolder: string): Promise<string | undefined> {
  return typeof node === 'string' ? node : (await pickConfiguration(s, node, placeHolder))?.item.config.name;
}

/** Runs the build task; resolves with its exit code (tests and Build All wait for it). */
function runBuild(s: Services, name: string, codeEnv?: string): Promise<number | undefined> {
  return executeToEnd(
    buildTask(s, { type: BUILD_TASK_TYPE, configuration: name, target: codeEnv ? 'code-env' : 'base', ...(codeEnv ? { codeEnv } : {}) }),
  );
}

export const BUILD_COMMANDS = {
  'containerExec.buildBaseImage': async (s: Services, node?: unknown) => {
    const name = await configurationName(s, node, 'Configuration whose base image to build');
    return name ? runBuild(s, name) : undefined;
  },
  'containerExec.buildAllBaseImages': async (s: Services) => {
    const names = s.configurations.catalog.current().items.map((i) => i.config.name);
    const codes: Record<string, number | undefined> = {};
    for (const name of names) codes[name] = await runBuild(s, name); // one at a time: builds are heavy
    return codes;
  },
  /** Build Code Env Image…: one env on its configurations (all when it names none). Returns exit codes by configuration. */
  'containerExec.buildCodeEnvImage': async (s: Services, envName?: string, configuration?: string) => {
    const { envs, errors } = readCodeEnvs();
    if (errors.length) void vscode.window.showWarningMessage(errors.join(' · '));
    const name =
      envName ??
      (
        await vscode.window.showQuickPick(
          envs.map((e) => ({ label: e.name, description: e.requirements })),
          { placeHolder: envs.length ? 'Code env to build' : 'No code envs: add one to containerExec.codeEnvs' },
        )
      )?.label;
    const env = envs.find((e) => e.name === name);
    if (!env) return undefined;
    const targets = configuration
      ? [configuration]
      : (env.configurations ?? s.configurations.catalog.current().items.map((i) => i.config.name));
    const codes: Record<string, number | undefined> = {};
    for (const c of targets) codes[c] = await runBuild(s, c, env.name);
    return codes;
  },
  /** Push Base Image: an image already built on the builder daemon, to the configuration's registry. */
  'containerExec.pushBaseImage': async (s: Services, node?: unknown) => {
    const name = await configurationName(s, node, 'Configuration whose base image to push');
    if (!name) return;
    const config = s.configurations.catalog.find(name);
    if (!config.registry)
      throw new Error(`Configuration ${name} has no registry: set one in its editor (Image and registry) to push its base image.`);
    const builder = buildingDaemon(config);
    const spec = await s.daemons.spec(builder);
    if (!spec) throw new Error(`Daemon not found: the builder daemon "${builder}" (containerExec.builderDaemon).`);
    const plan = await basePlan(s.context, config);
    const auth = await registryAuthFor(s.context, config, spec.daemon, spec); // asked before the daemon is
    const client = createDaemonClient(spec.daemon);
    try {
      await withCancellableProgress(`Pushing ${plan.tag}`, async (signal, progress) => {
        await pushImage(client, plan.tag, auth, signal, (line) => {
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
    const name = await configurationName(s, node, 'Configuration whose Dockerfile to show');
    if (!name) return;
    const plan = await basePlan(s.context, s.configurations.catalog.find(name));
    const doc = await vscode.workspace.openTextDocument({ language: 'dockerfile', content: plan.dockerfile });
    await vscode.window.showTextDocument(doc, { preview: true });
    return plan.dockerfile;
  },
};
