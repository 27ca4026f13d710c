import * as assert from 'node:assert/strict';
import {
  checkCapacity,
  chooseConfiguration,
  copyName,
  createDaemonClient,
  findConfiguration,
  parseConfigurationSettings,
  parseMemory,
  toHostConfig,
  usageDenied,
  validateConfiguration,
  type DaemonInfo,
} from '../../src/core';
import { mergeFormIntoEntry } from '../../src/shared/configEditorProtocol';
import { need } from '../support/testbed';

const GiB = 1024 ** 3;

describe('execution configuration schema', () => {
  // [what, input, expected error (regex on the message of `field`) or null when valid]
  const table: [string, Record<string, unknown>, [string, RegExp] | null][] = [
    ['minimal', { name: 'small' }, null],
    [
      'every field',
      {
        name: 'gpu.large_1',
        description: 'x',
        daemon: 'tcp',
        baseImage: 'img:1',
        registry: { url: 'r:5000', username: 'u' },
        resources: {
          memory: '2g',
          memoryReservation: '1g',
          memorySwap: '3g',
          cpus: 1.5,
          cpuShares: 512,
          cpusetCpus: '0-1',
          pidsLimit: 100,
          shmSize: '64m',
          ulimits: { nofile: { soft: 1024, hard: 2048 } },
          advanced: { CpuPeriod: 100000, MemorySwappiness: 0 },
        },
        runtime: 'nvidia',
        gpus: 'all',
        gpuCapabilities: ['gpu', 'utility'],
        env: { A_1: 'x' },
        network: 'bridge',
        allowedGroups: ['data'],
      },
      null,
    ],
    ['memory 512m', { name: 'a', resources: { memory: '512m' } }, null],
    ['memory 1.5GiB', { name: 'a', resources: { memory: '1.5GiB' } }, null],
    ['memory as bytes', { name: 'a', resources: { memory: 104857600 } }, null],
    ['swap unlimited', { name: 'a', resources: { memory: '1g', memorySwap: -1 } }, null],
    ['gpus count', { name: 'a', gpus: 2 }, null],
    ['gpus ids', { name: 'a', gpus: ['0', 'GPU-3a2f'] }, null],
    ['pids unlimited', { name: 'a', resources: { pidsLimit: -1 } }, null],
    ['name with space', { name: 'my config' }, ['name', /name must start with a letter or digit/]],
    ['name starting with dash', { name: '-x' }, ['name', /name must start/]],
    ['missing name', {}, ['name', /name/]],
    [
      'memory unit typo',
      { name: 'a', resources: { memory: '2 gigs' } },
      ['resources.memory', /resources\.memory: "2 gigs" is not a size like 512m, 2g or 1\.5GiB/],
    ],
    ['memory below Docker minimum', { name: 'a', resources: { memory: '4m' } }, ['resources.memory', /at least 6m/]],
    ['negative memory', { name: 'a', resources: { memory: '-5m' } }, ['resources.memory', /is not a size/]],
    [
      'reservation above memory',
      { name: 'a', resources: { memory: '1g', memoryReservation: '2g' } },
      ['resources.memoryReservation', /must not exceed resources\.memory/],
    ],
    [
      'swap below memory',
      { name: 'a', resources: { memory: '2g', memorySwap: '1g' } },
      ['resources.memorySwap', /at least resources\.memory/],
    ],
    ['swap without memory', { name: 'a', resources: { memorySwap: '1g' } }, ['resources.memorySwap', /needs resources\.memory/]],
    ['cpus as text', { name: 'a', resources: { cpus: '1.5' } }, ['resources.cpus', /resources\.cpus must be a number of CPUs like 1\.5/]],
    ['cpus zero', { name: 'a', resources: { cpus: 0 } }, ['resources.cpus', /more than 0/]],
    ['cpuShares 1', { name: 'a', resources: { cpuShares: 1 } }, ['resources.cpuShares', /at least 2/]],
    ['cpuset malformed', { name: 'a', resources: { cpusetCpus: '0-' } }, ['resources.cpusetCpus', /like 0-3,5/]],
    ['cpuset reversed', { name: 'a', resources: { cpusetCpus: '3-1' } }, ['resources.cpusetCpus', /like 0-3,5/]],
    ['pids zero', { name: 'a', resources: { pidsLimit: 0 } }, ['resources.pidsLimit', /positive integer, or -1/]],
    [
      'unknown ulimit',
      { name: 'a', resources: { ulimits: { files: { soft: 1, hard: 2 } } } },
      ['resources.ulimits.files', /unknown limit "files"/],
    ],
    [
      'ulimit soft above hard',
      { name: 'a', resources: { ulimits: { nofile: { soft: 10, hard: 5 } } } },
      ['resources.ulimits.nofile', /soft must not exceed hard/],
    ],
    [
      'advanced key not allowed',
      { name: 'a', resources: { advanced: { Privileged: true } } },
      ['resources.advanced.Privileged', /"Privileged" is not an allowed HostConfig resource key/],
    ],
    ['unknown resource key', { name: 'a', resources: { memroy: '1g' } }, ['resources', /unknown setting "memroy"/]],
    ['unknown top-level key', { name: 'a', image: 'x' }, ['(configuration)', /unknown setting "image"/]],
    ['gpus zero', { name: 'a', gpus: 0 }, ['gpus', /gpus must be "none", "all", a count like 2, or a list of device ids/]],
    ['gpus word', { name: 'a', gpus: 'some' }, ['gpus', /gpus must be/]],
    ['gpus empty list', { name: 'a', gpus: [] }, ['gpus', /gpus must be/]],
    ['env bad name', { name: 'a', env: { '1X': 'y' } }, ['env.1X', /"1X" is not a variable name/]],
    ['registry without url', { name: 'a', registry: { url: '' } }, ['registry.url', /registry\.url must not be empty/]],
    ['runtime with space', { name: 'a', runtime: 'nv idia' }, ['runtime', /runtime must be a Docker runtime name/]],
  ];
  for (const [what, input, expected] of table)
    it(`${expected ? 'rejects' : 'accepts'} ${what}`, () => {
      const r = validateConfiguration(input);
      if (!expected) return assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
      assert.ok(!r.ok, 'expected an error');
      const err = r.errors.find((e) => e.field === expected[0]);
      assert.ok(err, `no error on ${expected[0]}: ${JSON.stringify(r.errors)}`);
      assert.match(err.message, expected[1]);
    });

  it('resources.advanced allows DeviceCgroupRules (issue 23): keys that grant (devices, no OOM killer, real-time CPU) are refused naming the field; limits pass', () => {
    for (const [key, value, why] of [
      ['DeviceCgroupRules', ['c *:* rwm'], /is a device permission \(access to host devices\), not a resource limit/],
      ['Devices', [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }], /is a device permission/],
      ['OomKillDisable', true, /is a switch that turns off the OOM killer/],
      ['CpuRealtimeRuntime', 950000, /is a grant of real-time CPU scheduling/],
    ] as const) {
      // as a cloned repository's .vscode/settings.json would carry it
      const [entry] = parseConfigurationSettings([{ name: 'ws', resources: { memory: '64m', advanced: { [key]: value } } }]);
      assert.ok(entry && !entry.ok, `${key} was accepted`);
      assert.match(entry.error, new RegExp(`resources\\.advanced: "${key}" ${why.source}.*a configuration may only set limits there`));
    }
    const limits = validateConfiguration({
      name: 'a',
      resources: { advanced: { CpuQuota: 50000, BlkioWeight: 300, MemorySwappiness: 0 } },
    });
    assert.ok(limits.ok, limits.ok ? '' : JSON.stringify(limits.errors));
    assert.deepEqual(toHostConfig(limits.config), { CpuQuota: 50000, BlkioWeight: 300, MemorySwappiness: 0 });
  });

  it('parses memory like docker run --memory', () => {
    assert.equal(parseMemory('512m'), 512 * 1024 ** 2);
    assert.equal(parseMemory('2g'), 2 * GiB);
    assert.equal(parseMemory('1.5GiB'), 1.5 * GiB);
    assert.equal(parseMemory('100MB'), 100 * 1024 ** 2);
    assert.equal(parseMemory('1024'), 1024);
    assert.equal(parseMemory('2 gigs'), undefined);
  });

  it('turns a configuration into the Engine API HostConfig', () => {
    const r = validateConfiguration({
      name: 'a',
      network: 'none',
      runtime: 'nvidia',
      gpus: 2,
      resources: {
        memory: '1.5g',
        memorySwap: -1,
        cpus: 1.5,
        pidsLimit: 50,
        ulimits: { nofile: { soft: 1, hard: 2 } },
        advanced: { CpuPeriod: 50000 },
      },
    });
    assert.ok(r.ok);
    assert.deepEqual(toHostConfig(r.config), {
      Memory: 1.5 * GiB,
      MemorySwap: -1,
      NanoCpus: 1_500_000_000,
      PidsLimit: 50,
      Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }],
      Runtime: 'nvidia',
      NetworkMode: 'none',
      DeviceRequests: [{ Driver: '', Count: 2, Capabilities: [['gpu']] }],
      CpuPeriod: 50000,
    });
  });

  it('settings: each entry validated alone; duplicate names rejected', () => {
    const raw = [{ name: 'a' }, { name: 'b', resources: { memory: 'lots' } }, { name: 'a', daemon: 'x' }];
    const entries = parseConfigurationSettings(raw);
    assert.deepEqual(
      entries.map((e) => e.ok),
      [true, false, false],
    );
    assert.match((entries[1] as { error: string }).error, /resources\.memory: "lots"/);
    assert.match((entries[2] as { error: string }).error, /Duplicate name "a"/);
    assert.equal(copyName('a', new Set(['a', 'a-copy'])), 'a-copy-2');
  });

  it('exactly one of daemon and pool: an entry giving both is invalid, naming the configuration and both fields', () => {
    const both = validateConfiguration({ name: 'gpu-pool', daemon: 'tcp', pool: ['tls', 'tcp'] });
    assert.ok(!both.ok);
    assert.deepEqual(
      both.errors.map((e) => e.field),
      ['daemon'],
    );
    assert.match(
      both.errors[0]!.message,
      /^daemon and pool: configuration "gpu-pool" gives both "daemon" \("tcp"\) and "pool" \(\["tls","tcp"\]\): give exactly one/,
    );
    // the default daemon is no conflict: a pool alone, or a daemon alone, is valid
    const pool = validateConfiguration({ name: 'gpu-pool', pool: ['tls', 'tcp'] });
    assert.ok(pool.ok && pool.config.pool?.length === 2);
    assert.ok(validateConfiguration({ name: 'one', daemon: 'tcp' }).ok);
    // with other errors, each is reported
    const more = validateConfiguration({ name: 'x', daemon: 'local', pool: ['local'], resources: { memory: 'lots' } });
    assert.ok(!more.ok);
    assert.deepEqual(more.errors.map((e) => e.field).sort(), ['daemon', 'resources.memory']);
    // in the settings list: that entry invalid with the message, the others kept
    const entries = parseConfigurationSettings([
      { name: 'a', pool: ['local'] },
      { name: 'b', daemon: 'local', pool: ['local'] },
    ]);
    assert.deepEqual(
      entries.map((e) => e.ok),
      [true, false],
    );
    assert.match((entries[1] as { error: string }).error, /configuration "b" gives both "daemon" \("local"\) and "pool"/);
    // the editor's target is a daemon or a pool: the one the form sends replaces the other
    assert.deepEqual(mergeFormIntoEntry({ name: 'p', pool: ['local', 'tcp'], x: 1 }, { name: 'p', daemon: 'local' }), {
      name: 'p',
      x: 1,
      daemon: 'local',
    });
    assert.deepEqual(mergeFormIntoEntry({ name: 'p', daemon: 'local', x: 1 }, { name: 'p', pool: ['local', 'tcp'] }), {
      name: 'p',
      x: 1,
      pool: ['local', 'tcp'],
    });
  });

  it('permissions: allowed groups, DSS messages; the choice order; a deleted default is "not found"', () => {
    assert.equal(usageDenied({ name: 'gpu', allowedGroups: [] }, ['users']), undefined);
    assert.equal(usageDenied({ name: 'gpu', allowedGroups: ['ml', 'users'] }, ['users']), undefined);
    assert.match(
      usageDenied({ name: 'gpu', allowedGroups: ['ml'] }, ['users'])!,
      /^No usage permission on configuration gpu \(allowed groups: ml; yours: users\)/,
    );
    assert.deepEqual(chooseConfiguration({ recipe: 'r', projectDefault: 'p', globalDefault: 'g' }), { name: 'r', from: 'recipe' });
    assert.deepEqual(chooseConfiguration({ projectDefault: 'p', globalDefault: 'g' }), { name: 'p', from: 'project default' });
    assert.deepEqual(chooseConfiguration({ explicit: 'e', recipe: 'r' }), { name: 'e', from: 'explicit' });
    assert.throws(() => findConfiguration('gone', [{ name: 'a' }], 'project default'), /Configuration gone not found \(project default/);
  });
});

