import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { SimulatedClock } from '../util/clock.js';
import type { ProducerRecord, RecordMetadata } from './accumulator.js';
import { Producer } from './producer.js';
import { RecordMetadataList } from './record-metadata-list.js';

/** The same records sent with `send` and with `sendBatch`, each to a fresh cluster on the same simulated clock. */
async function both(
  topics: Record<string, number>,
  topic: string,
  records: readonly ProducerRecord[],
  options: ConstructorParameters<typeof Producer>[1] = {},
  logConfig = {},
): Promise<{ array: RecordMetadata[]; list: RecordMetadataList }> {
  const run = async <T,>(go: (p: Producer) => Promise<T>): Promise<T> => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const cluster = new FakeCluster({ topics, clock, logConfig });
    const producer = new Producer(cluster, { randomSeed: 7, ...options }, clock);
    // Something before, so offsets do not start at 0.
    await producer.send(topic, { value: 'first', partition: 0 });
    const out = await go(producer);
    await producer.close();
    return out;
  };
  return { array: await run((p) => p.send(topic, records)), list: await run((p) => p.sendBatch(topic, records)) };
}

/** Everything a user reads from the list equals the array of `send`. */
function expectSame(list: RecordMetadataList, array: RecordMetadata[]): void {
  expect(list).toBeInstanceOf(RecordMetadataList);
  expect(list.length).toBe(array.length);
  expect(list.toArray()).toEqual(array);
  expect([...list]).toEqual(array);
  expect(list.map((m, i) => [m, i])).toEqual(array.map((m, i) => [m, i]));
  const seen: RecordMetadata[] = [];
  list.forEach((m) => seen.push(m));
  expect(seen).toEqual(array);
  expect(JSON.stringify(list)).toBe(JSON.stringify(array));
  expect(JSON.parse(JSON.stringify({ results: list }))).toEqual({ results: array });
  for (let i = 0; i < array.length; i++) {
    expect(list.at(i)).toEqual(array[i]);
    expect(list.offsetAt(i)).toBe(array[i]!.offset);
    expect(list.partitionAt(i)).toBe(array[i]!.partition);
    expect(list.timestampAt(i)).toBe(array[i]!.timestamp);
  }
  if (array.length > 0) expect(list.at(-1)).toEqual(array[array.length - 1]);
  expect(list.at(array.length)).toBeUndefined();
  // A structured clone (postMessage) of the real array the list makes is the array.
  expect(structuredClone(list.toArray())).toEqual(array);
}

describe('Producer.sendBatch: a compact RecordMetadataList', () => {
  it('answers a call of 1,000 records to one partition as send does: indexing, iteration, map, JSON', async () => {
    const records = Array.from({ length: 1_000 }, (_, i) => ({ value: `v${i}` }));
    const { array, list } = await both({ t: 1 }, 't', records);
    expect(array[0]!.offset).toBe(1);
    expectSame(list, array);
    expect(list.offsetAt(999)).toBe(1_000);
  });

  it('answers a call spread over partitions and batches, with its own timestamps and headers, as send does', async () => {
    const records: ProducerRecord[] = Array.from({ length: 300 }, (_, i) => ({
      key: `key-${i % 17}`,
      value: `value-${i}`,
      ...(i % 7 === 0 ? { timestamp: 1_600_000_000_000 + i } : {}),
      ...(i % 11 === 0 ? { headers: { h: `${i}` } } : {}),
      ...(i % 13 === 0 ? { partition: 2 } : {}),
    }));
    const { array, list } = await both({ t: 4 }, 't', records, { batchSize: 1_024 });
    expect(new Set(array.map((m) => m.partition)).size).toBe(4);
    expectSame(list, array);
  });

  it('says offset -1 with acks 0, as send does', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ value: `v${i}` }));
    const { array, list } = await both({ t: 1 }, 't', records, { acks: 0, idempotent: false });
    expect(array.every((m) => m.offset === -1)).toBe(true);
    expectSame(list, array);
  });

  it("keeps the broker's LogAppendTime, as send does", async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, timestamp: 5 + i }));
    const { array, list } = await both({ t: 1 }, 't', records, {}, { messageTimestampType: 'LogAppendTime' });
    expect(array[0]!.timestamp).not.toBe(5);
    expectSame(list, array);
  });

  it('answers an empty call with an empty list, and refuses what is not an array', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster);
    const empty = await producer.sendBatch('t', []);
    expect(empty.length).toBe(0);
    expect(JSON.stringify(empty)).toBe('[]');
    expect([...empty]).toEqual([]);
    await expect(producer.sendBatch('t', { value: 'x' } as unknown as ProducerRecord[])).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    await expect(producer.sendBatch({ topicMessages: [] } as unknown as string, [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(producer.sendBatch('t', [{ value: 3 } as unknown as ProducerRecord])).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect(() => empty.offsetAt(0)).toThrow(RangeError);
    await producer.close();
  });

  it('survives structuredClone with its data', async () => {
    const cluster = new FakeCluster({ topics: { t: 1 } });
    const producer = new Producer(cluster);
    const list = await producer.sendBatch('t', [{ value: 'a' }, { value: 'b' }]);
    const clone = structuredClone(list) as unknown as { topic: string; length: number };
    expect(clone).toMatchObject({ topic: 't', length: 2 });
    await producer.close();
  });
});

describe('Topic.sendBatch', () => {
  it('serialises the records and answers with a RecordMetadataList, as Topic.send with an array', async () => {
    const { Topic } = await import('./topic.js');
    const { serdes } = await import('./serde.js');
    const clock = new SimulatedClock();
    const cluster = new FakeCluster({ topics: { orders: 3 }, clock });
    const producer = new Producer(cluster, { randomSeed: 5 }, clock);
    const orders = new Topic('orders', { key: serdes.string, value: serdes.json<{ n: number }>() }, { producer: () => producer, consumer: () => undefined as never });
    const records = Array.from({ length: 30 }, (_, n) => ({ key: `k${n % 5}`, value: { n } }));
    const list = await orders.sendBatch(records);
    expect(list.length).toBe(30);
    // The same keys go to the same partitions again, each one offset later per repeat.
    const array = await orders.send(records);
    expect(list.map((m) => m.partition)).toEqual(array.map((m) => m.partition));
    const perPartition = new Map<number, number>();
    for (const m of list) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1);
    expect(array.map((m, i) => m.offset - list.offsetAt(i))).toEqual(array.map((m) => perPartition.get(m.partition)));
    await expect(orders.sendBatch([{ key: 'x', value: undefined as never }])).rejects.toBeInstanceOf(Error);
    await producer.close();
  });
});
