/**
 * A client's life as a Kafka user lives it, through the public API: made, used, closed
 * (by `close()` or by `await using` at the end of a scope), and used again after that by
 * mistake. Every client closes more than once without harm, and every call after the
 * close is a `TributaryError` with `CLIENT_CLOSED` at once: never a hang, and never a
 * commit that quietly did nothing (or wrote offsets for a member that left).
 */
import { describe, expect, it } from 'vitest';
import { Admin, Cluster, Consumer, Producer, serdes, TributaryError, type TopicStream } from '../../src/index.js';

/** A promise that resolves once `count()` has been called `n` times, and that counter. */
function counter(n: number): { count: () => void; reached: Promise<void> } {
  let seen = 0;
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  return { count: () => void (++seen === n && done()), reached };
}

const closed = expect.objectContaining({ name: 'TributaryError', code: 'CLIENT_CLOSED' });

describe('client lifecycle', () => {
  it('`await using` closes a producer (flushed first), a consumer and an admin client at the end of their scope', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'orders' }]);
    let producer: Producer;
    let consumer: Consumer;
    let admin: Admin;
    let sent: Promise<unknown>;
    {
      await using p = cluster.producer({ lingerMs: 60_000 });
      await using c = cluster.consumer();
      await using a = cluster.admin();
      producer = p;
      consumer = c;
      admin = a;
      // Lingers a minute unless the scope's end flushes it.
      sent = p.send('orders', { value: 'last words' });
      c.assign([{ topic: 'orders', partition: 0 }]);
    }
    await expect(sent).resolves.toMatchObject({ partition: 0, offset: 0 });
    await expect(producer.send('orders', { value: 'x' })).rejects.toEqual(closed);
    expect(() => consumer.assign([{ topic: 'orders', partition: 0 }])).toThrow(TributaryError);
    await expect(consumer.seek({ topic: 'orders', partition: 0 }, 0)).rejects.toEqual(closed);
    await expect(admin.listTopics()).rejects.toEqual(closed);
    // Closing again is harmless.
    await producer.close();
    await consumer.close();
    admin.close();
  });

  it('`await using` closes a topic stream: its consumer stops, and the loop over it ends', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'orders' }]);
    const orders = cluster.topic('orders', { key: serdes.string, value: serdes.string });
    await orders.send([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    let stream: TopicStream<string, string>;
    let first: unknown;
    {
      await using s = orders.consume({ from: 'earliest' });
      stream = s;
      for await (const r of s) {
        first = r.value;
        break;
      }
    }
    expect(first).toBe('1');
    const after: string[] = [];
    for await (const r of stream) after.push(r.value!);
    expect(after).toEqual([]);
  });

  it("a consumer group member refuses commit and run after close(), and its last commit stays the group's", async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'jobs' }]);
    await cluster.producer().send('jobs', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const group = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'], autoOffsetReset: 'earliest', autoCommit: false });
    const handled = counter(3);
    const running = group.run({ eachRecord: handled.count });
    await handled.reached;
    await group.commit([{ topic: 'jobs', partition: 0, offset: 2 }]);
    await group.close();
    await running;

    await expect(group.commit()).rejects.toEqual(closed);
    await expect(group.commit([{ topic: 'jobs', partition: 0, offset: 3 }])).rejects.toEqual(closed);
    await expect(group.run({ eachRecord: () => {} })).rejects.toEqual(closed);
    await group.close();
    const described = await cluster.admin().describeGroup('workers');
    expect(described.offsets).toEqual([expect.objectContaining({ topic: 'jobs', partition: 0, committed: 2 })]);
  });

  it('whenJoined() of a member closed before it joined rejects with CLIENT_CLOSED; of one that joined, it stays resolved', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'jobs' }]);
    const early = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'] });
    const joined = early.whenJoined();
    await early.close();
    await expect(joined).rejects.toEqual(closed);
    await expect(early.whenJoined()).rejects.toEqual(closed);

    const member = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'] });
    await member.whenJoined();
    await member.close();
    await expect(member.whenJoined()).resolves.toBeUndefined();
  });

  it('a commit in a revoked handler during close() still lands', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'jobs' }]);
    await cluster.producer().send('jobs', [{ value: 'a' }, { value: 'b' }]);
    const group = cluster.consumerGroup({ groupId: 'workers', topics: ['jobs'], autoOffsetReset: 'earliest', autoCommit: false });
    const handled = counter(2);
    group.on('revoked', async () => {
      await group.commit();
    });
    const running = group.run({ eachRecord: handled.count });
    await handled.reached;
    await group.close();
    await running;
    const described = await cluster.admin().describeGroup('workers');
    expect(described.offsets).toEqual([expect.objectContaining({ topic: 'jobs', partition: 0, committed: 2 })]);
  });
});
