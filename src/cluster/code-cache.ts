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
 * Where: `<os.tmpdir()>/tributary-log-code-cache-<uid>/node-worker-<V8 version>-<sha1 of
 * the bundle>.bin`, as Node 22's own compile cache and `v8-compile-cache` keep theirs in the
 * temporary folder. V8 runs what it deserializes, so the folder is used only if this user
 * owns it and nobody else may write it (created 0700; a folder someone else made first,
 * or one open to others, means no cache), and not at all where there are no user ids. A different bundle or V8 gets a different file; a file V8 rejects
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
  // One folder per user (see `trusted` below: mode 0700, owned by this user, or no cache).
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = process.env.TRIBUTARY_CODE_CACHE === '0' || uid === undefined ? '' : join(tmpdir(), `tributary-log-code-cache-${uid}`);
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
// Compiled code from a file is run as is: only a folder this user alone owns and can write
// is trusted (a shared temporary folder lets anyone create a folder of this name first).
const trusted = (d) => {
  if (d === '' || typeof process.getuid !== 'function') return false;
  try { fs.mkdirSync(d, { mode: 0o700 }); } catch {}
  try {
    const st = fs.lstatSync(d);
    return st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o077) === 0;
  } catch { return false; }
};
if (trusted(dir)) {
  cacheFile = path.join(dir, 'node-worker-' + process.versions.v8 + '-' + createHash('sha1').update(source).digest('hex') + '.bin');
  try { cachedData = fs.readFileSync(cacheFile); } catch {}
}
const script = new vm.Script(wrap(source), { filename: file, cachedData });
if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
  globalThis[Symbol.for('tributary-log.writeCodeCache')] = () => {
    delete globalThis[Symbol.for('tributary-log.writeCodeCache')];
    try {
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
