/**
 * The partition count of `__consumer_offsets` cannot change (a group's partition is its id
 * hashed modulo the count, so a new count would strand every group's offsets), while its
 * configs stay alterable, as in Kafka. Through the public Admin, over a real cluster.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';

describe('internal topic partitions', () => {
  it('refuses createPartitions on __consumer_offsets with Kafka\'s message, allows alterConfigs on it, and still grows an ordinary topic', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'events' }]);
    const producer = cluster.producer({ lingerMs: 0 });
    await producer.send('events', [{ value: 'e0' }]);
    const group = cluster.consumerGroup({ groupId: 'g', topics: ['events'], from: 'earliest' });
    await group.whenJoined();
    const [before] = await admin.describeTopics(['__consumer_offsets']);
    const count = before!.partitions.length;

    await expect(admin.createPartitions('__consumer_offsets', count + 5)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('The number of partitions for the internal topic __consumer_offsets cannot be changed.'),
    });
    const [after] = await admin.describeTopics(['__consumer_offsets']);
    expect(after!.partitions.length).toBe(count);

    await admin.alterConfigs('__consumer_offsets', { 'segment.bytes': '1048576' });
    expect((await admin.describeConfigs('__consumer_offsets'))['segment.bytes']!.value).toBe('1048576');

    // An ordinary topic still grows.
    await admin.createPartitions('events', 2);
    expect((await admin.describeTopics(['events']))[0]!.partitions.length).toBe(2);
    await group.close();
  });
});
