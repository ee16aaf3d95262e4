/**
 * A keyed produce over many partitions on a 1-node cluster with a data folder: its
 * one-record batches are written by the write-behind thread (src/storage/write-behind.ts),
 * and acks=1 still means "in the page cache before the answer": with the worker held, the
 * send does not resolve and the segment files do not hold the records; once the worker
 * goes on, it resolves and they do. A request over one partition never goes through the
 * worker. Counted in turns of the event loop, never timed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { openFileCount, setOpenFilesMax } from '../../src/storage/store.js';
import { writeBehind } from '../../src/storage/write-behind.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-write-behind-int-');
const partitions = 64;

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('write-behind under a keyed producer', () => {
  it('acks=1 answers only once the batches are in the files; one partition writes on the event loop', async () => {
    const dataDir = tempDir();
    await using cluster = await Cluster.start({ nodes: 1, dataDir });
    await cluster.admin().createTopics([{ name: 'wide', partitions }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    // Every replica open, every file there.
    await producer.send('wide', Array.from({ length: partitions }, (_, partition) => ({ partition, value: 'first' })));

    const before = { ...writeBehind.stats };
    writeBehind.hold(true);
    let answered = false;
    const sent = producer.send('wide', Array.from({ length: 500 }, (_, i) => ({ key: `key-${i}`, value: `held-${i}` }))).then((r) => ((answered = true), r));
    await turns(2_000);
    try {
      expect(answered).toBe(false);
      expect(writeBehind.stats.sessions).toBeGreaterThan(before.sessions);
      const onDisk = Array.from({ length: partitions }, (_, p) => readFileSync(join(dataDir, 'node-1', `wide-${p}`, '00000000000000000000.log'), 'latin1')).join('');
      expect(onDisk).not.toContain('held-');
    } finally {
      writeBehind.hold(false);
    }
    const written = await sent;
    expect(writeBehind.stats.writes - before.writes).toBeGreaterThanOrEqual(16);
    for (const [i, w] of written.entries()) {
      const file = readFileSync(join(dataDir, 'node-1', `wide-${w.partition}`, '00000000000000000000.log'), 'latin1');
      expect(file).toContain(`held-${i}`);
    }
    // Read back in order through a consumer too.
    const consumer = cluster.consumer();
    consumer.assign([{ topic: 'wide', partition: written[0]!.partition }]);
    await consumer.seek({ topic: 'wide', partition: written[0]!.partition }, 'earliest');
    const it = consumer[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value!.value!).toString()).toBe('first');
    expect(Buffer.from((await it.next()).value!.value!).toString()).toBe('held-0');
    await consumer.close();

    // One partition: nothing deferred.
    const one = { ...writeBehind.stats };
    await producer.send('wide', Array.from({ length: 1000 }, (_, i) => ({ partition: 3, value: `one-${i}` })));
    expect(writeBehind.stats).toEqual(one);
    await producer.close();
  });

  it('with fewer open files allowed than partitions written: descriptors closed under the bound wait for their writes, and every record is read back in order', async () => {
    const previous = setOpenFilesMax(8);
    try {
      const dataDir = tempDir();
      await using cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().createTopics([{ name: 'few-fds', partitions }]);
      const producer = cluster.producer({ acks: 1, lingerMs: 0 });
      const before = writeBehind.stats.writes;
      // Calls of 64 records over 64 partitions, one at a time: requests of batches of one or two records.
      const written = [];
      for (let c = 0; c < 20; c++) written.push(...(await producer.send('few-fds', Array.from({ length: 64 }, (_, i) => ({ key: `k-${c}-${i}`, value: `${c}:${i}` })))));
      expect(writeBehind.stats.writes - before).toBeGreaterThan(100);
      expect(openFileCount()).toBeLessThanOrEqual(8);
      const byPartition = new Map<number, string[]>();
      for (const [k, w] of written.entries()) {
        const list = byPartition.get(w.partition) ?? [];
        list[w.offset] = `${Math.floor(k / 64)}:${k % 64}`;
        byPartition.set(w.partition, list);
      }
      const consumer = cluster.consumer();
      const parts = [...byPartition.keys()].map((partition) => ({ topic: 'few-fds', partition }));
      consumer.assign(parts);
      for (const tp of parts) await consumer.seek(tp, 'earliest');
      let read = 0;
      for await (const r of consumer) {
        expect(Buffer.from(r.value!).toString()).toBe(byPartition.get(r.partition)![r.offset]);
        if (++read === written.length) break;
      }
      await consumer.close();
      await producer.close();
    } finally {
      setOpenFilesMax(previous);
    }
  });

  it('a process that used it exits by itself once its work is done (the idle worker holds nothing)', async () => {
    const child = fileURLToPath(new URL('./write-behind-exit-child.ts', import.meta.url));
    // A generous bound (the child's work takes a second or two), so that a child that never exits is killed, not left behind.
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', child, tempDir()], { timeout: 100_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${String(err)} ${stderr}`)) : resolve(stdout))),
    );
    expect(Number(/deferred (\d+)/.exec(out)?.[1])).toBeGreaterThan(0);
  }, 120_000);
});
