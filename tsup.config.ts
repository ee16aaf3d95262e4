import { defineConfig } from 'tsup';

export default defineConfig([{
  // cluster-worker: the entry of the worker of threads: 'worker', started by URL beside
  // the chunk that starts it.
  entry: { index: 'src/index.ts', testing: 'src/testing.ts', cli: 'src/cli/main.ts', 'cluster-worker': 'src/cluster-worker.ts' },
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
}, {
  // node-worker: the entry of each node's worker with threads: 'per-node', bundled alone
  // (no shared chunk) with only what a node needs: no clients, listeners or command line.
  // 551 KB when it was split out (a20de10), 811 KB at session 8: the node's own code grew
  // (esbuild's metafile: protocol/ +93 KB since node-to-node requests are Kafka messages,
  // storage/ +77, node/ +29, broker/ +30), nothing else came in. Three workers load it at
  // a process's first start, from a V8 code cache (cluster/code-cache.ts): 2 ms to
  // deserialize and 5 to run its top level a worker. Nothing crosses to it but plain data
  // and ports, so it needs no class identity with the package's chunk. Not cleaned: the
  // first build cleans dist/ before either writes.
  entry: { 'node-worker': 'src/cluster/node-worker.ts' },
  format: ['esm', 'cjs'],
  splitting: false,
  dts: false,
  sourcemap: false,
  clean: false,
  target: 'node20',
  platform: 'node',
  shims: true,
}]);
