import * as vscode from 'vscode';
import { reached } from '../walkthrough';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  BuildError,
  pathInside,
  CodeEnvSchema,
  ensureCodeEnvImage,
  planCodeEnvImage,
  type BaseImagePlan,
  type CodeEnv,
  type DaemonDescription,
  buildImage,
  inspectImage,
  createDaemonClient,
  planContext,
  pushImage,
  usageDenied,
  type BuildLine,
  type Configuration,
  type DaemonClient,
} from '../core';
import { registryAuthFor } from '../configurations/registrySecrets';
import type { Services } from '../services';
import { settings } from '../settings';
import { C, TaskTerminal } from '../taskTerminal';
import { basePlan, buildingDaemon } from './basePlan';
import { extensionVersion, workspaceDir } from '../workspace';

export const BUILD_TASK_TYPE = 'container-exec-build';
/** The build's notification: its steps and the push. */
type BuildProgress = vscode.Progress<{ message?: string; increment?: number }>;

export interface BuildTaskDefinition extends vscode.TaskDefinition {
  type: typeof BUILD_TASK_TYPE;
  configuration: string;
  target?: 'base' | 'code-env';
  /** With target code-env: the name in containerExec.codeEnvs. */
  codeEnv?: string;
}

/** The task that builds a configuration's base image (definable in tasks.json). */
export function buildTask(s: Services, def: BuildTaskDefinition): vscode.Task {
  const task = new vscode.Task(
    def,
    vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Global,
    def.target === 'code-env' ? `Build code env ${def.codeEnv}: ${def.configuration}` : `Build base image: ${def.configuration}`,
    'Container Exec',
    new vscode.CustomExecution(async (resolved) => new BuildTerminal(s, resolved as BuildTaskDefinition)),
  );
  task.group = vscode.TaskGroup.Build;
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  return task;
}

export class BuildTaskProvider implements vscode.TaskProvider {
  constructor(private readonly s: Services) {}
  provideTasks(): vscode.Task[] {
    return this.s.configurations.catalog
      .current()
      .items.map((i) => buildTask(this.s, { type: BUILD_TASK_TYPE, configuration: i.config.name, target: 'base' }));
  }
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as BuildTaskDefinition;
    return def.configuration ? buildTask(this.s, def) : undefined;
  }
}

