/**
 * Every record a consumer hands out says what its timestamp is (`timestampType`, Kafka's
 * `ConsumerRecord.timestampType()`): `CreateTime` (the producer's) or `LogAppendTime` (the
 * broker's at append, a topic's `message.timestamp.type`), from its batch's attribute. Read
 * through the bare consumer, a consumer group (with and without serdes: the group makes
 * new records when it deserializes) and `topic().consume()`.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, serdes } from '../../src/index.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock, until } = useSimulatedClock();

interface Seen {
  readonly topic: string;
  readonly timestamp: number;
  readonly timestampType: string;
}

describe('timestampType', () => {
  it('CreateTime and LogAppendTime topics, through the consumer, a group and topic().consume()', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([
      { name: 'created', partitions: 1 },
      { name: 'stamped', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
    ]);
    const producer = cluster.producer();
    const [created] = await producer.send('created', [{ value: 'c', timestamp: 5 }]);
    const [stamped] = await producer.send('stamped', [{ value: 's', timestamp: 5 }]);
    expect(created!.timestamp).toBe(5);
    expect(stamped!.timestamp).not.toBe(5);
    const expected: Seen[] = [
      { topic: 'created', timestamp: 5, timestampType: 'CreateTime' },
      { topic: 'stamped', timestamp: stamped!.timestamp, timestampType: 'LogAppendTime' },
    ];
    const pick = (r: Seen): Seen => ({ topic: r.topic, timestamp: r.timestamp, timestampType: r.timestampType });
    const sorted = (list: Seen[]): Seen[] => [...list].sort((a, b) => (a.topic < b.topic ? -1 : 1));

    // The bare consumer: records and batches.
    const consumer = cluster.consumer({ maxWaitMs: 20 });
    consumer.assign([
      { topic: 'created', partition: 0 },
      { topic: 'stamped', partition: 0 },
    ]);
    await consumer.seek({ topic: 'created', partition: 0 }, 'earliest');
    await consumer.seek({ topic: 'stamped', partition: 0 }, 'earliest');
    const bare: Seen[] = [];
    for await (const r of consumer) {
      bare.push(pick(r));
      if (bare.length === 2) break;
    }
    await consumer.close();
    expect(sorted(bare)).toEqual(expected);

    // A group, without and with serdes.
    for (const withSerde of [false, true]) {
      const group = withSerde
        ? cluster.consumerGroup({ groupId: 'ts-serde', topics: ['created', 'stamped'], value: serdes.string, from: 'earliest', maxWaitMs: 20 })
        : cluster.consumerGroup({ groupId: 'ts-raw', topics: ['created', 'stamped'], from: 'earliest', maxWaitMs: 20 });
      const seen: Seen[] = [];
      const run = group.run({ eachRecord: (r: Seen) => void seen.push(pick(r)) });
      await until('both records', () => seen.length >= 2);
      await group.close();
      await run;
      expect(sorted(seen)).toEqual(expected);
    }

    // topic().consume()
    for (const e of expected) {
      await using stream = cluster.topic(e.topic, { key: serdes.string, value: serdes.string }).consume({ from: 'earliest' });
      for await (const r of stream) {
        expect(pick(r)).toEqual(e);
        expect(r.value).toBe(e.topic === 'created' ? 'c' : 's');
        break;
      }
    }
  }, 60_000);
});
