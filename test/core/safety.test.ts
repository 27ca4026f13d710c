import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkRunId,
  explainRegistryFailure,
  newRunId,
  parseDaemonDescription,
  parseHost,
  pathInside,
  planBaseImage,
  prepareRunFolder,
  redactSecrets,
  shellQuote,
  validateConfiguration,
  workspaceConfigurationRefusal,
  workspaceDaemonRefusal,
} from '../../src/core';

/** A workspace folder with a sibling "home" holding a secret, as a cloned repository next to ~/.ssh. */
function sandbox() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'container-exec-safety-'));
  const ws = path.join(root, 'repo');
  const home = path.join(root, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY');
  fs.writeFileSync(path.join(home, '.profile'), 'FROM scratch\n');
  fs.mkdirSync(path.join(ws, 'docker'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'docker', 'Dockerfile'), 'FROM scratch\n');
  return { root, ws, home, dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}

const errorsOf = (input: Record<string, unknown>) => {
  const r = validateConfiguration({ name: 'c', ...input });
  assert.ok(!r.ok, `expected ${JSON.stringify(input)} to be rejected`);
  return r.errors;
};

describe('validation of inputs from settings (field and value named)', () => {
  // [field, input, the value as the message must show it]
  const table: [string, Record<string, unknown>, string][] = [
    ['baseImage', { baseImage: 'debian\nRUN curl evil | sh' }, '"debian\\nRUN curl evil | sh"'],
    ['baseImage', { baseImage: 'my image' }, '"my image"'],
    ['build.from', { build: { from: 'debian:12\nRUN id' } }, '"debian:12\\nRUN id"'],
    ['registry.url', { registry: { url: 'r:5000\nRUN id' } }, '"r:5000\\nRUN id"'],
    ['registry.url', { registry: { url: 'https://r.example.com' } }, '"https://r.example.com"'],
    ['build.pipPackages.0', { build: { pipPackages: ['numpy\nRUN id'] } }, '"numpy\\nRUN id"'],
  ];
  for (const [field, input, shown] of table)
    it(`rejects ${field} = ${shown}`, () => {
      const errors = errorsOf(input);
      const e = errors.find((x) => x.field === field);
      assert.ok(e, `no error on ${field}: ${JSON.stringify(errors)}`);
      assert.ok(e.message.includes(field.replace(/\.\d+$/, '')), `the message names the field: ${e.message}`);
      assert.ok(e.message.includes(shown), `the message shows the value ${shown}: ${e.message}`);
    });

  it('accepts the usual image references and registry addresses', () => {
    for (const c of [
      { baseImage: 'debian:bookworm-slim' },
      { baseImage: '127.0.0.1:5000/local/python:3-bookworm' },
      { baseImage: 'img@sha256:abcd' },
      { registry: { url: 'registry.example.com:5000/team' } },
      { build: { from: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04', pipPackages: ['numpy>=2; python_version > "3.8"', "it's"] } },
    ])
      assert.ok(validateConfiguration({ name: 'c', ...c }).ok, JSON.stringify(c));
  });

  it('pip packages are single-quoted for the RUN shell: $(…), backquotes and quotes stay text (checked by a real sh)', async () => {
    const nasty = ['$(touch /tmp/x)', '`id`', "it's", 'a"b', 'numpy>=2; python_version > "3.8"'];
    const r = validateConfiguration({ name: 'c', build: { pipPackages: nasty } });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const plan = await planBaseImage(r.config, { extensionVersion: '0.0.0', workspaceDir: os.tmpdir() });
    const run = plan.dockerfile.split('\n').find((l) => l.startsWith('RUN python3 -m pip install'))!;
    const args = run.replace('RUN python3 -m pip install --no-cache-dir --break-system-packages ', '');
    assert.equal(args, nasty.map(shellQuote).join(' '));
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${args}`], { encoding: 'utf8' });
    assert.deepEqual(echoed.trimEnd().split('\n'), nasty);
  });

  it('ssh user and host: shell characters and option-like names rejected, naming the value', () => {
    assert.throws(() => parseHost('ssh://a$(touch x)@build-box'), /ssh user "a\$\(touch x\)" may only use letters/);
    assert.throws(() => parseHost('ssh://me;id@build-box'), /ssh user "me;id"/);
    assert.throws(() => parseHost('ssh://me@-oProxyCommand=id'), /ssh host name "-oProxyCommand=id" may only use/);
    assert.throws(() => parseDaemonDescription({ id: 'x', host: 'ssh://`id`@h' }), /Invalid daemon host "ssh:\/\/`id`@h": ssh user "`id`"/);
    assert.deepEqual(parseHost('ssh://deploy.user-1@build-box:2222'), {
      scheme: 'ssh',
      hostname: 'build-box',
      port: 2222,
      user: 'deploy.user-1',
    });
  });

  it('run ids from tasks.json: only the newRunId format', () => {
    checkRunId(newRunId());
    for (const bad of ['../../x', 'x/../../y', '20261128-041502-a3f9/..', ''])
      assert.throws(
        () => checkRunId(bad),
        (e: Error) => e.message.includes('runId') && e.message.includes(`"${bad}"`),
      );
  });

  it('a workspace daemon with ssh.command or ssh.configFile is refused, naming the field and the value', () => {
    const d = parseDaemonDescription({ id: 'evil', host: 'ssh://h', ssh: { command: '/repo/x.sh', configFile: '/repo/cfg' } });
    const why = workspaceDaemonRefusal(d)!;
    assert.match(why, /ssh\.command and ssh\.configFile \("\/repo\/x\.sh", "\/repo\/cfg"\) of daemon "evil" comes from workspace settings/);
    assert.match(
      workspaceDaemonRefusal(parseDaemonDescription({ id: 'e2', host: 'ssh://h', ssh: { configFile: 'cfg' } }))!,
      /ssh\.configFile \("cfg"\)/,
    );
    assert.match(
      workspaceDaemonRefusal(
        parseDaemonDescription({ id: 'e3', host: 'ssh://h/run/podman/podman.sock', ssh: { identityFile: '/repo/key' } }),
      )!,
      /ssh\.identityFile \("\/repo\/key"\) of daemon "e3" comes from workspace settings: it would make VS Code run a program or use a key file the repository chose/,
    );
    assert.equal(workspaceDaemonRefusal(parseDaemonDescription({ id: 'ok', host: 'ssh://h' })), undefined);
  });

  it('a workspace configuration that widens (granting ulimits, unlimited ulimits, host or container network) is refused, naming each field', () => {
    const parsed = (input: Record<string, unknown>) => {
      const r = validateConfiguration({ name: 'wide', ...input });
      assert.ok(r.ok, JSON.stringify(input));
      return r.config;
    };
    const why = workspaceConfigurationRefusal(
      parsed({ resources: { ulimits: { rtprio: { soft: 99, hard: 99 }, nofile: { soft: 1024, hard: -1 } } }, network: 'host' }),
    )!;
    assert.match(why, /resources\.ulimits\.rtprio \(it grants real-time scheduling\)/);
    assert.match(why, /resources\.ulimits\.nofile = -1 \(unlimited is not a limit\)/);
    assert.match(why, /network "host"/);
    assert.match(why, /configuration "wide" comes from workspace settings.*user settings instead/);
    for (const grant of ['nice', 'memlock'])
      assert.match(
        workspaceConfigurationRefusal(parsed({ resources: { ulimits: { [grant]: { soft: 1, hard: 1 } } } }))!,
        new RegExp(grant),
      );
    assert.match(workspaceConfigurationRefusal(parsed({ network: 'container:db' }))!, /network "container:db"/);
    for (const limitsOnly of [
      {},
      { network: 'bridge' },
      { network: 'my-net' },
      { resources: { memory: '1g', ulimits: { nofile: { soft: 512, hard: 1024 } } } },
    ])
      assert.equal(workspaceConfigurationRefusal(parsed(limitsOnly)), undefined, JSON.stringify(limitsOnly));
  });

  it('passwords are redacted: every occurrence, in every registry error branch', () => {
    assert.equal(redactSecrets('p4ss and p4ss again', ['p4ss']), '*** and *** again');
    const auth = { serveraddress: 'r:5001', username: 'u', password: 's3cr3t' };
    for (const daemonSaid of [
      'unauthorized: s3cr3t rejected, s3cr3t',
      'dial tcp: connection refused (s3cr3t)',
      'something else s3cr3t s3cr3t',
    ]) {
      const msg = explainRegistryFailure(new Error(daemonSaid), 'Image push of', 'r:5001/x', auth).message;
      assert.ok(!msg.includes('s3cr3t'), msg);
      assert.equal(msg.split('***').length - 1, daemonSaid.split('s3cr3t').length - 1, msg);
    }
  });
});

describe('workspace paths resolve inside the workspace (real paths)', () => {
  it('pathInside: ../ and symlinks out of the workspace are refused, naming field and value; files inside pass', async () => {
    const s = sandbox();
    try {
      fs.symlinkSync(path.join(s.home, '.ssh'), path.join(s.ws, 'keys'));
      await assert.rejects(
        pathInside(s.ws, '../home/.profile', 'build.dockerfile'),
        /build\.dockerfile "\.\.\/home\/\.profile" leads outside the workspace/,
      );
      await assert.rejects(
        pathInside(s.ws, 'keys/id_ed25519', 'build.copyToBuildContext[0]'),
        /build\.copyToBuildContext\[0\] "keys\/id_ed25519" leads outside the workspace \(.*home\/\.ssh\/id_ed25519/,
      );
      await assert.rejects(pathInside(s.ws, path.join(s.home, '.profile'), 'f'), /leads outside/);
      assert.equal(await pathInside(s.ws, 'docker/Dockerfile', 'f'), fs.realpathSync(path.join(s.ws, 'docker/Dockerfile')));
      assert.equal(await pathInside(s.ws, 'not/yet/there', 'f'), path.join(fs.realpathSync(s.ws), 'not/yet/there'));
    } finally {
      s.dispose();
    }
  });

  it('planBaseImage of a workspace configuration refuses dockerfile, fragments and copied files outside the workspace before reading any', async () => {
    const s = sandbox();
    try {
      fs.symlinkSync(path.join(s.home, '.ssh', 'id_ed25519'), path.join(s.ws, 'innocent.txt'));
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ dockerfile: '../home/.profile' }, /build\.dockerfile of configuration c "\.\.\/home\/\.profile" leads outside/],
        [{ dockerfilePrepend: '../home/.profile' }, /build\.dockerfilePrepend of configuration c "\.\.\/home\/\.profile"/],
        [
          { dockerfileAppend: path.join(s.home, '.profile') },
          /build\.dockerfileAppend of configuration c ".*home\/\.profile" leads outside/,
        ],
        [
          { copyToBuildContext: ['docker/Dockerfile', '../home/.ssh/id_ed25519'] },
          /build\.copyToBuildContext\[1\] of configuration c "\.\.\/home\/\.ssh\/id_ed25519"/,
        ],
        [{ copyToBuildContext: ['innocent.txt'] }, /build\.copyToBuildContext\[0\] of configuration c "innocent\.txt" leads outside/],
      ];
      for (const [build, expected] of cases) {
        const r = validateConfiguration({ name: 'c', build });
        assert.ok(r.ok);
        await assert.rejects(planBaseImage(r.config, { extensionVersion: '0', workspaceDir: s.ws, confined: true }), expected);
        // a user-settings configuration is the user's own choice: the same options plan
        await planBaseImage(r.config, { extensionVersion: '0', workspaceDir: s.ws });
      }
      const ok = validateConfiguration({ name: 'c', build: { dockerfile: 'docker/Dockerfile' } });
      assert.ok(ok.ok);
      const plan = await planBaseImage(ok.config, { extensionVersion: '0', workspaceDir: s.ws, confined: true });
      assert.equal(plan.context?.dir, path.join(s.ws, 'docker'));
    } finally {
      s.dispose();
    }
  });
});

describe('run folder (core)', () => {
  it('a committed .container-exec symlink pointing outside the workspace is refused before anything is written through it', async () => {
    const s = sandbox();
    try {
      const outside = path.join(s.root, 'elsewhere');
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(s.ws, '.container-exec'));
      const id = newRunId();
      await assert.rejects(
        prepareRunFolder(s.ws, id),
        (e: Error) =>
          /run folder ".*\.container-exec\/runs\/.*" leads outside the workspace/.test(e.message) && e.message.includes(outside),
      );
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing was created through the link');
      // runs/ itself a link, and run.log a link inside a real run folder: refused too
      fs.rmSync(path.join(s.ws, '.container-exec'));
      fs.mkdirSync(path.join(s.ws, '.container-exec'));
      fs.symlinkSync(outside, path.join(s.ws, '.container-exec', 'runs'));
      await assert.rejects(prepareRunFolder(s.ws, id), /leads outside the workspace/);
      assert.deepEqual(fs.readdirSync(outside), []);
      fs.rmSync(path.join(s.ws, '.container-exec', 'runs'));
      fs.mkdirSync(path.join(s.ws, '.container-exec', 'runs', id), { recursive: true });
      fs.symlinkSync(path.join(outside, 'log'), path.join(s.ws, '.container-exec', 'runs', id, 'run.log'));
      await assert.rejects(prepareRunFolder(s.ws, id), /run\.log is a symbolic link/);
      assert.deepEqual(fs.readdirSync(outside), []);
      // a bad run id never becomes a path
      await assert.rejects(prepareRunFolder(s.ws, '../../x'), /runId "\.\.\/\.\.\/x" is not a run id/);
      // and a plain workspace gets its folder
      const other = newRunId();
      assert.equal(await prepareRunFolder(s.ws, other), path.join(s.ws, '.container-exec', 'runs', other));
      assert.ok(fs.statSync(path.join(s.ws, '.container-exec', 'runs', other)).isDirectory());
    } finally {
      s.dispose();
    }
  });
});
