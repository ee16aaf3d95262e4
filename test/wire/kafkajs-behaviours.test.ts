/**
 * KafkaJS 2.2 against a 3-node cluster with listeners, the behaviours kafkajs.test.ts does
 * not reach, each as Kafka answers them (docs/design/real-clients.md): the admin's group
 * offsets (setOffsets, resetOffsets, fetchOffsets), deleteTopicRecords, createPartitions,
 * describeGroups of a running group (its assignment decoded), deleteGroups; a consumer with
 * eachBatch resolving offsets by hand, pause and resume, seek, and fromBeginning false;
 * sendBatch to several topics; and a transactional producer refused at once.
 */
import { AssignerProtocol, type Kafka, type Admin as KafkaAdmin, type Consumer as KafkaConsumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/clients.js';
import { readAll, text, type WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';

let cluster: WireCluster;
let kafka: Kafka;
let admin: KafkaAdmin;
kafkaJsForFile('wire-kjs-behaviours', (c, k, a) => {
  cluster = c;
  kafka = k;
  admin = a;
});

const offsetsOf = async (groupId: string, topic: string): Promise<string[]> => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);

describe('KafkaJS behaviours over the wire, 3 nodes', { timeout: 300_000 }, () => {
  it('sendBatch to two topics; admin setOffsets, resetOffsets, deleteTopicRecords, createPartitions and deleteGroups', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjb-a', numPartitions: 2, replicationFactor: 3 }, { topic: 'kjb-b', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: 'kjb-a', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, key: `k${i}`, value: `a${i}` })) },
        { topic: 'kjb-b', messages: Array.from({ length: 4 }, (_, i) => ({ value: `b${i}` })) },
      ],
    });
    await producer.disconnect();
    expect(sent.map((r) => [r.topicName, r.partition, r.errorCode, r.baseOffset]).sort()).toEqual([
      ['kjb-a', 0, 0, '0'],
      ['kjb-a', 1, 0, '0'],
      ['kjb-b', 0, 0, '0'],
    ]);
    expect((await readAll(cluster, 'kjb-b')).map((r) => text(r.value))).toEqual(['b0', 'b1', 'b2', 'b3']);

    // Group offsets without a running member (OffsetCommit with generation -1).
    await admin.setOffsets({ groupId: 'kjb-g', topic: 'kjb-a', partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '3' }] });
    expect(await offsetsOf('kjb-g', 'kjb-a')).toEqual(['2', '3']);
    // resetOffsets commits Kafka's markers for earliest (-2) and latest (-1), which a member resolves when it starts.
    await admin.resetOffsets({ groupId: 'kjb-g', topic: 'kjb-a', earliest: true });
    expect(await offsetsOf('kjb-g', 'kjb-a')).toEqual(['-2', '-2']);
    await admin.resetOffsets({ groupId: 'kjb-g', topic: 'kjb-a', earliest: false });
    expect(await offsetsOf('kjb-g', 'kjb-a')).toEqual(['-1', '-1']);
    // Without topics: every topic the group has offsets for (OffsetFetch with null topics).
    expect((await admin.fetchOffsets({ groupId: 'kjb-g' })).map((t) => t.topic)).toEqual(['kjb-a']);

    // DeleteRecords (KafkaJS finds the leaders in the metadata it holds, so the topic is looked up first).
    await admin.fetchTopicMetadata({ topics: ['kjb-b'] });
    await admin.deleteTopicRecords({ topic: 'kjb-b', partitions: [{ partition: 0, offset: '3' }] });
    expect((await admin.fetchTopicOffsets('kjb-b')).map((o) => [o.low, o.high])).toEqual([['3', '4']]);
    // Past the high watermark: OFFSET_OUT_OF_RANGE, as in Kafka.
    await expect(admin.deleteTopicRecords({ topic: 'kjb-b', partitions: [{ partition: 0, offset: '99' }] })).rejects.toThrow();
    expect((await admin.fetchTopicOffsets('kjb-b')).map((o) => o.low)).toEqual(['3']);

    await admin.createPartitions({ topicPartitions: [{ topic: 'kjb-b', count: 3 }] });
    // Metadata reaches each broker from the controller's log: the broker KafkaJS asks may
    // not have applied the new partitions yet (as in Kafka), so look again, a bounded
    // number of times (counted, not timed).
    let ids: number[] = [];
    for (let look = 0; look < 500 && ids.length < 3; look++) {
      const md = await admin.fetchTopicMetadata({ topics: ['kjb-b'] });
      ids = md.topics[0]!.partitions.map((p) => p.partitionId).sort();
    }
    expect(ids).toEqual([0, 1, 2]);
    // The same count again is INVALID_PARTITIONS.
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'kjb-b', count: 3 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });

    await expect(admin.deleteGroups(['kjb-g'])).resolves.toEqual([{ groupId: 'kjb-g', errorCode: 0 }]);
    await expect(admin.deleteGroups(['kjb-nobody'])).rejects.toMatchObject({ groups: [{ groupId: 'kjb-nobody', errorCode: 69 }] });
    expect(await offsetsOf('kjb-g', 'kjb-a')).toEqual(['-1', '-1']);
  });

  it('a consumer with eachBatch resolving offsets by hand, pause and resume, seek; describeGroups decodes its assignment', async () => {
    const topic = 'kjb-batch';
    const groupId = 'kjb-batch-g';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });

    const seen: string[] = [];
    const consumer: KafkaConsumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommitInterval: 100,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          seen.push(`${batch.partition}:${m.offset}:${m.value!.toString()}`);
          resolveOffset(m.offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
    try {
      await eventually('the first 20 records', () => (seen.length >= 20 ? true : undefined), 120_000);
      expect(new Set(seen).size).toBe(20);
      await eventually('the commits', async () => ((await offsetsOf(groupId, topic)).join() === '10,10' ? true : undefined), 60_000);

      // Paused partition 0: only partition 1's new records arrive until it is resumed.
      consumer.pause([{ topic, partitions: [0] }]);
      await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'p0-late' }, { partition: 1, value: 'p1-late' }] });
      await eventually('partition 1 while 0 is paused', () => (seen.includes('1:10:p1-late') ? true : undefined), 60_000);
      expect(seen.filter((s) => s.startsWith('0:10'))).toEqual([]);
      consumer.resume([{ topic, partitions: [0] }]);
      await eventually('partition 0 after resume', () => (seen.includes('0:10:p0-late') ? true : undefined), 60_000);

      // Seek back: partition 0 is read again from offset 8.
      consumer.seek({ topic, partition: 0, offset: '8' });
      await eventually('the records after the seek', () => (seen.filter((s) => s.startsWith('0:8:')).length === 2 ? true : undefined), 60_000);

      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(groups[0]!.members).toHaveLength(1);
      expect(groups[0]!.members[0]).toMatchObject({ clientId: 'wire-kjs-behaviours', clientHost: '/127.0.0.1' });
      const assignment = AssignerProtocol.MemberAssignment.decode(groups[0]!.members[0]!.memberAssignment);
      expect(assignment?.assignment).toEqual({ [topic]: [0, 1] });
    } finally {
      await consumer.disconnect();
    }

    // A new group that starts from the end (fromBeginning false) reads only what comes after it joined.
    const late: string[] = [];
    const tail = kafka.consumer({ groupId: 'kjb-tail', sessionTimeout: 30_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    let joined = false;
    tail.on(tail.events.GROUP_JOIN, () => (joined = true));
    await tail.connect();
    await tail.subscribe({ topics: [topic], fromBeginning: false });
    await tail.run({ eachMessage: async ({ partition, message }) => void late.push(`${partition}:${message.offset}`) });
    try {
      await eventually('the tail consumer to join', () => (joined ? true : undefined), 60_000);
      // Its first fetch positions (ListOffsets latest) may come a little after the join: send until one arrives.
      await eventually('a record sent after the join', async () => {
        await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'after' }] });
        return late.length > 0 ? true : undefined;
      }, 60_000, 1_000);
      expect(late.every((s) => s.startsWith('1:') && Number(s.slice(2)) >= 11)).toBe(true);
    } finally {
      await tail.disconnect();
      await producer.disconnect();
    }
  });

  it('a transactional producer is refused at once: one FindCoordinator per broker, none retried', async () => {
    // The client's retries allow 12 tries each; a retriable answer would be asked again and again.
    const producer = kafka.producer({ transactionalId: 'kjb-tx', idempotent: true, maxInFlightRequests: 1 });
    const requests: string[] = [];
    producer.on(producer.events.REQUEST, (e) => requests.push(e.payload.apiName));
    await producer.connect();
    try {
      // KafkaJS reports "Failed to find group coordinator" whatever the broker's error; the
      // broker's is TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which KafkaJS does not retry.
      await expect(producer.transaction()).rejects.toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound' });
      const asked = requests.filter((r) => r === 'GroupCoordinator').length;
      expect(asked).toBeGreaterThan(0);
      expect(asked).toBeLessThanOrEqual(3);
    } finally {
      await producer.disconnect();
    }
  });
});
