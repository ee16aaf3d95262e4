import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCacheBoot } from './code-cache.js';

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

  /** Boots a tiny CommonJS "bundle" the way a node's worker boots the real one, with TMPDIR at `tmp`; the bundle writes the cache as a node does once registered. */
  async function boot(tmp: string): Promise<string> {
    const bundle = join(tmp, 'bundle.cjs');
    writeFileSync(bundle, "const w = globalThis[Symbol.for('tributary-log.writeCodeCache')]; if (typeof w === 'function') w(); require('node:worker_threads').parentPort.postMessage(module.exports.answer = 42);");
    process.env.TMPDIR = tmp;
    const source = codeCacheBoot(bundle);
    const worker = new Worker(source, { eval: true });
    const answer = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(answer).toBe(42);
    return join(tmp, `tributary-log-code-cache-${process.getuid!()}`);
  }

  it('creates its own folder (mode 0700) and writes one cache file there', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    const dir = await boot(tmp);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('neither reads nor writes a folder others may write', async () => {
    const tmp = mkdtempSync(join(base, 'tributary-code-cache-'));
    made.push(tmp);
    const dir = join(tmp, `tributary-log-code-cache-${process.getuid!()}`);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await boot(tmp);
    expect(readdirSync(dir)).toEqual([]);
  });
});
