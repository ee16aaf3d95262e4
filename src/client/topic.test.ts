import { describe, expect, expectTypeOf, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { TributaryError } from '../util/errors.js';
import { Consumer } from './consumer.js';
import { Producer } from './producer.js';
import { serdes, type Serde } from './serde.js';
import { Topic, type TypedConsumerRecord } from './topic.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';

// On simulated time: long polls, linger and the waits below run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

interface Order {
  id: string;
  total: number;
}

function setup(partitions = 2) {
  const cluster = new FakeCluster({ topics: { orders: partitions }, clock });
  const producer = new Producer(cluster, {}, clock);
  const consumers: Consumer[] = [];
  const orders = new Topic('orders', { key: serdes.string, value: serdes.json<Order>() }, {
    producer: () => producer,
    consumer: (options) => {
      const c = new Consumer(cluster, { maxWaitMs: 20, ...options }, clock);
      consumers.push(c);
      return c;
    },
  });
  return { cluster, producer, orders, consumers };
}

async function take<T>(it: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

describe('Topic', () => {
  it('sends and reads typed records end to end', async () => {
    const { orders, consumers } = setup();
    const one = await orders.send({ key: 'user-1', value: { id: 'o-1', total: 9.5 } });
    expect(one.topic).toBe('orders');
    const many = await orders.send([
      { key: 'user-2', value: { id: 'o-2', total: 1 }, headers: { source: 'web' } },
      { value: { id: 'o-3', total: 2 }, partition: 1 },
      { key: 'user-4', value: null },
    ]);
    expect(many).toHaveLength(3);
    expect(many[1]!.partition).toBe(1);
    const read = await take(orders.consume({ from: 'earliest' }), 4);
    expectTypeOf(read[0]!).toEqualTypeOf<TypedConsumerRecord<string, Order>>();
    const byId = new Map(read.filter((r) => r.value !== null).map((r) => [r.value!.id, r]));
    expect(byId.get('o-1')).toMatchObject({ key: 'user-1', value: { id: 'o-1', total: 9.5 } });
    expect(byId.get('o-3')).toMatchObject({ key: null, partition: 1 });
    expect(Buffer.from(byId.get('o-2')!.headers[0]!.value!).toString()).toBe('web');
    expect(read.find((r) => r.value === null)?.key).toBe('user-4');
    // Leaving the loop closed the consumer.
    await expect(consumers[0]!.partitionsFor('orders')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('reads chosen partitions from an offset or a timestamp', async () => {
    const { orders } = setup(2);
    await orders.send([0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: { id: `p0-${i}`, total: i }, partition: 0, timestamp: 1000 * (i + 1) })));
    await orders.send({ value: { id: 'p1', total: 0 }, partition: 1 });
    const fromOffset = await take(orders.consume({ from: 2, partitions: [0] }), 2);
    expect(fromOffset.map((r) => r.value!.id)).toEqual(['p0-2', 'p0-3']);
    const fromTime = await take(orders.consume({ from: { timestamp: 3500 }, partitions: [0] }), 1);
    expect(fromTime.map((r) => r.offset)).toEqual([3]);
  });

  it('starts at the end by default (latest), as Kafka does', async () => {
    const { orders } = setup(1);
    await orders.send({ key: 'old', value: { id: 'old', total: 0 } });
    const stream = orders.consume();
    const next = take(stream, 1);
    await sim.sleep(50);
    await orders.send({ key: 'new', value: { id: 'new', total: 1 } });
    expect((await next)[0]!.value!.id).toBe('new');
  });

  it('close() ends a consume loop', async () => {
    const { orders } = setup(1);
    const stream = orders.consume({ from: 'earliest' });
    const loop = (async () => {
      let n = 0;
      for await (const _ of stream) n++;
      return n;
    })();
    await sim.sleep(30);
    await stream.close();
    expect(await loop).toBe(0);
  });

  it('turns serde failures into TributaryErrors naming the topic', async () => {
    const { cluster, producer } = setup(1);
    const failing: Serde<number> = {
      serialize: () => {
        throw new Error('nope');
      },
      deserialize: () => {
        throw new Error('bad bytes');
      },
    };
    const t = new Topic('orders', { key: serdes.string(), value: failing }, { producer: () => producer, consumer: (o) => new Consumer(cluster, { maxWaitMs: 20, ...o }) });
    const err = await t.send({ value: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect(err).toMatchObject({ code: 'INVALID_RECORD', topic: 'orders' });
    expect((err as Error).message).toContain('topic "orders"');
    await producer.send('orders', { value: 'x' });
    const read = await take(t.consume({ from: 'earliest' }), 1).catch((e: unknown) => e);
    expect(read).toMatchObject({ code: 'CORRUPT_MESSAGE', topic: 'orders', partition: 0 });
    const json = new Topic('orders', { key: serdes.string, value: serdes.json<Order>() }, { producer: () => producer, consumer: (o) => new Consumer(cluster, { maxWaitMs: 20, ...o }) });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(json.send({ value: cyclic as unknown as Order })).rejects.toMatchObject({ code: 'INVALID_RECORD', topic: 'orders' });
    expect(() => new Topic('bad/name', { key: serdes.string, value: serdes.string }, { producer: () => producer, consumer: (o) => new Consumer(cluster, o) })).toThrowError(
      expect.objectContaining({ code: 'INVALID_TOPIC_EXCEPTION' }),
    );
  });
});
