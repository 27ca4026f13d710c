// Six bundles: dist/extension.js (node, cjs, `vscode` external), dist/outputWorker.js and dist/packWorker.js
// (its worker threads: output, upload packing), dist/webview.js, dist/usageChart.js (+ .css: uPlot's) and
// dist/sweepTable.js (browser, iife).
// node esbuild.mjs [--production] [--watch]
import * as fs from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').Plugin} */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log(`[watch] build started (${build.initialOptions.outfile})`));
    build.onEnd((r) => {
      for (const { text, location } of r.errors)
        console.error(`✘ [ERROR] ${text}\n    ${location?.file}:${location?.line}:${location?.column}:`);
      console.log(`[watch] build finished (${build.initialOptions.outfile})`);
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
  plugins: watch ? [problemMatcher] : [],
};

const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  // packages dockerode requires but we never use (see src/core/unbundled.ts): not shipped, not loaded
  alias: Object.fromEntries(['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'].map((p) => [p, './src/core/unbundled.ts'])),
  // any other optional native addon must not break the bundle: it resolves to an empty module
  loader: { '.node': 'empty' },
};

const contexts = await Promise.all([
  esbuild.context({ ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' }),
  // the worker thread that reads a run's output off the extension host's thread (src/core/run/outputThread.ts)
  esbuild.context({ ...node, entryPoints: ['src/core/run/outputWorker.ts'], outfile: 'dist/outputWorker.js' }),
  // the worker thread that packs a workspace's upload tar off the extension host's thread (src/core/run/workspaceArchive.ts)
  esbuild.context({ ...node, entryPoints: ['src/core/run/packWorker.ts'], outfile: 'dist/packWorker.js' }),
  esbuild.context({
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
  // the resource-usage chart (uPlot and its stylesheet, bundled: the webview loads nothing from elsewhere)
  esbuild.context({
    ...common,
    entryPoints: ['webview/usage/main.ts'],
    outfile: 'dist/usageChart.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
  // a sweep's results table (a plain HTML table themed with --vscode-* colours)
  esbuild.context({
    ...common,
    entryPoints: ['webview/sweep/main.ts'],
    outfile: 'dist/sweepTable.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
]);

// the codicon font the webview's components draw their icons with
fs.mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
