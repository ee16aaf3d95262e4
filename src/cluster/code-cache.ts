import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How a node's worker loads the node bundle (`dist/node-worker.cjs`) with a V8 code cache,
 * Node 20's way (`vm.Script` with `cachedData`; `module.enableCompileCache()` is Node 22+).
 *
 * Why: every node worker parsed and compiled the 750 KB bundle again (18-22 ms of CPU for
 * the top level alone, then each function as it first ran while the node opened): three
 * per `'per-node'` start, most of a process's first start on a loaded 2-core machine. The
 * cache holds the compiled code of what the node ran up to its registration, so the next
 * worker deserializes instead of compiling.
 *
 * Where: `<os.tmpdir()>/tributary-log-code-cache/node-worker-<V8 version>-<sha1 of the
 * bundle>.bin`, as Node 22's own compile cache and `v8-compile-cache` keep theirs in the
 * temporary folder. A different bundle or V8 gets a different file; a file V8 rejects
 * anyway (flags, a damaged file) is compiled as if absent and written again. Written once,
 * by the first worker that finds none (or a rejected one), after its node registered:
 * temporary file then rename, so a reader never sees half a file. Any error reading or
 * writing it only means compiling as before. `TRIBUTARY_CODE_CACHE=0` turns it off.
 *
 * The bundle is CommonJS, so the worker runs it as Node's CommonJS loader would (the
 * module wrapper, `require` relative to the bundle), whichever format started the
 * cluster: nothing but plain data and ports crosses to a node's worker, so it needs no
 * class identity with the package that started it.
 * @internal
 */
export function codeCacheBoot(bundle: string): string {
  const dir = process.env.TRIBUTARY_CODE_CACHE === '0' ? '' : join(tmpdir(), 'tributary-log-code-cache');
  // Runs in the new worker as an `eval` script (CommonJS: `require` is there).
  return `
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createHash } = require('node:crypto');
const { createRequire, wrap } = require('node:module');
const file = ${JSON.stringify(bundle)};
const dir = ${JSON.stringify(dir)};
const source = fs.readFileSync(file, 'utf8');
let cacheFile;
let cachedData;
if (dir !== '') {
  cacheFile = path.join(dir, 'node-worker-' + process.versions.v8 + '-' + createHash('sha1').update(source).digest('hex') + '.bin');
  try { cachedData = fs.readFileSync(cacheFile); } catch {}
}
const script = new vm.Script(wrap(source), { filename: file, cachedData });
if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
  globalThis[Symbol.for('tributary-log.writeCodeCache')] = () => {
    delete globalThis[Symbol.for('tributary-log.writeCodeCache')];
    try {
      fs.mkdirSync(dir, { recursive: true });
      const tmp = cacheFile + '.' + process.pid + '-' + require('node:worker_threads').threadId + '.tmp';
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {}
  };
}
const module = { exports: {}, id: file, filename: file, loaded: false };
script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
`;
}

/** Called by the node worker once its node registered: writes the code cache if this worker was asked to (see `codeCacheBoot`). @internal */
export function writeCodeCacheIfAsked(): void {
  const write = (globalThis as Record<symbol, unknown>)[Symbol.for('tributary-log.writeCodeCache')];
  if (typeof write === 'function') setImmediate(write as () => void);
}
