import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonTreeNode } from '../../src/daemons/daemonsTree';
import type { ContainerExecApi } from '../../src/extension';
import type { RunResult } from '../../src/runs/runCommands';
import { need } from '../support/testbed';
import { until } from '../support/until';

describe('Docker Swarm in the extension host (the testbed swarm, real host)', function () {
  this.timeout(120000);
  const config = () => vscode.workspace.getConfiguration('containerExec');
  const ws = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  let api: ContainerExecApi;
  const label = (n: DaemonTreeNode) => String(api.daemons.item(n).label);

  before(async () => {
    api = (await vscode.extensions.getExtension<ContainerExecApi>('container-exec.container-exec')!.activate())!;
    fs.mkdirSync(path.join(ws(), 'recipes'), { recursive: true });
    fs.writeFileSync(
      path.join(ws(), 'recipes', 'on-swarm.py'),
      'import os\nfor i in range(3):\n    print("swarm line", i, flush=True)\nos.makedirs("out", exist_ok=True)\nopen("out/where.txt", "w").write(os.environ["CONTAINER_EXEC_CONFIGURATION"])\n',
    );
    await config().update(
      'daemons',
      [
        { id: 'swarm-m', host: need('DOCKER_SWARM_MANAGER_HOST') },
        { id: 'swarm-w1', host: need('DOCKER_SWARM_WORKER1_HOST') },
        { id: 'swarm-w2', host: need('DOCKER_SWARM_WORKER2_HOST') },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update(
      'configurations',
      [{ name: 'py-swarm', daemon: 'swarm-m', baseImage: need('PYTHON_IMAGE'), swarm: {}, resources: { memory: '64m', cpus: 0.5 } }],
      vscode.ConfigurationTarget.Workspace,
    );
    await config().update('defaultConfiguration', 'py-swarm', vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    for (const key of ['defaultConfiguration', 'configurations', 'daemons'])
      await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('Run Recipe on a swarm configuration: the run targets the swarm, its output is in run.log in order, out/ comes back', async () => {
    const r = await vscode.commands.executeCommand<RunResult>(
      'containerExec.runRecipe',
      vscode.Uri.file(path.join(ws(), 'recipes', 'on-swarm.py')),
    );
    assert.equal(r.exitCode, 0, r.record?.message);
    assert.deepEqual(r.record?.target, { kind: 'docker-swarm', id: 'swarm-m' });
    // issue 23 finding 2: the record names the daemon of the node the task landed on (kept outputs are fetched there)
    assert.ok(['swarm-m', 'swarm-w1', 'swarm-w2'].includes(r.record?.placement?.daemon ?? ''), JSON.stringify(r.record?.placement));
    assert.match(fs.readFileSync(r.record!.logFile, 'utf8'), /swarm line 0\nswarm line 1\nswarm line 2\n/);
    assert.equal(fs.readFileSync(path.join(ws(), '.container-exec', 'runs', r.record!.id, 'out', 'where.txt'), 'utf8'), 'py-swarm');
  });

  it("Daemons view: the manager shows its Swarm Nodes (state, availability, role, CPUs, memory, the GPU worker's generic resource); a worker does not", async () => {
    await vscode.commands.executeCommand('containerExec.daemons.focus');
    const roots = await until('swarm daemons listed', 10000, async () => {
      const r = await api.daemons.children();
      return r.some((n) => n.kind === 'daemon' && n.id === 'swarm-m') ? r : undefined;
    });
    const manager = roots.find((n) => n.kind === 'daemon' && n.id === 'swarm-m')!;
    const groups = await until('manager connected', 10000, async () => {
      const g = await api.daemons.children(manager);
      return g.length === 5 ? g : undefined;
    });
    assert.deepEqual(groups.map(label), ['Info', 'Images', 'Containers', 'Volumes', 'Swarm Nodes']);
    const nodes = (await api.daemons.children(groups[4])).filter((n) => n.kind === 'swarm-node');
    assert.equal(nodes.length, 3);
    const descriptions = nodes.map((n) => String(api.daemons.item(n).description));
    assert.ok(
      descriptions.every((d) => /^ready · active · (manager( \(leader\))?|worker) · \d+ CPUs · [\d.]+ ?\w+ · .*\d+ run tasks?$/.test(d)),
      descriptions.join('\n'),
    );
    assert.equal(descriptions.filter((d) => d.includes('manager (leader)')).length, 1);
    assert.equal(descriptions.filter((d) => d.includes('NVIDIA-GPU×1')).length, 1, descriptions.join('\n'));
    const worker = roots.find((n) => n.kind === 'daemon' && n.id === 'swarm-w1')!;
    const workerGroups = await until('worker connected', 10000, async () => {
      const g = await api.daemons.children(worker);
      return g.length ? g : undefined;
    });
    assert.deepEqual(workerGroups.map(label), ['Info', 'Images', 'Containers', 'Volumes']);
  });

  it('Daemons view: a running swarm run shows under the manager as its run service, its task running on the node docker names', async () => {
    const recipe = 'recipes/swarm-wait.py';
    fs.writeFileSync(path.join(ws(), recipe), 'import time\nprint("waiting", flush=True)\ntime.sleep(120)\n');
    const docker = (...args: string[]) =>
      execFileSync('docker', ['-H', need('DOCKER_SWARM_MANAGER_HOST'), ...args], { encoding: 'utf8' }).trim();
    const running = vscode.commands.executeCommand<RunResult>('containerExec.runRecipe', vscode.Uri.file(path.join(ws(), recipe)));
    try {
      // what the manager says, through the CLI: the run's service and the node its task runs on
      const service = await until('the run service on the manager', 60000, () => {
        const line = docker('service', 'ls', '--filter', `label=container-exec.recipe=${recipe}`, '--format', '{{.ID}} {{.Name}}');
        return line ? { id: line.split(' ')[0]!, name: line.split(' ')[1]! } : undefined;
      });
      const node = await until('its task running', 60000, () => {
        const [hostname, state] = docker('service', 'ps', service.id, '--format', '{{.Node}} {{.CurrentState}}').split('\n')[0]!.split(' ');
        return state === 'Running' ? hostname : undefined;
      });
      // what the Daemons view shows under the manager
      await vscode.commands.executeCommand('containerExec.daemons.focus');
      const manager = await until('swarm-m listed', 10000, async () =>
        (await api.daemons.children()).find((n) => n.kind === 'daemon' && n.id === 'swarm-m'),
      );
      const swarmGroup = await until('the Swarm Nodes group', 10000, async () =>
        (await api.daemons.children(manager)).find((n) => label(n) === 'Swarm Nodes'),
      );
      const row = await until('the run service listed, running', 30000, async () =>
        (await api.daemons.children(swarmGroup)).find(
          (n) => n.kind === 'swarm-run' && label(n) === service.name && String(api.daemons.item(n).description).startsWith('running'),
        ),
      );
      assert.match(String(api.daemons.item(row).description), new RegExp(`^running on ${node} \\(`));
    } finally {
      const run = await until('the running row', 20000, () =>
        api.runs.children().find((n) => n.record.recipe === recipe && n.record.state === 'running'),
      );
      await vscode.commands.executeCommand('containerExec.stopRun', run);
      await running;
    }
  });
});
