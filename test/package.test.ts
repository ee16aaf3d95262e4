/**
 * The package as a user gets it: `npm pack` (which builds `dist/`), `@arethetypeswrong/cli`
 * and `publint` on the tarball, then the tarball installed by file into two fresh
 * projects in a temporary folder, one with the optional native packages and one with
 * `--omit=optional`, where an ES module and a CommonJS script import `tributary-log` and
 * `tributary-log/testing` by name and use them.
 *
 * What must hold: each class exists once (`Cluster` from either entry point is the same
 * class, an error a cluster from `useCluster` throws is `instanceof TributaryError` from
 * the main entry), in both module formats; and without the native packages the library
 * loads and works on its JavaScript fallbacks (CRC-32C, snappy, lz4, reading zstd).
 *
 * npm resolves the tarball's dependencies through its cache first (`--prefer-offline`;
 * CI's `npm ci` has just filled it), and the registry otherwise.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const stepTimeoutMs = 400_000;
let work: string;
let tarball: string;

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: stepTimeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A fresh project with the tarball installed by file. */
async function project(name: string, npmFlags: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, version: '1.0.0' }));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...npmFlags, tarball], dir);
  return dir;
}

/**
 * The script both projects run, as an ES module or CommonJS: the same body, only the
 * imports differ. It prints one JSON line of findings.
 */
