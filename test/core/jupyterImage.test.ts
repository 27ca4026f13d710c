import * as assert from 'node:assert/strict';
import { planBaseImage, validateConfiguration } from '../../src/core';

describe('Notebooks: the build.jupyter base-image option (pure)', () => {
  it('build.jupyter adds ipykernel to the generated Dockerfile when the image lacks it (pip when it has pip, else Debian python3-ipykernel)', async () => {
    const r = validateConfiguration({ name: 'nb', build: { jupyter: true } });
    assert.ok(r.ok);
    const plan = await planBaseImage(r.config, { extensionVersion: '1', workspaceDir: '/' });
    assert.match(
      plan.dockerfile,
      /^RUN python3 -c 'import ipykernel' 2>\/dev\/null \|\| python3 -m pip install --no-cache-dir --break-system-packages ipykernel \|\| \(apt-get update && apt-get install -y --no-install-recommends python3-ipykernel && rm -rf \/var\/lib\/apt\/lists\/\*\)$/m,
    );
    const off = validateConfiguration({ name: 'nb' });
    assert.ok(off.ok);
    assert.equal(off.config.build.jupyter, false);
    assert.doesNotMatch((await planBaseImage(off.config, { extensionVersion: '1', workspaceDir: '/' })).dockerfile, /ipykernel/);
  });

  it('build.jupyter must be a boolean: the error names the field', () => {
    const r = validateConfiguration({ name: 'nb', build: { jupyter: 'yes' } });
    assert.ok(!r.ok);
    assert.match(r.errors.map((e) => `${e.field} ${e.message}`).join('; '), /build\.jupyter/);
  });
});
