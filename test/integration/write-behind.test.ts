/**
 * A keyed produce over many partitions on a 1-node cluster with a data folder: its
 * one-record batches are written by the write-behind thread (src/storage/write-behind.ts),
 * and acks=1 still means "in the page cache before the answer": with the worker held, the
 * send does not resolve and the segment files do not hold the records; once the worker
 * goes on, it resolves and they do. A request over one partition never goes through the
 * worker. Counted in turns of the event loop, never timed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
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
});
