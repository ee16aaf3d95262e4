import { defineConfig } from 'tsup';

export default defineConfig({
  // node-worker and cluster-worker: the entries of the workers of threads: 'per-node' and
  // 'worker', started by URL beside the chunk that starts them.
  entry: { index: 'src/index.ts', testing: 'src/testing.ts', cli: 'src/cli/main.ts', 'node-worker': 'src/cluster/node-worker.ts', 'cluster-worker': 'src/cluster-worker.ts' },
  format: ['esm', 'cjs'],
  // Both entry points share one copy of the library (a chunk each format's entry files
  // import), so `Cluster` from `tributary-log/testing` is `Cluster` from `tributary-log`
  // and every error is one `TributaryError` class. tsup calls splitting for CommonJS
  // experimental; test/package.test.ts checks the identity on the packed package, in ESM
  // and CommonJS.
  splitting: true,
  // `@internal` declarations are taken out of the published types afterwards, by
  // scripts/strip-internal.mjs (`npm run build`): TypeScript's `stripInternal` would also
  // drop every import that follows a file header saying `@internal`.
  dts: true,
  // No source maps in the package: they were 5.7 MB of its 8.7 MB.
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  shims: true,
});
