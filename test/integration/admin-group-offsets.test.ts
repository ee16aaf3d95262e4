/**
 * The admin's per-partition group offsets through the public API, as Kafka's admin client
 * has them: `alterGroupOffsets` (alterConsumerGroupOffsets) and `deleteGroupOffsets`
 * (deleteConsumerGroupOffsets, KIP-496), and the errors a new user meets on the way, each
 * a `TributaryError` with Kafka's code and a message that says what to do.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, serdes } from 'tributary-log';

// A session long enough that a loaded machine never expires a live member.
const fast = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20 } as const;

describe("Admin: a group's offsets, partition by partition", () => {
  it('alters and deletes committed offsets of an empty group; a live group refuses both, saying why', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'orders', partitions: 3 }]);
    const orders = cluster.topic('orders', { key: serdes.string, value: serdes.string });
    for (const partition of [0, 1, 2]) await orders.send(Array.from({ length: 5 }, (_, i) => ({ value: `p${partition}-${i}`, partition })));

    // A group that has never run: the admin commits an offset per partition.
    await admin.alterGroupOffsets('billing', [
      { topic: 'orders', partition: 0, offset: 4 },
      { topic: 'orders', partition: 1, offset: 2 },
      { topic: 'orders', partition: 2, offset: 5 },
    ]);
    expect((await admin.describeGroup('billing')).offsets.map((o) => [o.partition, o.committed, o.lag])).toEqual([[0, 4, 1], [1, 2, 3], [2, 5, 0]]);

    // A member resumes from exactly there.
    const group = cluster.consumerGroup({ groupId: 'billing', topics: ['orders'], value: serdes.string, autoCommit: false, ...fast });
    const seen: string[] = [];
    for await (const r of group) if (seen.push(r.value!) === 4) break;
    expect(seen.sort()).toEqual(['p0-4', 'p1-2', 'p1-3', 'p1-4']);

    // While it has members, the group's offsets are the members' to commit.
    const live = await admin.alterGroupOffsets('billing', [{ topic: 'orders', partition: 0, offset: 0 }]).catch((e: unknown) => e);
    expect(live).toMatchObject({ name: 'TributaryError', code: 'UNKNOWN_MEMBER_ID', message: expect.stringContaining('stop its consumers first') });
    const subscribed = await admin.deleteGroupOffsets('billing', [{ topic: 'orders', partition: 0 }]).catch((e: unknown) => e);
    expect(subscribed).toMatchObject({ name: 'TributaryError', code: 'GROUP_SUBSCRIBED_TO_TOPIC', topic: 'orders', message: expect.stringContaining('stop its consumers') });
    const nonEmpty = await admin.deleteGroup('billing').catch((e: unknown) => e);
    expect(nonEmpty).toMatchObject({ code: 'NON_EMPTY_GROUP', message: expect.stringContaining('stop its consumers first') });
    await group.close();

    // Empty again: delete two partitions' offsets; the third stays.
    await admin.deleteGroupOffsets('billing', [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 2 }]);
    expect((await admin.describeGroup('billing')).offsets.map((o) => [o.partition, o.committed])).toEqual([[1, 2]]);
    await expect(admin.deleteGroupOffsets('no-such-group', [{ topic: 'orders', partition: 0 }])).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND', message: 'group "no-such-group" does not exist' });
  });

  it('refuses bad arguments with INVALID_ARGUMENT (or the topic-name error) before asking the cluster', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    const bad: [unknown, string][] = [
      [[], 'INVALID_ARGUMENT'],
      ['orders', 'INVALID_ARGUMENT'],
      [[null], 'INVALID_ARGUMENT'],
      [[{ topic: 'orders', partition: -1, offset: 0 }], 'INVALID_ARGUMENT'],
      [[{ topic: 'orders', partition: 0, offset: -5 }], 'INVALID_ARGUMENT'],
      [[{ topic: 'orders', partition: 0, offset: '3' }], 'INVALID_ARGUMENT'],
      [[{ topic: 'orders', partition: 0, offset: 1 }, { topic: 'orders', partition: 0, offset: 2 }], 'INVALID_ARGUMENT'],
      [[{ topic: 'no/slash', partition: 0, offset: 1 }], 'INVALID_TOPIC_EXCEPTION'],
    ];
    for (const [offsets, code] of bad) {
      await expect(admin.alterGroupOffsets('g', offsets as never), JSON.stringify(offsets)).rejects.toMatchObject({ name: 'TributaryError', code });
    }
    await expect(admin.deleteGroupOffsets('g', [{ topic: 'orders', partition: 1.5 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(admin.deleteGroupOffsets('', [{ topic: 'orders', partition: 0 }])).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' });
    admin.close();
    await expect(admin.alterGroupOffsets('g', [{ topic: 'orders', partition: 0, offset: 0 }])).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});

describe('Errors a new user meets say what to do', () => {
  it('a typed topic without serdes', async () => {
    await using cluster = await Cluster.start();
    const missing = (() => {
      try {
        return cluster.topic('orders', undefined as never);
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toMatchObject({ name: 'TributaryError', code: 'INVALID_CONFIG', topic: 'orders', message: expect.stringContaining('topic("orders", { key: serdes.string, value: serdes.json() })') });
    expect(() => cluster.topic('orders', { key: serdes.string } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('an existing topic, a missing topic, deleting records past the end', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'orders' }]);
    await admin.createTopics([{ name: 'orders' }], { ifNotExists: true });
    await expect(admin.createTopics([{ name: 'orders' }])).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS', topic: 'orders', message: expect.stringContaining('ifNotExists: true') });
    await expect(admin.describeTopics(['nope'])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'topic "nope" does not exist' });
    await cluster.producer().send('orders', [{ value: 'a' }, { value: 'b' }]);
    expect(await admin.deleteRecords('orders', { 0: 1 })).toEqual({ 0: 1 });
    await expect(admin.deleteRecords('orders', { 0: 9 })).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic: 'orders', partition: 0, message: expect.stringContaining('past the partition\'s high watermark') });
    expect(await admin.deleteRecords('orders', { 0: -1 })).toEqual({ 0: 2 });
  });
});
