import { createRequire } from 'node:module';

/**
 * Optional native packages, each with a JavaScript fallback.
 *
 * Every native addon Tributary uses (`@node-rs/crc32`, `snappy`, `lz4-napi`,
 * `@mongodb-js/zstd`) is an optional dependency: `npm install --omit=optional`, a platform
 * the addon has no prebuilt binary for, or a bundle that left it out must still load and
 * work, only slower. So each addon is loaded here, synchronously and at most once, and a
 * failure to load is an answer (`undefined`), never an error; the caller then takes its
 * JavaScript path.
 *
 * `TRIBUTARY_NO_NATIVE=1` in the environment makes every load answer `undefined`, so the
 * JavaScript paths can be exercised (and compared) on a machine that has the addons.
 *
 * The specifier is passed to a `require` made by `createRequire`, never to a literal
 * `import`: bundlers leave such a call alone, so an application bundle neither fails to
 * build without the package nor tries to inline a native addon.
 * @internal
 */
export function loadNative<T>(pkg: string): T | undefined {
  if (loaded.has(pkg)) return loaded.get(pkg) as T | undefined;
  let mod: T | undefined;
  if (!nativeDisabled()) {
    try {
      mod = requireFromHere(pkg) as T;
    } catch {
      mod = undefined;
    }
  }
  loaded.set(pkg, mod);
  return mod;
}

/**
 * Loads a pure JavaScript dependency lazily (the fallbacks are only needed when an
 * addon is missing, so they cost nothing to start otherwise).
 * @internal
 */
export function loadDependency<T>(pkg: string): T {
  return requireFromHere(pkg) as T;
}

/**
 * Which optional native packages have been asked for so far, and whether each loaded.
 * @internal
 */
export function nativePackages(): ReadonlyMap<string, boolean> {
  return new Map([...loaded].map(([pkg, mod]) => [pkg, mod !== undefined]));
}

function nativeDisabled(): boolean {
  const flag = process.env['TRIBUTARY_NO_NATIVE'];
  return flag !== undefined && flag !== '' && flag !== '0' && flag !== 'false';
}

const loaded = new Map<string, unknown>();
let requireCache: NodeJS.Require | undefined;

function requireFromHere(pkg: string): unknown {
  requireCache ??= createRequire(import.meta.url);
  return requireCache(pkg);
}
