/**
 * Keyed records over many partitions: nearly every batch holds one record, so what a batch
 * costs on its way (issue 13: the per-batch produce path) is what such a producer costs.
 * These tests count, never time:
 *
 * - the broker settles a request in one pass with at most one sweep of wake-ups, and a
 *   fetch waiting on one of its partitions is woken by it;
 * - the producer matches a response's answers to its batches by position, and still by
 *   name when a broker answers in another order (a transport here reverses them);
 * - one-record batches stamped through the one header scratch buffer the thread's logs
 *   share land in their own partition's file with their own offsets, and a LogAppendTime
 *   topic's recomputed CRCs check (the files are read back and every batch checked).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { Producer } from '../../src/client/producer.js';
import type { ProduceResponse } from '../../src/protocol/produce.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { checkBatch, iterateBatches, readBatchHeader } from '../../src/record/batch.js';
import { writeBehind } from '../../src/storage/write-behind.js';
import type { Transport } from '../../src/transport/transport.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-keyed-wide-');

const partitions = 200;
const records = 1000;
const keyed = (round: number) => Array.from({ length: records }, (_, i) => ({ key: `k-${round}-${i}`, value: `v-${round}-${i}` }));

describe('keyed produce over many partitions', () => {
  it('settles each request in one pass with one sweep of wake-ups, which wakes a waiting fetch', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    await cluster.admin().createTopics([{ name: 'wide', partitions }]);
    const broker = cluster.node(1)!.broker;
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    await producer.send('wide', keyed(0)); // opens every replica
    let before = { ...broker.producePasses };
    await producer.send('wide', keyed(1));
    let after = broker.producePasses;
    const requests = after.requests - before.requests;
    expect(requests).toBeGreaterThan(0);
    expect(after.settle - before.settle).toBe(requests);
    // At most one sweep a request (every partition's key counted in it, waited on or not).
    expect(after.wakeSweeps - before.wakeSweeps).toBeLessThanOrEqual(requests);

    // A consumer long-polls one partition at its end (past the test's 60 s timeout: only a
    // wake-up answers it in time): the request that appends there sweeps and wakes it.
    const consumer = cluster.consumer({ maxWaitMs: 120_000 });
    const tp = { topic: 'wide', partition: 7 };
    consumer.assign([tp]);
    await consumer.seek(tp, 'latest');
    const first = consumer[Symbol.asyncIterator]().next();
    // Once its fetch waits at the broker (a condition, not a delay).
    const wakeups = (broker as unknown as { replicas: { wakeups: { waiters: Map<string, Set<unknown>> } } }).replicas.wakeups;
    // In process the fetch reaches the broker within a few turns of the event loop: yield
    // turns until it waits (a bound on turns, not on time).
    for (let turns = 0; !(wakeups.waiters.get('wide\u00007')?.size); turns++) {
      expect(turns).toBeLessThan(100_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    before = { ...broker.producePasses };
    await producer.send('wide', [{ partition: 7, key: 'to-7', value: 'wake' }]);
    const got = await first;
    after = broker.producePasses;
    expect(Buffer.from(got.value!.value!).toString()).toBe('wake');
    expect(after.wakeSweeps - before.wakeSweeps).toBe(1);
    await consumer.close();
    await producer.close();
  });

  it('gives every record its offset whether the answers come in the request order or not', async () => {
    await using cluster = await Cluster.start({ nodes: 1 });
    await cluster.admin().createTopics([{ name: 'wide', partitions }]);
    let reversed = 0;
    const reversing: Transport = {
      bootstrapNodes: () => cluster.transport.bootstrapNodes(),
      close: () => undefined,
      send: (async (node: number, request: { apiKey: number }) => {
        const response = await cluster.transport.send(node, request as never);
        if (request.apiKey !== ApiKey.Produce) return response;
        reversed++;
        const r = response as ProduceResponse;
        return { ...r, responses: r.responses.map((t) => ({ ...t, partitionResponses: [...t.partitionResponses].reverse() })).reverse() };
      }) as Transport['send'],
    };
    for (const [name, transport] of [['in order', cluster.transport], ['reversed', reversing]] as const) {
      const producer = new Producer(transport, { acks: 1, lingerMs: 0 });
      const sent = keyed(name === 'in order' ? 0 : 1);
      const results = await producer.send('wide', sent);
      await producer.close();
      // Read each partition back: the record at each answered offset is the one sent there.
      const consumer = cluster.consumer();
      const byPartition = new Map<number, Map<number, string>>();
      consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: 'wide', partition })));
      for (let partition = 0; partition < partitions; partition++) await consumer.seek({ topic: 'wide', partition }, 'earliest');
      let read = 0;
      for await (const r of consumer) {
        let m = byPartition.get(r.partition);
        if (m === undefined) byPartition.set(r.partition, (m = new Map()));
        m.set(r.offset, Buffer.from(r.key!).toString());
        if (++read === records * (name === 'in order' ? 1 : 2)) break;
      }
      await consumer.close();
      results.forEach((r, i) => expect(byPartition.get(r.partition)?.get(r.offset), `${name}: record ${i}`).toBe(sent[i]!.key));
    }
    expect(reversed).toBeGreaterThan(0);
  });

  it('writes one-record batches to their own partitions, stamped and checksummed (LogAppendTime)', async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ nodes: 1, dataDir });
      await cluster.admin().createTopics([{ name: 'stamped', partitions, configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
      const producer = cluster.producer({ acks: 1, lingerMs: 0 });
      const deferred = writeBehind.stats.writes;
      for (let round = 0; round < 3; round++) await producer.send('stamped', keyed(round));
      // The small batches went through the write-behind session, stamped straight into its buffer.
      expect(writeBehind.stats.writes - deferred).toBeGreaterThan(partitions);
      await producer.close();
    }
    const epochs = new Set<number>();
    let batches = 0;
    let keys = 0;
    const folders = readdirSync(join(dataDir, 'node-1')).filter((d) => d.startsWith('stamped-'));
    expect(folders.length).toBe(partitions);
    for (const folder of folders) {
      const dir = join(dataDir, 'node-1', folder);
      let next = 0;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.log')).sort()) {
        const bytes = readFileSync(join(dir, file));
        for (const slice of iterateBatches(bytes)) {
          const check = checkBatch(bytes, slice.position, bytes.length, true);
          expect(check.ok, `${folder} batch at ${slice.position}`).toBe(true);
          const h = readBatchHeader(bytes, slice.position);
          expect(h.baseOffset).toBe(next); // offsets continue within the partition
          expect(h.attributes & 0x08).toBe(0x08); // LogAppendTime
          epochs.add(h.partitionLeaderEpoch);
          next = h.baseOffset + h.lastOffsetDelta + 1;
          keys += h.recordCount;
          batches++;
        }
      }
    }
    expect(keys).toBe(3 * records);
    expect([...epochs]).toEqual([0]); // the leader's epoch, stamped into every batch
    expect(batches).toBeGreaterThan(partitions); // most batches hold one record
  });
});