function script(format: 'esm' | 'cjs'): string {
  const imports =
    format === 'esm'
      ? `import * as main from 'tributary-log';\nimport * as testing from 'tributary-log/testing';\nimport { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n`
      : `const main = require('tributary-log');\nconst testing = require('tributary-log/testing');\n`;
  return `${imports}
(async () => {
  const out = { format: '${format}' };
  out.clusterSame = testing.Cluster === main.Cluster;
  // The third entry point of \`exports\`.
  out.packageVersion = require('tributary-log/package.json').version;
  const before = [];
  const after = [];
  const cluster = testing.useCluster({ nodes: 1 }, { before: (fn) => before.push(fn), after: (fn) => after.push(fn) });
  try {
    cluster();
  } catch (err) {
    out.notStartedIsTributaryError = err instanceof main.TributaryError && err.code === 'CLIENT_CLOSED';
  }
  for (const fn of before) await fn();
  try {
    out.startedIsCluster = cluster() instanceof main.Cluster;
    try {
      await cluster().admin().createTopics([{ name: 'no/slashes' }]);
    } catch (err) {
      out.clusterErrorIsTributaryError = err instanceof main.TributaryError && main.isTributaryError(err);
    }
    out.timeoutIsTributaryError = await testing.waitFor(() => false, { timeoutMs: 1 }).catch((err) => err instanceof main.TributaryError);
    // The other module format's copy of the library, in the same process (the dual-package
    // hazard): its errors must still pass this copy's instanceof, and this copy's its.
    const other = ${format === 'esm' ? "require('tributary-log')" : "await import('tributary-log')"};
    let otherError;
    try { await other.encodeBatch([{ value: Buffer.from('z') }], { compression: 'no-such-codec' }); } catch (err) { otherError = err; }
    out.dualCopies = other.TributaryError !== main.TributaryError;
    out.dualInstanceof = otherError instanceof main.TributaryError && main.isTributaryError(otherError) && new main.TributaryError('INVALID_CONFIG', 'x') instanceof other.TributaryError && !(new Error('x') instanceof main.TributaryError);
    const compressions = ['none', 'gzip', 'snappy', 'lz4'];
    try { require.resolve('@mongodb-js/zstd'); compressions.push('zstd'); } catch {}
    out.native = ['@node-rs/crc32', 'snappy', 'lz4-napi', '@mongodb-js/zstd'].filter((pkg) => { try { require.resolve(pkg); return true; } catch { return false; } });
    await cluster().admin().createTopics([{ name: 'orders', partitions: 1 }]);
    for (const compression of compressions) {
      const producer = cluster().producer({ compression });
      // Big enough that the CRC-32C takes its native path when there is one.
      await producer.send('orders', [{ key: compression, value: compression.repeat(200) }, { key: compression, value: 'x' }]);
      await producer.close();
    }
    const values = [];
    for await (const record of cluster().topic('orders', { key: main.serdes.string, value: main.serdes.string }).consume({ from: 'earliest' })) {
      values.push(record.key + ':' + record.value.length);
      if (values.length === compressions.length * 2) break;
    }
    out.consumed = values;
    const zstdBatch = Buffer.from(${JSON.stringify(zstdBatchHex())}, 'hex');
    out.zstdRead = (await main.decodeBatch(zstdBatch)).map((r) => r.value.toString());
    out.zstdWrite = await main.encodeBatch([{ value: Buffer.from('z') }], { compression: 'zstd' }).then(() => 'ok', (err) => err instanceof main.TributaryError ? err.code : String(err));
    // Nodes in workers: the worker entry resolves beside the built chunk, in either module format.
    const perNode = await main.Cluster.start({ nodes: 2, threads: 'per-node' });
    try {
      await perNode.admin().createTopics([{ name: 'in-workers' }]);
      out.perNodeOffset = (await perNode.producer().send('in-workers', [{ value: 'w' }]))[0].offset;
    } finally {
      await perNode.close();
    }
    const inWorker = await main.Cluster.start({ nodes: 1, threads: 'worker' });
    try {
      await inWorker.admin().createTopics([{ name: 'in-a-worker' }]);
      out.workerOffset = (await inWorker.producer().send('in-a-worker', [{ value: 'w' }]))[0].offset;
    } finally {
      await inWorker.close();
    }
  } finally {
    for (const fn of after) await fn();
  }
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;
}

/** A zstd batch of one record, 'written by zstd', made once by the native codec (checked in `beforeAll`). */
let zstdBatch: Buffer | undefined;
function zstdBatchHex(): string {
  return zstdBatch!.toString('hex');
}

/**
 * Runs the check script in ESM, then in CommonJS, each with a temporary folder of its
 * project's own; `codeCache` lists the per-node code cache files there after each run
 * (name and modification time).
 */
async function runScripts(dir: string): Promise<Record<string, unknown>[]> {
  writeFileSync(join(dir, 'check.mjs'), script('esm'));
  writeFileSync(join(dir, 'check.cjs'), script('cjs'));
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const cacheDir = join(tmp, `tributary-log-code-cache-${process.getuid!()}`);
  const results: Record<string, unknown>[] = [];
  for (const file of ['check.mjs', 'check.cjs']) {
    const { stdout } = await sh(process.execPath, [file], dir, { TMPDIR: tmp });
    const codeCache = existsSync(cacheDir) ? readdirSync(cacheDir).map((name) => `${name} ${statSync(join(cacheDir, name)).mtimeMs}`) : [];
    results.push({ ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>), codeCache });
  }
  return results;
}

/**
 * Runs the installed bin's `serve` on free ports, and against it `topics --create`,
 * `produce` (a line on stdin) and `consume --max 1`; then stops `serve` with SIGTERM.
 */
async function servedRoundTrip(bin: string, cwd: string): Promise<{ created: string; consumed: string; serveExit: number | null }> {
  const serve = spawn(bin, ['serve', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const bootstrap = await new Promise<string>((resolve, reject) => {
      serve.stdout.on('data', (d) => {
        out += String(d);
        const line = /^bootstrap\.servers=(\S+)\n/m.exec(out);
        if (line !== null) resolve(line[1]!);
      });
      serve.on('exit', (code) => reject(new Error(`serve exited ${code} before it was ready`)));
    });
    const created = (await sh(bin, ['topics', '--bootstrap-server', bootstrap, '--create', 'cli'], cwd)).stdout;
    const produce = spawn(bin, ['produce', 'cli', '--bootstrap-server', bootstrap, '--key-separator', ':'], { cwd, stdio: ['pipe', 'ignore', 'inherit'] });
    produce.stdin.end('k:v\n');
    const [produced] = (await once(produce, 'exit')) as [number | null];
    expect(produced).toBe(0);
    const consumed = (await sh(bin, ['consume', 'cli', '--bootstrap-server', bootstrap, '--from', 'earliest', '--max', '1', '--format', '%k=%s\n'], cwd)).stdout;
    const exited = once(serve, 'exit') as Promise<[number | null]>;
    serve.kill('SIGTERM');
    const [serveExit] = await exited;
    return { created, consumed, serveExit };
  } finally {
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  }
}

describe('the packed package', () => {
  beforeAll(async () => {
    const { encodeBatch } = await import('../src/record/codecs/index.js');
    zstdBatch = await encodeBatch([{ value: Buffer.from('written by zstd') }], { compression: 'zstd' });
    work = mkdtempSync(join(tmpdir(), 'tributary-package-'));
    const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work], root);
    const [packed] = JSON.parse(stdout.slice(stdout.search(/^\[$/m))) as { filename: string; size: number; files: { path: string }[] }[];
    tarball = join(work, packed!.filename);
  }, stepTimeoutMs);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships no source maps, no internal declarations, and every file `files` names', async () => {
    const { stdout } = await sh('tar', ['-tzf', tarball], work);
    const files = stdout.trim().split('\n');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/CHANGELOG.md', 'package/dist/index.js', 'package/dist/index.cjs', 'package/dist/testing.js', 'package/dist/testing.cjs']));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
    for (const entry of pkg.files) expect(existsSync(join(root, entry)), entry).toBe(true);
    await sh('tar', ['-xzf', tarball, '-C', work, 'package/dist'], work);
    // No member marked @internal is left, and a top-level declaration marked so stays only
    // while something else in its file names it (a public signature uses it).
    const leftovers: string[] = [];
    for (const dts of files.filter((f) => f.endsWith('.d.ts') || f.endsWith('.d.cts'))) {
      const text = readFileSync(join(work, dts), 'utf8');
      const sf = ts.createSourceFile(dts, text, ts.ScriptTarget.Latest, true);
      const internal = (node: ts.Node): boolean => (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some((r) => text.slice(r.pos, r.end).includes('@internal'));
      for (const statement of sf.statements) {
        if ((ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) && statement.members.some(internal)) leftovers.push(`${dts}: a member of ${statement.name?.text}`);
        const name = (statement as { name?: ts.Node }).name;
        if (internal(statement) && name !== undefined && ts.isIdentifier(name) && text.split(new RegExp(`\\b${name.text}\\b`)).length - 1 < 2) leftovers.push(`${dts}: ${name.text}`);
      }
    }
    expect(leftovers).toEqual([]);
    expect(readFileSync(join(work, 'package/dist/index.d.ts'), 'utf8') + readFileSync(join(work, files.find((f) => /cluster-.*\.d\.ts$/.test(f))!), 'utf8')).not.toMatch(/topicsById/);
  });

  it('is clean under @arethetypeswrong/cli (every entry point, every module resolution) and publint --strict', async () => {
    const attw = await sh(join(root, 'node_modules/.bin/attw'), [tarball, '--format', 'ascii'], work);
    expect(attw.stdout).toContain('No problems found');
    const publint = await sh(join(root, 'node_modules/.bin/publint'), ['run', '--strict', tarball], work);
    expect(publint.stdout).toContain('All good');
  }, stepTimeoutMs);

  it('installs by name; ESM and CommonJS each see one copy of every class across entry points; its types check under every module resolution', async () => {
    const dir = await project('with-native', []);
    writeFileSync(
      join(dir, 'types.ts'),
      [
        "import { Cluster, TributaryError, type ClusterOptions } from 'tributary-log';",
        "import { useCluster, waitFor } from 'tributary-log/testing';",
        'const options: ClusterOptions = { nodes: 1 };',
        'export async function check(): Promise<boolean> {',
        '  const cluster: Cluster = await Cluster.start(options);',
        '  await cluster.close();',
        "  return new TributaryError('UNKNOWN_SERVER_ERROR', 'x') instanceof Error && typeof useCluster === 'function' && typeof waitFor === 'function';",
        '}',
      ].join('\n'),
    );
    for (const [module, moduleResolution] of [['NodeNext', 'NodeNext'], ['Node16', 'Node16'], ['CommonJS', 'Node10'], ['ESNext', 'Bundler']]) {
      // skipLibCheck off: the package's own declaration files are checked too.
      await sh(join(root, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'ES2022', '--module', module!, '--moduleResolution', moduleResolution!, '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', 'types.ts'], dir);
    }
    // Every TypeScript example of the README, verbatim, against the installed package: a
    // block without imports continues the block before it (it uses its names).
    const readme = readFileSync(join(dir, 'node_modules/tributary-log/README.md'), 'utf8');
    const examples: string[] = [];
    for (const [, code] of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
      if (/^import /m.test(code!) || examples.length === 0) examples.push(code!);
      else examples[examples.length - 1] += code!;
    }
    expect(examples.length).toBeGreaterThanOrEqual(7);
    const files = examples.map((code, i) => {
      writeFileSync(join(dir, `readme-${i}.mts`), code);
      return `readme-${i}.mts`;
    });
    // The README's examples import kafkajs, pino and vitest (dev dependencies here).
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    for (const dep of ['kafkajs', 'pino', 'vitest']) symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep));
    for (const [module, moduleResolution] of [['NodeNext', 'NodeNext'], ['ESNext', 'Bundler']]) {
      await sh(join(root, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'ES2022', '--module', module!, '--moduleResolution', moduleResolution!, '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', ...files], dir);
    }
    // The command line the package installs.
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const bin = join(dir, 'node_modules/.bin/tributary');
    expect((await sh(bin, ['--version'], dir)).stdout).toBe(`${version}\n`);
    expect((await sh(bin, ['--help'], dir)).stdout).toMatch(/^Usage: tributary <command>[\s\S]*serve[\s\S]*topics[\s\S]*produce[\s\S]*consume[\s\S]*groups[\s\S]*dump-log/);
    // The built bin end to end: serve, then a topic, a record in and out through it, then SIGTERM.
    expect(await servedRoundTrip(bin, dir)).toEqual({ created: 'Created topic cli.\n', consumed: 'k=v\n', serveExit: 0 });
    const results = await runScripts(dir);
    // The first per-node start (ESM) wrote one code cache for the node workers; the second
    // process (CommonJS, the same bundle in its workers) used it: V8 accepted it, or it
    // would have been written again.
    expect(results[0]!.codeCache).toEqual([expect.stringMatching(/^node-worker-.+\.bin \d/)]);
    expect(results[1]!.codeCache).toEqual(results[0]!.codeCache);
    for (const result of results) {
      expect(result).toMatchObject({
        clusterSame: true,
        notStartedIsTributaryError: true,
        startedIsCluster: true,
        clusterErrorIsTributaryError: true,
        timeoutIsTributaryError: true,
        dualCopies: true,
        dualInstanceof: true,
        native: ['@node-rs/crc32', 'snappy', 'lz4-napi', '@mongodb-js/zstd'],
        consumed: ['none:800', 'none:1', 'gzip:800', 'gzip:1', 'snappy:1200', 'snappy:1', 'lz4:600', 'lz4:1', 'zstd:800', 'zstd:1'],
        zstdRead: ['written by zstd'],
        zstdWrite: 'ok',
        perNodeOffset: 0,
        workerOffset: 0,
        packageVersion: version,
      });
    }
  }, stepTimeoutMs * 2);

  it('without the optional native packages (--omit=optional) it loads and works on its JavaScript fallbacks', async () => {
    const dir = await project('without-native', ['--omit=optional']);
    for (const result of await runScripts(dir)) {
      expect(result).toMatchObject({
        clusterSame: true,
        clusterErrorIsTributaryError: true,
        native: [],
        consumed: ['none:800', 'none:1', 'gzip:800', 'gzip:1', 'snappy:1200', 'snappy:1', 'lz4:600', 'lz4:1'],
        zstdRead: ['written by zstd'],
        zstdWrite: 'UNSUPPORTED_COMPRESSION_TYPE',
        perNodeOffset: 0,
        workerOffset: 0,
      });
    }
  }, stepTimeoutMs * 2);
});
