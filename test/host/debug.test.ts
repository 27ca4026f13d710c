import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerExecApi } from '../../src/extension';
import type { DebugSessionEnd } from '../../src/debug/debugAdapter';
import {
  killCrashDaemon,
  need,
  podmanHost,
  podmanPythonImage,
  startCrashDaemon,
  stopCrashDaemon,
  testbedDaemonSettings,
} from '../support/testbed';
import { until } from '../support/until';

interface Dap {
  type: string;
  event?: string;
  command?: string;
  body?: Record<string, unknown>;
}

/** Every DAP message VS Code receives from the adapter, per session (a debug adapter tracker, as any extension can register). */
const seen = new Map<string, Dap[]>();

describe('Debug Recipe in the extension host (real host, real daemons, DAP over an exec stream)', function () {
  this.timeout(240000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const recipe = () => path.join(ws(), 'recipes', 'debugme.py');
  let api: ContainerExecApi;
  let tracker: vscode.Disposable;
  const containersOf = (host: string, runId: string) =>
    execFileSync('docker', ['-H', host, 'ps', '-aq', '--filter', `label=container-exec.run=${runId}`], { encoding: 'utf8' }).trim();

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    tracker = vscode.debug.registerDebugAdapterTrackerFactory('container-exec', {
      createDebugAdapterTracker: (session) => {
        const list: Dap[] = [];
        seen.set(session.id, list);
        return { onDidSendMessage: (m: Dap) => list.push(m) };
      },
    });
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    // line 4 (the print) is where the breakpoint goes: m is 42 there
    fs.writeFileSync(
      recipe(),
      'import os\nn = 6\nm = n * 7\nprint("value", m)\nos.makedirs("out", exist_ok=True)\nopen("out/answer.txt", "w").write(str(m))\n',
    );
    const daemons = testbedDaemonSettings() as { id: string }[];
    // the ssh daemon names an ssh_config file: honoured from user settings only
    await config().update(
      'daemons',
      daemons.filter((d) => d.id === 'ssh'),
      vscode.ConfigurationTarget.Global,
    );
    await config().update(
      'daemons',
      [...daemons.filter((d) => d.id !== 'ssh'), { id: 'podman', host: podmanHost() }],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('stopGraceSeconds', 2, vscode.ConfigurationTarget.Workspace);
    await config().update(
      'configurations',
      [
        { name: 'dbg-local', daemon: 'local', baseImage: need('PYTHON_IMAGE') },
        { name: 'dbg-tls', daemon: 'tls', baseImage: need('PYTHON_IMAGE') },
        { name: 'dbg-ssh', daemon: 'ssh', baseImage: need('PYTHON_IMAGE') },
        { name: 'dbg-podman', daemon: 'podman', baseImage: podmanPythonImage() },
        { name: 'dbg-nodebugpy', daemon: 'local', baseImage: need('BUSYBOX_IMAGE') },
        { name: 'dbg-void', daemon: 'void', baseImage: need('PYTHON_IMAGE') },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
  });
  after(async () => {
    tracker.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await config().update('stopGraceSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('daemons', undefined, vscode.ConfigurationTarget.Global);
  });

  /** Starts a session; resolves with it and the promise of its end (the run's record final). */
  async function start(configuration: string, extra: Record<string, unknown> = {}) {
    const ended = new Promise<DebugSessionEnd>((resolve) => {
      const sub = api.debug.onDidEnd((e) => {
        sub.dispose();
        resolve(e);
      });
    });
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const sub = vscode.debug.onDidStartDebugSession((s) => {
        if (s.type !== 'container-exec') return;
        sub.dispose();
        resolve(s);
      });
    });
    const terminated = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.type !== 'container-exec') return;
        sub.dispose();
        resolve();
      });
    });
    const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: 'container-exec',
      request: 'launch',
      name: `debug on ${configuration}`,
      recipe: 'recipes/debugme.py',
      configuration,
      ...extra,
    });
    return { ok, started, ended, terminated };
  }

  for (const [configuration, daemon, host] of [
    ['dbg-local', 'local', () => need('DOCKER_LOCAL_HOST')],
    ['dbg-tls', 'tls', () => need('DOCKER_TLS_SOCK')],
    ['dbg-ssh', 'ssh', () => need('DOCKER_TCP_SOCK')],
    ['dbg-podman', 'podman', podmanHost],
  ] as const)
    it(`on ${daemon}: a breakpoint set with addBreakpoints stops at its line, evaluate reads a local, continue runs to the end; the run succeeded, out/ came back, no container left`, async () => {
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(recipe()), new vscode.Position(3, 0)))]);
      const { ok, started, ended, terminated } = await start(configuration);
      assert.equal(ok, true);
      const session = await started;
      const stopped = await until('the stopped event', 150000, async () =>
        seen.get(session.id)?.find((m) => m.type === 'event' && m.event === 'stopped'),
      );
      assert.equal(stopped.body?.reason, 'breakpoint');
      const threadId = stopped.body?.threadId as number;
      const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
        stackFrames: { id: number; line: number; source?: { path?: string } }[];
      };
      const top = trace.stackFrames[0]!;
      assert.equal(top.line, 4);
      // the path mapping (workspace folder <-> /workspace) shows the local file
      assert.ok(top.source?.path?.endsWith(recipe()), top.source?.path);
      const value = (await session.customRequest('evaluate', { expression: 'm', frameId: top.id, context: 'watch' })) as { result: string };
      assert.equal(value.result, '42');
      await session.customRequest('continue', { threadId });
      const end = await ended;
      await terminated;
      assert.equal(end.problem, undefined);
      assert.equal(end.record?.state, 'succeeded', end.record?.message);
      assert.equal(end.record?.kind, 'debug');
      assert.deepEqual(end.record?.target, { kind: 'docker-daemon', id: daemon });
      assert.equal(fs.readFileSync(path.join(ws(), '.container-exec', 'runs', end.runId, 'out', 'answer.txt'), 'utf8'), '42');
      assert.match(fs.readFileSync(end.record!.logFile, 'utf8'), /value 42\n/);
      // the recipe's output reached the Debug Console too
      const outputs = seen
        .get(session.id)!
        .filter((m) => m.event === 'output')
        .map((m) => String(m.body?.output));
      // (debugpy sends print()'s pieces as separate output events: "value", " ", "42", "\n")
      assert.ok(outputs.join('').includes('value 42\n'), JSON.stringify(outputs));
      assert.equal(containersOf(host(), end.runId), '');
      const row = api.runs.children().find((n) => n.record.id === end.runId)!;
      assert.match(String(api.runs.item(row).description), /^debug · /);
    });

  it("stopOnEntry: with no breakpoint the session stops on the recipe's first line; continue runs it to the end", async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const { started, ended } = await start('dbg-local', { stopOnEntry: true });
    const session = await started;
    const stopped = await until('the stopped event', 150000, async () => seen.get(session.id)?.find((m) => m.event === 'stopped'));
    assert.equal(stopped.body?.reason, 'entry');
    const threadId = stopped.body?.threadId as number;
    const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
      stackFrames: { line: number; source?: { path?: string } }[];
    };
    assert.equal(trace.stackFrames[0]!.line, 1);
    assert.ok(trace.stackFrames[0]!.source?.path?.endsWith(recipe()), trace.stackFrames[0]!.source?.path);
    await session.customRequest('continue', { threadId });
    const end = await ended;
    assert.equal(end.record?.state, 'succeeded', end.record?.message);
  });

  it('stopping the session stops the run: cancelled, outputs still back, no container left', async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(recipe()), new vscode.Position(5, 0)))]);
    const { started, ended } = await start('dbg-local');
    const session = await started;
    await until('the stopped event', 90000, async () => seen.get(session.id)?.find((m) => m.event === 'stopped'));
    await vscode.debug.stopDebugging(session);
    const end = await ended;
    assert.equal(end.record?.state, 'cancelled', end.record?.message);
    // the recipe made out/ before the breakpoint on line 6: it came back
    assert.ok(fs.existsSync(path.join(ws(), '.container-exec', 'runs', end.runId, 'out')));
    assert.equal(containersOf(need('DOCKER_LOCAL_HOST'), end.runId), '');
  });

  it('no port published on any host: at a breakpoint, docker inspect shows the debug container with no port bindings and no published port', async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(recipe()), new vscode.Position(3, 0)))]);
    const { started, ended } = await start('dbg-local');
    const session = await started;
    await until('the stopped event', 150000, async () => seen.get(session.id)?.find((m) => m.event === 'stopped'));
    // the session's container found by the daemon's own labels and read with the CLI, not the extension's code
    const ids = execFileSync(
      'docker',
      [
        ...['-H', need('DOCKER_LOCAL_HOST'), 'ps', '-q', '--filter', 'label=container-exec.kind=debug'],
        ...['--filter', 'label=container-exec.configuration=dbg-local', '--filter', 'label=container-exec.recipe=recipes/debugme.py'],
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    assert.equal(ids.length, 1, `running debug containers: ${ids.join(', ')}`);
    const [inspected] = JSON.parse(execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'inspect', ids[0]!], { encoding: 'utf8' })) as {
      HostConfig: { PortBindings?: Record<string, unknown> | null; PublishAllPorts?: boolean };
      NetworkSettings: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
    }[];
    await vscode.debug.stopDebugging(session);
    await ended;
    assert.deepEqual(inspected!.HostConfig.PortBindings ?? {}, {}, 'the debug container asks for port bindings');
    assert.equal(inspected!.HostConfig.PublishAllPorts ?? false, false, 'the debug container publishes all its ports');
    const published = Object.entries(inspected!.NetworkSettings.Ports ?? {}).filter(([, bindings]) => bindings?.length);
    assert.deepEqual(published, [], 'ports published on the host');
  });

  it("the daemon stops mid-session (SIGKILLed at a breakpoint): the session ends with the run's daemon-lost message; once the daemon is back its container is found and removed", async () => {
    // the testbed's throwaway crash daemon (never a shared one), with the python image copied in once
    const crash = startCrashDaemon();
    try {
      execFileSync('docker', ['-H', crash, 'image', 'inspect', need('PYTHON_IMAGE')], { stdio: 'ignore' });
    } catch {
      execFileSync(
        'bash',
        ['-c', 'docker -H "$1" save "$3" | docker -H "$2" load -q', 'load', need('DOCKER_LOCAL_HOST'), crash, need('PYTHON_IMAGE')],
        {
          stdio: 'ignore',
        },
      );
    }
    const workspace = (key: string) =>
      (config().inspect<object[]>(key)?.workspaceValue ?? []).filter((e) => !JSON.stringify(e).includes('crash'));
    await config().update(
      'daemons',
      [...workspace('daemons'), { id: 'crash', host: crash, timeoutMs: 5000 }],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update(
      'configurations',
      [...workspace('configurations'), { name: 'dbg-crash', daemon: 'crash', baseImage: need('PYTHON_IMAGE') }],
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(recipe()), new vscode.Position(3, 0)))]);
      const { started, ended, terminated } = await start('dbg-crash');
      const session = await started;
      await until('the stopped event', 150000, async () => seen.get(session.id)?.find((m) => m.event === 'stopped'));
      await killCrashDaemon();
      const killedAt = Date.now();
      const end = await ended;
      await terminated;
      // two missed 2 s heartbeats, each up to the daemon's 5 s deadline, and slack for a loaded machine
      assert.ok(Date.now() - killedAt < 25000, `the session ended ${Date.now() - killedAt} ms after the kill`);
      assert.equal(end.record?.state, 'failed', end.record?.message);
      assert.equal(end.record?.lost, true);
      const lostMessage = new RegExp(
        `^Daemon "crash" \\(${crash.replace(/[/.]/g, '\\$&')}\\) stopped answering mid-run: .*its container will be offered for cleanup when the daemon is back\\.$`,
      );
      assert.match(end.record?.message ?? '', lostMessage);
      assert.equal(end.problem, end.record?.message);
      // the Debug Console said so
      const said = seen
        .get(session.id)!
        .filter((m) => m.event === 'output')
        .map((m) => String(m.body?.output))
        .join('');
      assert.ok(said.includes(end.record!.message!), said);
      // the daemon back: the run's container is still there (a crash leaves it), found by the lost-run cleanup and removed
      startCrashDaemon();
      const left = containersOf(crash, end.runId);
      assert.ok(left, 'the crash left the run container behind');
      const removed = (await vscode.commands.executeCommand<string[]>('containerExec.removeLostRunContainers', 'crash')) ?? [];
      assert.ok(
        removed.some((id) => id.startsWith(left)),
        `removed ${JSON.stringify(removed)}, not ${left}`,
      );
      assert.equal(containersOf(crash, end.runId), '');
    } finally {
      await config().update('configurations', workspace('configurations'), vscode.ConfigurationTarget.Workspace);
      await config().update('daemons', workspace('daemons'), vscode.ConfigurationTarget.Workspace);
      await stopCrashDaemon();
    }
  });

  it('an image without debugpy: the session ends with a message naming the image and the option to add', async () => {
    // busybox has no python at all; a python image without debugpy fails the same way (exit 97 of the bootstrap)
    fs.writeFileSync(path.join(ws(), 'recipes', 'nodebug.py'), 'print("hi")\n');
    const noDebugpy = 'local/python-nodebugpy:test';
    const dir = fs.mkdtempSync(path.join(ws(), '.nodebugpy-'));
    try {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${need('PYTHON_IMAGE')}\nRUN rm -rf /usr/lib/python3/dist-packages/debugpy\n`);
      execFileSync('docker', ['-H', need('DOCKER_LOCAL_HOST'), 'build', '-q', '-t', noDebugpy, dir], { stdio: 'ignore' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await config().update(
      'configurations',
      [...(config().get<object[]>('configurations') ?? []), { name: 'dbg-plain', daemon: 'local', baseImage: noDebugpy }],
      vscode.ConfigurationTarget.Workspace,
    );
    const { ended } = await start('dbg-plain');
    const end = await ended;
    assert.match(end.problem ?? '', /^Image local\/python-nodebugpy:test of configuration dbg-plain has no debugpy .*build\.debugpy/);
    assert.deepEqual(end.debugpyMissing, { configuration: 'dbg-plain', image: noDebugpy });
    assert.equal(end.record?.state, 'failed');
    assert.equal(containersOf(need('DOCKER_LOCAL_HOST'), end.runId), '');
  });

  it('a recipe that is not Python is refused before any run, naming it', async () => {
    fs.writeFileSync(path.join(ws(), 'recipes', 'hello.sh'), 'echo hi\n');
    const count = api.runs.children().length;
    const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
      type: 'container-exec',
      request: 'launch',
      name: 'sh',
      recipe: 'recipes/hello.sh',
      configuration: 'dbg-local',
    });
    assert.equal(ok, false);
    assert.equal(
      api.debug.lastProblem(),
      'recipes/hello.sh is not a Python recipe (it runs with sh): Debug Recipe debugs Python recipes (.py files run by python3) with debugpy. Use Run Recipe for it.',
    );
    assert.equal(api.runs.children().length, count);
  });

  it("the configuration's daemon unreachable: the session ends when the daemon's deadline fires (within 3× its 1500 ms), the daemon and the deadline named (issue 29 finding 7)", async () => {
    const t0 = Date.now();
    const { ended } = await start('dbg-void');
    const end = await ended;
    assert.ok(Date.now() - t0 < 3 * 1500, `took ${Date.now() - t0} ms`);
    assert.equal(end.record?.state, 'failed');
    assert.match(end.problem ?? '', /failed before the debugger attached: .*127\.0\.0\.1:23799.* within 1500 ms/);
  });

  it("the recipe exits before the debugger attaches (a broken debugpy in the workspace shadows the image's): the session says so", async () => {
    const shadow = path.join(ws(), 'debugpy');
    fs.mkdirSync(shadow, { recursive: true });
    fs.writeFileSync(path.join(shadow, '__init__.py'), 'raise SystemExit(5)\n');
    try {
      const { ended } = await start('dbg-local');
      const end = await ended;
      assert.match(end.problem ?? '', /^The recipe exited \(code 5\) before the debugger attached/);
      assert.equal(containersOf(need('DOCKER_LOCAL_HOST'), end.runId), '');
    } finally {
      fs.rmSync(shadow, { recursive: true, force: true });
    }
  });
});
