/**
 * KafkaJS 2.2 (the npm package, pure JS, never a flexible version) against a 3-node
 * cluster with listeners: the admin, a producer with each acks setting, gzip and
 * idempotence, a consumer group of two with a rebalance and committed offsets read back
 * by a new member, and the offset lookups. What KafkaJS is told is checked against what
 * Tributary's own clients read.
 */
import { CompressionTypes, ConfigResourceTypes, type Kafka, type Admin as KafkaAdmin, type Consumer as KafkaConsumer, type EachMessagePayload } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/clients.js';
import { readAll, storedCodecs, text, type WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';

let cluster: WireCluster;
let kafka: Kafka;
let admin: KafkaAdmin;
kafkaJsForFile('wire-kafkajs', (c, k, a) => {
  cluster = c;
  kafka = k;
  admin = a;
});

describe('KafkaJS over the wire, 3 nodes', { timeout: 300_000 }, () => {
  it('admin creates, describes, alters (alterConfigs) and deletes topics', async () => {
    const created = await admin.createTopics({
      topics: [{ topic: 'kjs-admin', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      waitForLeaders: true,
      timeout: 60_000,
    });
    expect(created).toBe(true);
    // A second create of the same topic is refused, not ignored (createTopics resolves false).
    await expect(admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }], timeout: 60_000 })).resolves.toBe(false);

    const { topics } = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
    expect(topics).toHaveLength(1);
    const partitions = [...topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
    expect(partitions.map((p) => p.partitionId)).toEqual([0, 1, 2]);
    for (const p of partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect([1, 2, 3]).toContain(p.leader);
      expect(p.partitionErrorCode).toBe(0);
    }
    // The same answer as Tributary's own admin.
    const [own] = await cluster.admin().describeTopics(['kjs-admin']);
    expect(own!.partitions.map((p) => p.leader)).toEqual(partitions.map((p) => p.leader));

    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configNames: ['retention.ms'] }], includeSynonyms: false });
    const entry = described.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms');
    expect(entry?.configValue).toBe('3600000');
    // includeSynonyms: every level that sets it, most specific first, as Kafka lists them.
    const withSynonyms = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configNames: ['retention.ms'] }], includeSynonyms: true });
    expect(withSynonyms.resources[0]!.configEntries[0]!.configSynonyms).toEqual([
      { configName: 'retention.ms', configValue: '3600000', configSource: 1 },
      { configName: 'log.retention.ms', configValue: '604800000', configSource: 5 },
    ]);

    // alterConfigs (AlterConfigs, key 33) replaces the topic's configs, as in Kafka: the one
    // listed is set and the one not listed (retention.ms) goes back to its default.
    const altered = await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configEntries: [{ name: 'segment.ms', value: '60000' }] }], validateOnly: false });
    expect(altered.resources).toEqual([{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: 'kjs-admin' }]);
    const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configNames: ['retention.ms', 'segment.ms'] }], includeSynonyms: false });
    expect(Object.fromEntries(after.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]))).toEqual({ 'retention.ms': ['604800000', true], 'segment.ms': ['60000', false] });
    await expect(admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-admin', configEntries: [{ name: 'no.such.config', value: '1' }] }], validateOnly: false })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    await expect(admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kjs-missing', configEntries: [{ name: 'segment.ms', value: '1' }] }], validateOnly: false })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });

    const cd = await admin.describeCluster();
    expect(cd.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    expect(cd.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual(cluster.bootstrapServers.split(',').sort());

    expect(await admin.listTopics()).toContain('kjs-admin');
    await admin.deleteTopics({ topics: ['kjs-admin'], timeout: 60_000 });
    await eventually('the topic to be gone', async () => ((await admin.listTopics()).includes('kjs-admin') ? undefined : true));
    expect(await cluster.admin().listTopics()).not.toContain('kjs-admin');
  });

  it('produces with acks -1, 1 and 0, gzip, and an idempotent producer; Tributary reads every record', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-produce', numPartitions: 3, replicationFactor: 3 }, { topic: 'kjs-gzip', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    await idempotent.connect();
    try {
      const batch = (tag: string, n = 20) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` }));
      const allAcks = await producer.send({ topic: 'kjs-produce', acks: -1, messages: batch('all') });
      const oneAck = await producer.send({ topic: 'kjs-produce', acks: 1, messages: batch('one') });
      // acks=0: no response comes; KafkaJS resolves at once with no offsets.
      await producer.send({ topic: 'kjs-produce', acks: 0, messages: batch('zero') });
      const idem = await idempotent.send({ topic: 'kjs-produce', acks: -1, messages: batch('idem') });
      for (const r of [...allAcks, ...oneAck, ...idem]) {
        expect(r.errorCode).toBe(0);
        expect(Number(r.baseOffset)).toBeGreaterThanOrEqual(0);
      }
      // 'all' went first: its base offsets are where each partition started.
      expect(allAcks.map((r) => Number(r.baseOffset))).toEqual(allAcks.map(() => 0));

      const gz = await producer.send({ topic: 'kjs-gzip', acks: -1, compression: CompressionTypes.GZIP, messages: batch('gzip', 50).map((m) => ({ ...m, value: `${m.value} ${'x'.repeat(60)}` })) });
      expect(gz[0]!.errorCode).toBe(0);

      const want = ['all', 'one', 'zero', 'idem'].flatMap((t) => batch(t).map((m) => m.value)).sort();
      const records = await eventually('every record, acks=0 included', async () => {
        const rs = await readAll(cluster, 'kjs-produce');
        return rs.length >= want.length ? rs : undefined;
      });
      expect(records.map((r) => text(r.value)).sort()).toEqual(want);
      // Keys route as KafkaJS's default partitioner says: one key, one partition.
      const partitionOf = new Map<string, Set<number>>();
      for (const r of records) (partitionOf.get(text(r.key)!) ?? partitionOf.set(text(r.key)!, new Set()).get(text(r.key)!)!).add(r.partition);
      for (const parts of partitionOf.values()) expect(parts.size).toBe(1);

      const gzRecords = await readAll(cluster, 'kjs-gzip');
      expect(gzRecords.map((r) => text(r.value)!.split(' ')[0])).toEqual(batch('gzip', 50).map((m) => m.value));
      const [desc] = await cluster.admin().describeTopics(['kjs-gzip']);
      // The batch is stored as KafkaJS sent it: gzip (codec 1), never decompressed by the broker.
      expect(storedCodecs(cluster, desc!.partitions[0]!.leader, 'kjs-gzip', 0)).toEqual([1]);
    } finally {
      await producer.disconnect();
      await idempotent.disconnect();
    }
  });

  it('a group of two members rebalances, commits, and a new member reads the committed offsets back', async () => {
    const topic = 'kjs-group';
    const groupId = 'kjs-group-1';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 4; p++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });

    const seen = new Map<string, string>(); // "partition:offset" -> value
    const assignments = new Map<string, number[]>(); // member -> partitions, from the latest GROUP_JOIN
    const startMember = async (name: string): Promise<KafkaConsumer> => {
      const c = kafka.consumer({ groupId, sessionTimeout: 30_000, rebalanceTimeout: 60_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { retries: 12 } });
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort()));
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          seen.set(`${partition}:${message.offset}`, message.value!.toString());
        },
      });
      return c;
    };
    const a = await startMember('a');
    await eventually('member a to own all 4 partitions', () => (assignments.get('a')?.length === 4 ? true : undefined), 120_000);
    const b = await startMember('b');
    // The rebalance: both members in the new generation, two partitions each, disjoint.
    await eventually(
      'a balanced group of two',
      () => {
        const pa = assignments.get('a') ?? [];
        const pb = assignments.get('b') ?? [];
        return pa.length === 2 && pb.length === 2 && new Set([...pa, ...pb]).size === 4 ? true : undefined;
      },
      120_000,
    );
    await eventually('all 40 records consumed', () => (seen.size >= 40 ? true : undefined), 120_000);
    // KafkaJS commits after each batch it has handed out; stopping commits what is left.
    await a.disconnect();
    await b.disconnect();
    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched[0]!.partitions.map((p) => [p.partition, Number(p.offset)]).sort((x, y) => x[0]! - y[0]!)).toEqual([
      [0, 10],
      [1, 10],
      [2, 10],
      [3, 10],
    ]);
    // Tributary's admin reads the same commits.
    const { offsets } = await cluster.admin().describeGroup(groupId);
    expect(offsets.map((o) => [o.partition, o.committed, o.lag])).toEqual([
      [0, 10, 0],
      [1, 10, 0],
      [2, 10, 0],
      [3, 10, 0],
    ]);

    // A new member starts from the committed offsets, not from the beginning.
    for (let p = 0; p < 4; p++) await producer.send({ topic, acks: -1, messages: [{ partition: p, value: `p${p}-new` }] });
    seen.clear();
    const c = await startMember('c');
    try {
      await eventually('the 4 new records', () => (seen.size >= 4 ? true : undefined), 120_000);
      expect([...seen.entries()].sort()).toEqual([
        ['0:10', 'p0-new'],
        ['1:10', 'p1-new'],
        ['2:10', 'p2-new'],
        ['3:10', 'p3-new'],
      ]);
    } finally {
      await c.disconnect();
      await producer.disconnect();
    }
  });

  it('describeConfigs answers each resource on its own: a broker, and a broker logger (its root logger, s12) beside it', async () => {
    // Kafka answers per resource; a whole-request INVALID_REQUEST failed both.
    const d = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['message.max.bytes'] },
        { type: ConfigResourceTypes.BROKER_LOGGER, name: '1' },
      ],
    });
    expect(d.resources.map((r) => [r.resourceType, r.errorCode, r.configEntries.map((e) => `${e.configName}=${e.configValue}`)])).toEqual([
      [ConfigResourceTypes.BROKER, 0, ['message.max.bytes=1048588']],
      // The broker's root logger at the level it writes (the cluster's logLevel, `warn` by default); Kafka lists its log4j loggers.
      [ConfigResourceTypes.BROKER_LOGGER, 0, ['root=WARN']],
    ]);
  });

  it('fetchOffsets, fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async () => {
    const topic = 'kjs-offsets';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 600_000;
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `t${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.map((e) => [e.partition, e.low, e.high])).toEqual([[0, '0', '10']]);
    // The first offset whose timestamp is at or after the one asked for.
    expect((await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 4_500)).map((e) => [e.partition, e.offset])).toEqual([[0, '5']]);
    expect((await admin.fetchTopicOffsetsByTimestamp(topic, t0)).map((e) => e.offset)).toEqual(['0']);
    // Past the last timestamp: the log end offset, as Kafka answers -1 and KafkaJS resolves it to the end.
    const after = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 60_000);
    expect(after.map((e) => e.offset)).toEqual(['10']);
    // No commits for a group that never ran: -1 for each partition.
    const none = await admin.fetchOffsets({ groupId: 'kjs-nobody', topics: [topic] });
    expect(none[0]!.partitions.map((p) => p.offset)).toEqual(['-1']);
    // Tributary's admin gives the same timestamp lookup.
    const own = await cluster.admin().listOffsets(topic, { timestamp: t0 + 4_500 });
    expect(own.map((o) => o.offset)).toEqual([5]);
  });
});