describe('configuration capacity against a real daemon (/info of the plain-TCP testbed daemon)', () => {
  let info: DaemonInfo;
  before(async () => {
    const client = createDaemonClient({ id: 'tcp', host: need('DOCKER_TCP_HOST') });
    info = await client.info();
    client.dispose();
  });
  const check = (input: Record<string, unknown>) => {
    const r = validateConfiguration({ name: 'cap', daemon: 'tcp', ...input });
    assert.ok(r.ok);
    return checkCapacity(r.config, info);
  };

  it('accepts limits within the daemon (memory below MemTotal, cpus up to NCPU, runtime nvidia)', () => {
    assert.deepEqual(check({ resources: { memory: '64m', cpus: info.cpus }, runtime: 'nvidia', gpus: 'all' }), {
      errors: [],
      warnings: [],
    });
  });
  it('rejects memory above MemTotal', () => {
    const r = check({ resources: { memory: `${Math.ceil(info.memTotalBytes / GiB) + 1}g` } });
    assert.match(r.errors[0]!.message, /resources\.memory \d+g exceeds the memory of daemon "tcp" \(.+\): [\d.]+g/);
  });
  it('rejects cpus above NCPU and cpuset beyond the last CPU', () => {
    const r = check({ resources: { cpus: info.cpus + 1, cpusetCpus: `0-${info.cpus}` } });
    assert.deepEqual(
      r.errors.map((e) => e.field),
      ['resources.cpus', 'resources.cpusetCpus'],
    );
    assert.match(r.errors[0]!.message, new RegExp(`exceeds the ${info.cpus} CPUs`));
  });
  it('rejects a runtime the daemon lacks, naming the ones it has; warns about GPUs without a GPU runtime', () => {
    assert.match(check({ runtime: 'kata' }).errors[0]!.message, /runtime "kata" is not available on daemon "tcp" .*fake.*nvidia/);
    const gpu = validateConfiguration({ name: 'x', gpus: 1 });
    assert.ok(gpu.ok);
    assert.match(checkCapacity(gpu.config, { ...info, runtimes: ['runc'] }).warnings[0]!.message, /no GPU-capable runtime \(runc\)/);
  });
});
