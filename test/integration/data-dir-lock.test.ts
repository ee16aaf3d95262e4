/**
 * One live cluster per data folder (issue 8, item 4): a second `Cluster.start` on the same
 * folder is refused whatever path spells it (a symlink, `./` and `..` detours) and from
 * whichever thread of the process asks, and the first cluster serves on.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-dirlock-');

/** Starts a cluster on `dataDir` in a worker thread; resolves with its outcome. */
function startInWorker(dataDir: string): Promise<{ ok: boolean; code?: string; message?: string }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { tsImport } = await import('tsx/esm/api');
      const { Cluster } = await tsImport(workerData.module, workerData.parent);
      try {
        const c = await Cluster.start({ dataDir: workerData.dataDir });
        await c.close();
        parentPort.postMessage({ ok: true });
      } catch (e) {
        parentPort.postMessage({ ok: false, code: e.code, message: e.message });
      }
    })();
  `;
  const module = new URL('../../src/cluster.ts', import.meta.url).pathname;
  const worker = new Worker(code, { eval: true, workerData: { module, parent: import.meta.url, dataDir } });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: boolean; code?: string; message?: string }) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

async function produceOne(cluster: Cluster, topic: string, value: string): Promise<number> {
  const producer = cluster.producer({ lingerMs: 0 });
  try {
    const [meta] = await producer.send(topic, [{ value }]);
    return meta!.offset;
  } finally {
    await producer.close();
  }
}

describe('one live cluster per data folder', () => {
  it('refuses a second Cluster.start through a symlink or another spelling of the path, and the first serves on', async () => {
    const root = tempDir();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    const link = join(root, 'link');
    symlinkSync(dataDir, link);
    {
      await using first = await Cluster.start({ dataDir });
      await first.admin().createTopics([{ name: 'ledger' }]);
      expect(await produceOne(first, 'ledger', 'a')).toBe(0);
      // The refusal says what to do about it.
      await expect(Cluster.start({ dataDir })).rejects.toMatchObject({
        code: 'LOG_DIR_LOCKED',
        message: `${dataDir} is already open in this thread: close the Cluster (or log) that has it open first, or pass another dataDir`,
      });
      for (const spelling of [link, join(root, '.', 'data', '.'), join(dataDir, '..', 'data'), `${dataDir}/`]) {
        await expect(Cluster.start({ dataDir: spelling }), spelling).rejects.toMatchObject({ code: 'LOG_DIR_LOCKED' });
      }
      expect(await produceOne(first, 'ledger', 'b')).toBe(1);
    }
    // Released on close: the folder opens through the symlink now, with its records.
    await using again = await Cluster.start({ dataDir: link });
    expect(await again.admin().listOffsets('ledger', 'latest')).toEqual([expect.objectContaining({ partition: 0, offset: 2 })]);
  });

  it('refuses a second Cluster.start from a worker thread of the same process, and allows it once the first closes', async () => {
    const root = tempDir();
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    const link = join(root, 'link');
    symlinkSync(dataDir, link);
    const first = await Cluster.start({ dataDir });
    try {
      for (const spelling of [dataDir, link]) {
        const outcome = await startInWorker(spelling);
        expect(outcome, spelling).toMatchObject({ ok: false, code: 'LOG_DIR_LOCKED' });
        expect(outcome.message).toContain('another thread of this process');
      }
      await first.admin().createTopics([{ name: 'ledger' }]);
      expect(await produceOne(first, 'ledger', 'a')).toBe(0);
    } finally {
      await first.close();
    }
    expect(await startInWorker(link)).toEqual({ ok: true });
  }, 120_000);
});