/** containerExec.codeEnvs, each entry validated; a bad one is reported by name. */
export function readCodeEnvs(): { envs: CodeEnv[]; errors: string[] } {
  const raw = settings().get<unknown[]>('codeEnvs') ?? [];
  const envs: CodeEnv[] = [];
  const errors: string[] = [];
  for (const [i, entry] of raw.entries()) {
    const r = CodeEnvSchema.safeParse(entry);
    if (r.success) envs.push(r.data);
    else errors.push(`containerExec.codeEnvs[${i}]: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
  }
  return { envs, errors };
}

/**
 * The build as a terminal: the daemon's stream (steps, output, errors in red, CRLF), a summary, and
 * the exit code; the same lines go to the Container Exec log; a progress notification shows step n/m
 * and offers Cancel, as does Ctrl+C or closing the terminal. Never throws: failures end with code 1.
 */
class BuildTerminal extends TaskTerminal {
  constructor(
    private readonly s: Services,
    private readonly def: BuildTaskDefinition,
  ) {
    super();
  }

  /** base image + one layer with the env's requirements; skipped when its content-hash tag exists. */
  private async buildCodeEnv(config: Configuration, daemon: DaemonDescription, base: BaseImagePlan): Promise<number> {
    const { envs, errors } = readCodeEnvs();
    const env = envs.find((e) => e.name === this.def.codeEnv);
    if (!env) {
      return this.failed(
        `Code env "${this.def.codeEnv}" not found in containerExec.codeEnvs${errors.length ? ` (${errors.join('; ')})` : ''}.`,
      );
    }
    const file = path.isAbsolute(env.requirements) ? env.requirements : path.join(workspaceDir(), env.requirements);
    let requirements: string;
    try {
      // a code env from workspace settings may only read a file of the workspace
      const fromWorkspace = settings()
        .inspect<unknown[]>('codeEnvs')
        ?.workspaceValue?.some((e) => (e as { name?: unknown })?.name === env.name);
      if (fromWorkspace) await pathInside(workspaceDir(), env.requirements, `containerExec.codeEnvs "${env.name}" requirements`);
      requirements = await readFile(file, 'utf8');
    } catch (e) {
      if (!(e as NodeJS.ErrnoException).code) return this.failed(e);
      return this.failed(`Code env ${env.name}: cannot read its requirements ${file} (${(e as NodeJS.ErrnoException).code}).`);
    }
    const plan = planCodeEnvImage(env, requirements, {
      tag: base.tag,
      optionsHash: base.optionsHash,
      configuration: config.name,
      extensionVersion: extensionVersion(this.s.context),
    });
    this.line(`${C.bold}Code env ${env.name}${C.reset} on ${base.tag} -> ${plan.tag} (daemon ${daemon.id})`);
    const client = createDaemonClient(daemon);
    try {
      const r = await ensureCodeEnvImage(client, plan, {
        signal: this.abort.signal,
        onLine: (l) =>
          this.line(l.kind === 'step' ? `${C.cyan}${l.text}${C.reset}` : l.kind === 'error' ? `${C.red}${l.text}${C.reset}` : l.text),
      });
      this.line(r.built ? `${C.green}Built ${r.tag}${C.reset}` : `${C.green}Up to date: ${r.tag}${C.reset}`);
      void this.s.daemons.hub.refresh(daemon.id);
      return 0;
    } catch (e) {
      return this.failed(
        this.abort.signal.aborted
          ? 'Build cancelled.'
          : /No such image|not found|pull access/i.test((e as Error).message)
            ? `${(e as Error).message} — build the base image ${base.tag} first (Build Base Image).`
            : e,
      );
    } finally {
      client.dispose();
    }
  }

  /** Each build line to the log and the terminal; a step also advances the notification's progress. */
  private buildLines(name: string, progress: BuildProgress): (l: BuildLine) => void {
    let last = 0;
    return (l: BuildLine) => {
      this.s.log.info(`[build ${name}] ${l.text}`);
      if (l.kind === 'step') {
        this.line(`${C.cyan}${l.text}${C.reset}`);
        progress.report({ message: `step ${l.step!.n}/${l.step!.of}`, increment: ((l.step!.n - last) / l.step!.of) * 100 });
        last = l.step!.n;
      } else this.line(l.kind === 'error' ? `${C.red}${l.text}${C.reset}` : l.kind === 'status' ? `${C.dim}${l.text}${C.reset}` : l.text);
    };
  }

  /** With a registry, the built image is pushed there: remote daemons pull it from it. */
  private async push(
    client: DaemonClient,
    tag: string,
    registry: NonNullable<Configuration['registry']>,
    auth: Awaited<ReturnType<typeof registryAuthFor>>,
    progress: BuildProgress,
  ): Promise<void> {
    progress.report({ message: `pushing to ${registry.url}` });
    this.line(`Pushing ${tag} to ${registry.url}${registry.username ? ` as ${registry.username}` : ''}`);
    await pushImage(client, tag, auth, this.abort.signal, (t) => this.line(`${C.dim}${t}${C.reset}`));
    this.line(`${C.green}Pushed ${tag}${C.reset}`);
  }

  protected async run(): Promise<number> {
    const s = this.s;
    const name = this.def.configuration;
    let config: Configuration;
    try {
      config = s.configurations.catalog.find(name, 'named by the build task');
    } catch (e) {
      return this.failed(e);
    }
    const denied = usageDenied(config, await s.configurations.groups().catch(() => []));
    if (denied) return this.failed(denied);
    // with a registry the builder daemon builds and pushes; without one the configuration's own daemon builds
    const builderId = buildingDaemon(config);
    const spec = await s.daemons.spec(builderId);
    if (!spec)
      return this.failed(
        `Daemon not found: "${builderId}" (configuration ${name}${config.registry ? ', builder daemon' : ''}). Add it in the Daemons view.`,
      );
    let plan: BaseImagePlan;
    let auth: Awaited<ReturnType<typeof registryAuthFor>>;
    try {
      // workspace paths and the registry password are settled before the daemon gets anything
      plan = await basePlan(s.context, config);
      if (this.def.target !== 'code-env') auth = await registryAuthFor(s.context, config, spec.daemon, spec);
    } catch (e) {
      return this.failed(e);
    }
    if (this.def.target === 'code-env') return this.buildCodeEnv(config, spec.daemon, plan);
    this.line(`${C.bold}Building ${plan.tag}${C.reset} for configuration ${name} on ${spec.daemon.id} (${spec.daemon.host})`);
    const ctx = await planContext(plan);
    const client = createDaemonClient(spec.daemon);
    const t0 = Date.now();
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Building ${name}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => this.abort.abort());
          const onLine = this.buildLines(name, progress);
          try {
            const r = await buildImage(client, ctx.packed.stream, {
              tag: plan.tag,
              labels: plan.labels,
              buildArgs: plan.buildArgs,
              dockerfile: ctx.dockerfile,
              signal: this.abort.signal,
              onLine,
            });
            const size = ((await inspectImage(client, plan.tag)).Size / 1e6).toFixed(1);
            this.line(
              `${C.green}Built ${plan.tag}${C.reset} ${C.dim}(${r.imageId.slice(7, 19)}, ${size} MB, ${((Date.now() - t0) / 1000).toFixed(1)} s)${C.reset}`,
            );
            if (config.registry) await this.push(client, plan.tag, config.registry, auth, progress);
            void s.daemons.hub.refresh(spec.daemon.id);
            reached('baseImageBuilt');
            return 0;
          } catch (e) {
            const cancelled = this.abort.signal.aborted;
            s.log.error(`[build ${name}] ${cancelled ? 'cancelled' : (e as Error).message}`);
            return this.failed(cancelled ? 'Build cancelled.' : e instanceof BuildError ? `Build failed: ${e.message}` : e);
          }
        },
      );
    } finally {
      client.dispose();
      await ctx.dispose();
    }
  }
}
