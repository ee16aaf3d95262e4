import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { bootDataKey, codeCacheBoot } from './code-cache.js';

/**
 * The code cache's folder: V8 runs what it deserializes, so a cache is read and written
 * only in a folder this user owns and nobody else may write.
 */
describe.skipIf(typeof process.getuid !== 'function')('per-node code cache folder', () => {
  const made: string[] = [];
  const savedTmp = process.env.TMPDIR;
  const base = tmpdir();
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Boots a tiny CommonJS "bundle" the way a node's worker boots the real one, with TMPDIR
   * at `tmp`; the bundle writes the cache as a node does once registered, and answers how
   * its boot used the cache and whether the boot data left its `workerData`.
   */
  async function boot(tmp: string): Promise<{ dir: string; cache: string; bootLeft: boolean }> {
    const bundle = join(tmp, 'bundle.cjs');
    writeFileSync(
      bundle,
      "const w = globalThis[Symbol.for('tributary-log.writeCodeCache')]; if (typeof w === 'function') w(); const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage({ answer: module.exports.answer = 42, cache: globalThis[Symbol.for('tributary-log.codeCache')], bootLeft: Object.keys(workerData ?? {}).length > 1 });",
    );
    process.env.TMPDIR = tmp;
    const { script, boot: data } = codeCacheBoot(bundle);
    const worker = new Worker(script, { eval: true, workerData: data !== undefined ? { id: 1, [bootDataKey]: data } : { id: 1 } });
    const answer = await new Promise<{ answer: number; cache: string; bootLeft: boolean }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(answer.answer).toBe(42);
    return { dir: join(tmp, `tributary-log-code-cache-${process.getuid!()}`), cache: answer.cache, bootLeft: answer.bootLeft };
  }

  it('creates its own folder (mode 0700) and writes one cache file there', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    const { dir, cache, bootLeft } = await boot(tmp);
    expect(cache).toBe('none');
    expect(bootLeft).toBe(false);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('hands the next worker the cache the first wrote, and V8 takes it', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    expect((await boot(tmp)).cache).toBe('none');
    const second = await boot(tmp);
    expect(second.cache).toBe('accepted');
    expect(readdirSync(second.dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('runs the bundle anyway when V8 rejects a damaged cache, and writes a good one in its place', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    const { dir } = await boot(tmp);
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    writeFileSync(join(dir, file!), Buffer.from('not a code cache, but as long as one could be'));
    expect((await boot(tmp)).cache).toBe('rejected');
    expect((await boot(tmp)).cache).toBe('accepted');
  });

  it('neither reads nor writes a folder others may write', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    const dir = join(tmp, `tributary-log-code-cache-${process.getuid!()}`);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect((await boot(tmp)).cache).toBe('none');
    expect(readdirSync(dir)).toEqual([]);
  });
});
