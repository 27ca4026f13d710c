import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const BUNDLE = path.join(ROOT, 'dist/extension.js');

describe('extension bundle', () => {
  it('exists (npm run bundle)', () => assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing`));

  it('ships no native addon and none of the packages we replace (ssh2, cpu-features, grpc, protobufjs)', () => {
    const text = fs.readFileSync(BUNDLE, 'utf8');
    assert.doesNotMatch(text, /require\(["'][^"']+\.node["']\)/);
    for (const marker of ['cpufeatures', 'sshcrypto', 'ssh-userauth', 'grpc.max_', 'protobufjs/'])
      assert.ok(!text.includes(marker), `bundle contains ${marker}`);
    assert.ok(text.includes('dial-stdio'), 'the OpenSSH transport is bundled');
  });

  it('loads in plain node without VS Code and exports activate/deactivate', () => {
    const load = (Module as unknown as { _load: (r: string, ...a: unknown[]) => unknown })._load;
    const m = Module as unknown as { _load: typeof load };
    m._load = function (request: string, ...rest: unknown[]) {
      return request === 'vscode' ? {} : load.call(this, request, ...rest);
    };
    try {
      delete require.cache[BUNDLE];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the bundle the way VS Code does
      const ext = require(BUNDLE) as { activate?: unknown; deactivate?: unknown };
      assert.equal(typeof ext.activate, 'function');
      assert.equal(typeof ext.deactivate, 'function');
    } finally {
      m._load = load;
    }
  });
});
