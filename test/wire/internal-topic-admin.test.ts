/**
 * What a client may do to an internal topic, against Kafka's answers (apache/kafka
 * `ReplicaManager.deleteRecords`, `ReplicationControlManager.createPartitions`,
 * `ConfigurationControlManager`), through Tributary's Admin in the process and KafkaJS's
 * over a socket:
 *
 * - DeleteRecords on `__consumer_offsets`: INVALID_TOPIC_EXCEPTION, nothing deleted (it
 *   was taken: a client could cut every group's committed offsets); an unknown partition
 *   of it: UNKNOWN_TOPIC_OR_PARTITION;
 * - `__cluster_metadata` is no topic of the metadata (its log is the Raft log): every
 *   admin request that names it as a topic is UNKNOWN_TOPIC_OR_PARTITION, CreatePartitions
 *   too (it was INVALID_REQUEST), as Kafka answers;
 * - a new partition count for `__consumer_offsets`: INVALID_REQUEST (Kafka's KRaft
 *   controller takes it; Tributary refuses it, docs/design/replication.md), while its
 *   configs stay alterable, as in Kafka.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c));

interface KafkaJsError {
  type?: string;
  cause?: KafkaJsError;
  partitions?: { error?: { type?: string } }[];
}

/** The Kafka error name KafkaJS reports, through its wrappers (a retry's cause, a per-partition error). */
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'NONE',
    (e: KafkaJsError) => {
      for (let x: KafkaJsError | undefined = e; x !== undefined; x = x.cause) {
        const found = x.partitions?.[0]?.error?.type ?? x.type;
        if (found !== undefined) return found;
      }
      return String(e);
    },
  );

describe('admin requests on internal topics', { timeout: 180_000 }, () => {
  it('DeleteRecords on __consumer_offsets is INVALID_TOPIC_EXCEPTION and deletes nothing; __cluster_metadata is an unknown topic', async () => {
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'events' }]);
    await cluster.producer().send('events', [{ value: 'e0' }]);
    // A group commits an offset, so that __consumer_offsets exists and holds a record.
    const group = cluster.consumerGroup({ groupId: 'g', topics: ['events'], from: 'earliest' });
    for await (const r of group) {
      await group.commit([{ topic: r.topic, partition: r.partition, offset: r.offset + 1 }]);
      break;
    }
    await group.close();
    const starts = await admin.listOffsets('__consumer_offsets', 'earliest');
    const ends = await admin.listOffsets('__consumer_offsets', 'latest');
    const held = ends.find((e) => e.offset > 0)!;
    expect(held).toBeDefined();

    await expect(admin.deleteRecords('__consumer_offsets', { [held.partition]: -1 })).rejects.toMatchObject({ code: 'INVALID_TOPIC_EXCEPTION' });
    await expect(admin.deleteRecords('__consumer_offsets', { 10_000: -1 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await admin.listOffsets('__consumer_offsets', 'earliest')).toEqual(starts);
    expect(await admin.describeGroup('g').then((d) => d.offsets?.length ?? 1)).toBeGreaterThan(0);

    await expect(admin.createPartitions('__cluster_metadata', 3)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.alterConfigs('__cluster_metadata', { 'segment.bytes': '1048576' })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.deleteRecords('__cluster_metadata', { 0: -1 })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.createPartitions('__consumer_offsets', 100)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await admin.alterConfigs('__consumer_offsets', { 'segment.bytes': '1048576' });

    // The same answers to KafkaJS over the wire.
    const kafka = new Kafka({ clientId: 'internal-admin', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const kadmin = kafka.admin();
    await kadmin.connect();
    try {
      await kadmin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
      expect(await codeOf(kadmin.deleteTopicRecords({ topic: '__consumer_offsets', partitions: [{ partition: held.partition, offset: '-1' }] }))).toBe('INVALID_TOPIC_EXCEPTION');
      expect(await codeOf(kadmin.createPartitions({ topicPartitions: [{ topic: '__cluster_metadata', count: 3 }] }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await kadmin.disconnect();
    }
    expect(await admin.listOffsets('__consumer_offsets', 'earliest')).toEqual(starts);
  });
});
