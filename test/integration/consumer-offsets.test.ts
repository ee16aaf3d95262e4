/**
 * The consumer's offset lookups, as Kafka's `KafkaConsumer` has them: `beginningOffsets`
 * (log start offsets), `endOffsets` (high watermarks) and `offsetsForTimes` (the earliest
 * offset whose timestamp is at least the one asked, with that timestamp, or null), on the
 * bare consumer and on a group member; one ListOffsets per leader node; bad arguments,
 * unknown partitions and a closed consumer refused with typed errors. And what a producer
 * says when its cluster was closed under it.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { Consumer } from '../../src/client/consumer.js';
import { countingListOffsets } from '../helpers/counting-transport.js';
import { isTributaryError } from '../../src/util/errors.js';

describe('Consumer beginningOffsets, endOffsets, offsetsForTimes', () => {
  it('answers log start offsets, high watermarks and timestamp lookups in the order asked, null where no record is that late', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'ticks', partitions: 2 }]);
    const producer = cluster.producer({ lingerMs: 0 });
    // Partition 0: offsets 0..4 at 1000, 2000, 2000, 3000, 5000. Partition 1: empty.
    await producer.send('ticks', [1000, 2000, 2000, 3000, 5000].map((timestamp, i) => ({ value: `v${i}`, partition: 0, timestamp })));
    await cluster.admin().deleteRecords('ticks', { 0: 1 });
    const consumer = cluster.consumer();
    const p0 = { topic: 'ticks', partition: 0 };
    const p1 = { topic: 'ticks', partition: 1 };

    expect(await consumer.beginningOffsets([p1, p0])).toEqual([
      { topic: 'ticks', partition: 1, offset: 0 },
      { topic: 'ticks', partition: 0, offset: 1 },
    ]);
    expect(await consumer.endOffsets([p0, p1])).toEqual([
      { topic: 'ticks', partition: 0, offset: 5 },
      { topic: 'ticks', partition: 1, offset: 0 },
    ]);

    const found = await consumer.offsetsForTimes([
      { ...p0, timestamp: 0 }, // before every record still there: the log start
      { ...p0, timestamp: 1500 }, // between: the next record
      { ...p0, timestamp: 2000 }, // equal: the first of the two at 2000
      { ...p0, timestamp: 4000 },
      { ...p0, timestamp: 5001 }, // after every record: null
      { ...p1, timestamp: 0 }, // an empty partition: null
    ]);
    expect(found).toEqual([
      { topic: 'ticks', partition: 0, offset: 1, timestamp: 2000 },
      { topic: 'ticks', partition: 0, offset: 1, timestamp: 2000 },
      { topic: 'ticks', partition: 0, offset: 1, timestamp: 2000 },
      { topic: 'ticks', partition: 0, offset: 4, timestamp: 5000 },
      null,
      null,
    ]);
    // The same offsets a seek to those timestamps moves to, and the admin's listOffsets.
    consumer.assign([p0]);
    await consumer.seek(p0, { timestamp: 2500 });
    expect(consumer.position(p0)).toBe(3);
    expect((await consumer.offsetsForTimes([{ ...p0, timestamp: 2500 }]))[0]?.offset).toBe(3);
    expect((await cluster.admin().listOffsets('ticks', { timestamp: 2500 }))[0]).toEqual({ partition: 0, offset: 3, timestamp: 3000 });
    expect(await consumer.offsetsForTimes([])).toEqual([]);
    await consumer.close();
  });

  it('sends one ListOffsets per leader node, whatever the number of partitions it leads', async () => {
    await using cluster = await Cluster.start({ nodes: 3 });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'wide', partitions: 9, replicationFactor: 1 }]);
    const [wide] = await admin.describeTopics(['wide']);
    const leaders = new Set(wide!.partitions.map((p) => p.leader));
    expect(leaders.size).toBeGreaterThan(1);
    const { transport, perNode } = countingListOffsets(cluster.transport);
    const consumer = new Consumer(transport);
    const all = wide!.partitions.map((p) => ({ topic: 'wide', partition: p.partition }));
    await cluster.producer().send('wide', all.map((tp) => ({ value: 'x', partition: tp.partition })));

    const ends = await consumer.endOffsets(all);
    expect(ends.map((e) => e.offset)).toEqual(all.map(() => 1));
    expect([...perNode.keys()].sort()).toEqual([...leaders].sort());
    expect([...perNode.values()].every((n) => n === 1)).toBe(true);

    perNode.clear();
    const times = await consumer.offsetsForTimes(all.map((tp) => ({ ...tp, timestamp: 0 })));
    expect(times.map((t) => t?.offset)).toEqual(all.map(() => 0));
    expect([...perNode.values()].reduce((a, b) => a + b, 0)).toBe(leaders.size);
    await consumer.close();
  });

  it('refuses bad arguments, unknown topics and partitions, and a closed consumer with typed errors', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'known', partitions: 2 }]);
    const consumer = cluster.consumer({ requestTimeoutMs: 20_000 });
    const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: unknown) => (isTributaryError(e) ? e.code : `untyped: ${String(e)}`));

    expect(await code(consumer.offsetsForTimes([{ topic: 'known', partition: 0, timestamp: -1 }]))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.offsetsForTimes([{ topic: 'known', partition: 0, timestamp: 1.5 }]))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.offsetsForTimes([{ topic: 'known', partition: 0, timestamp: '5' as unknown as number }]))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.offsetsForTimes(null as unknown as []))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.endOffsets({ topic: 'known', partition: 0 } as unknown as []))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.beginningOffsets([{ topic: 'known', partition: -1 }]))).toBe('INVALID_ARGUMENT');
    expect(await code(consumer.beginningOffsets([{ topic: 'bad name!', partition: 0 }]))).toBe('INVALID_TOPIC_EXCEPTION');

    const missing = consumer.endOffsets([{ topic: 'no-such-topic', partition: 0 }]);
    await expect(missing).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const beyond = consumer.beginningOffsets([{ topic: 'known', partition: 0 }, { topic: 'known', partition: 2 }]);
    await expect(beyond).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', message: expect.stringContaining('has no partition 2') });

    await consumer.close();
    expect(await code(consumer.endOffsets([{ topic: 'known', partition: 0 }]))).toBe('CLIENT_CLOSED');
    expect(await code(consumer.offsetsForTimes([{ topic: 'known', partition: 0, timestamp: 0 }]))).toBe('CLIENT_CLOSED');
  });

  it('a group member has the same three methods, for partitions it owns or not', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'grouped', partitions: 1 }, { name: 'other', partitions: 1 }]);
    await cluster.producer().send('grouped', [{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 200 }]);
    await using group = cluster.consumerGroup({ groupId: 'g-offsets', topics: ['grouped'] });
    const tp = { topic: 'grouped', partition: 0 };
    expect(await group.beginningOffsets([tp])).toEqual([{ ...tp, offset: 0 }]);
    expect(await group.endOffsets([tp, { topic: 'other', partition: 0 }])).toEqual([{ ...tp, offset: 2 }, { topic: 'other', partition: 0, offset: 0 }]);
    expect(await group.offsetsForTimes([{ ...tp, timestamp: 150 }, { ...tp, timestamp: 201 }])).toEqual([{ ...tp, offset: 1, timestamp: 200 }, null]);
    await expect(group.offsetsForTimes([{ ...tp, timestamp: -5 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('clients closed with their cluster say so', () => {
  it('a send after cluster.close() is refused with CLIENT_CLOSED naming the cluster; one after producer.close() names the producer', async () => {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'late' }]);
    const mine = cluster.producer();
    await mine.close();
    await expect(mine.send('late', [{ value: 'x' }])).rejects.toMatchObject({ code: 'CLIENT_CLOSED', message: 'the producer is closed' });

    const producer = cluster.producer();
    const consumer = cluster.consumer();
    await producer.send('late', [{ value: 'before' }]);
    await cluster.close();
    const refused = producer.send('late', [{ value: 'after' }]);
    await expect(refused).rejects.toMatchObject({ code: 'CLIENT_CLOSED', message: expect.stringContaining('the cluster was closed') });
    await expect(producer.sendBatch('late', [{ value: 'after' }])).rejects.toMatchObject({ code: 'CLIENT_CLOSED', message: expect.stringContaining('the cluster was closed') });
    await expect(consumer.endOffsets([{ topic: 'late', partition: 0 }])).rejects.toMatchObject({ code: 'CLIENT_CLOSED', message: expect.stringContaining('the cluster was closed') });
  });
});
