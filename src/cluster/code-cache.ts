import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
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
 * Read by the calling thread: the bundle once per process (and hashed for the cache's
 * name), the cache file once per worker, both handed to the worker in `workerData`
 * (`bundleBoot`), so a worker does no file I/O and no hashing before it compiles.
 *
 * The bundle is CommonJS, so the worker runs it as Node's CommonJS loader would (the
 * module wrapper, `require` relative to the bundle), whichever format started the
 * cluster: nothing but plain data and ports crosses to a node's worker, so it needs no
 * class identity with the package that started it.
 * @internal
 */
export function codeCacheBoot(bundle: string): { script: string; boot: BundleBoot | undefined } {
  // One folder per user (see `trusted` below: mode 0700, owned by this user, or no cache).
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const dir = process.env.TRIBUTARY_CODE_CACHE === '0' || uid === undefined ? '' : join(tmpdir(), `tributary-log-code-cache-${uid}`);
  const boot = bundleBoot(bundle, dir);
  // Runs in the new worker as an `eval` script (CommonJS: `require` is there).
  const script = `
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');
const { workerData } = require('node:worker_threads');
const file = ${JSON.stringify(bundle)};
// The source and cache the calling thread read (dropped from workerData: the script keeps the source).
const boot = workerData !== null && typeof workerData === 'object' ? workerData[${JSON.stringify(bootDataKey)}] : undefined;
if (boot !== undefined) delete workerData[${JSON.stringify(bootDataKey)}];
const source = boot !== undefined ? boot.source : fs.readFileSync(file, 'utf8');
const cacheFile = boot !== undefined ? boot.cacheFile : undefined;
const cachedData = boot !== undefined ? boot.cachedData : undefined;
const script = new vm.Script(wrap(source), { filename: file, cachedData });
globalThis[Symbol.for('tributary-log.codeCache')] = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
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
  return { script, boot };
}

/**
 * What the calling thread hands a node's worker for its boot, in `workerData` under
 * `bootDataKey`: the bundle's source, the cache file's path, and the cache if there is one.
 * @internal
 */
export interface BundleBoot {
  readonly source: string;
  readonly cacheFile: string | undefined;
  readonly cachedData: Uint8Array | undefined;
}

/** The `workerData` property that carries a node worker's `BundleBoot`. @internal */
export const bootDataKey = '__tributaryBundleBoot';

/** The bundle's source and the name of its cache file, read and hashed once per process (per bundle file). */
let sourceMemo: { bundle: string; source: string; key: string } | undefined;

/**
 * Reads the bundle and its cache in this thread, for the worker. Why here: each worker read
 * the 800 KB bundle and hashed it for the cache's name before it could compile (3-4 ms of
 * CPU each, three per start, measured); read once per process and passed with the cache in
 * `workerData` (a copy each, under 1 ms), a worker's boot took 6 ms less CPU. Undefined
 * (the worker reads the file itself, as before) if the bundle cannot be read here.
 */
function bundleBoot(bundle: string, dir: string): BundleBoot | undefined {
  if (sourceMemo?.bundle !== bundle) {
    let source: string;
    try {
      source = readFileSync(bundle, 'utf8');
    } catch {
      return undefined;
    }
    sourceMemo = { bundle, source, key: createHash('sha1').update(source).digest('hex') };
  }
  const { source, key } = sourceMemo;
  // Compiled code from a file is run as is: only a folder this user alone owns and can
  // write is trusted (a shared temporary folder lets anyone create a folder of this name first).
  if (!trusted(dir)) return { source, cacheFile: undefined, cachedData: undefined };
  const cacheFile = join(dir, `node-worker-${process.versions.v8}-${key}.bin`);
  let cachedData: Uint8Array | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  return { source, cacheFile, cachedData };
}

function trusted(dir: string): boolean {
  if (dir === '' || typeof process.getuid !== 'function') return false;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // there already (checked below), or not creatable (then lstat fails)
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Called by the node worker once its node registered: writes the code cache if this worker was asked to (see `codeCacheBoot`). @internal */
export function writeCodeCacheIfAsked(): void {
  const write = (globalThis as Record<symbol, unknown>)[Symbol.for('tributary-log.writeCodeCache')];
  if (typeof write === 'function') setImmediate(write as () => void);
}
