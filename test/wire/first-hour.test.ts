/**
 * What a user tries in a first hour with real clients against a 3-node cluster with
 * listeners, where Tributary answered differently from Apache Kafka 4.x (session s11; the
 * table is in docs/design/real-clients.md). Each check drives the real client on a real
 * socket: kcat and confluent-kafka-python (librdkafka 2.0.2) and KafkaJS 2.2.4.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually, kcat, kcatBase, requireClients, run, runKcat, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';
import { runCli, type Ran } from '../helpers/cli.js';
import './helpers/kafkajs.js';

let cluster: WireCluster;
let b: string;
clusterForFile(
  { nodes: 3 },
  (c) => {
    cluster = c;
    b = c.bootstrapServers;
  },
  requireClients,
);

/** [topic, partition, offset, error name or null], as rdkafka_admin.py prints a partition. */
type Row = [string, number, number, string | null];

/** A `tributary` command line run as the bin runs it (`dispatch`), its clients over TCP. */
const cli = (argv: readonly string[]): Promise<Ran> => runCli(argv, { clientId: 'first-hour-cli' });

/** The rows of a table the CLI printed, header left out. */
const rowsOf = (out: string): string[][] =>
  out
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/));

/** KafkaJS with its retries and timeouts set for a loaded machine. */
const kafkaOf = (brokers: string): Kafka =>
  new Kafka({ clientId: 'first-hour', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 30_000, requestTimeout: 60_000, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 } });

describe('a first hour with real clients, 3 nodes', { timeout: 400_000 }, () => {
  it("ListOffsets refuses Kafka's newer targets (-3 max timestamp, -4 earliest local, -5 latest tiered) in the older versions kcat, offsets_for_times and KafkaJS send, as Kafka 4.x does; Tributary's Admin gets -3", async () => {
    const topic = 'fh-targets';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }, { name: `${topic}-empty`, partitions: 1, replicationFactor: 3 }]);
    const t0 = 1_700_000_000_000;
    // Offsets 0..9 in one batch with timestamps out of order (the largest, t0+9s, at offsets 2
    // and 4), then three batches of one record each; the log's largest timestamp (t0+20s) is
    // at offset 11, not the last one (12).
    const producer = cluster.producer({ acks: 'all' });
    await producer.send(topic, [5, 1, 9, 3, 9, 2, 7, 8, 0, 4].map((s, i) => ({ value: `v${i}`, timestamp: t0 + s * 1000 })));
    for (const s of [6, 20, 10]) await producer.send(topic, [{ value: `s${s}`, timestamp: t0 + s * 1000 }]);

    // Kafka 4.x answers a target the request's version does not define UNSUPPORTED_VERSION
    // (ReplicaManager.isListOffsetsTimestampUnsupported, KAFKA-17331: -3 from ListOffsets
    // v7, -4 from v8, -5 from v9). librdkafka 2.0.2 (kcat, python) and KafkaJS send older
    // versions, so a real Kafka broker refuses them each of these; Tributary does too since
    // s12 (s11 answered them: test/wire/kafka-answers.test.ts has -3 at v7).
    const q = (t: string, target: number) => run(kcat, kcatBase(b, ['-Q', '-t', `${t}:0:${target}`]));
    for (const target of [-3, -4, -5]) {
      const r = await q(topic, target);
      expect([r.code, r.stderr.trim()]).toEqual([1, '% ERROR: offsets_for_times failed: Broker: API version not supported']);
    }
    expect((await runKcat(kcatBase(b, ['-Q', '-t', `${topic}:0:-1`]))).trim()).toBe(`${topic} [0] offset 13`);

    const targets = [-1, -2, -3, -4, -5, -6, t0 + 6000];
    const py = await runPython<Record<string, number | string>>('list_offsets_targets.py', [b, topic, ...targets]);
    // -6 is no target Kafka 4.x serves at any version.
    expect(py).toEqual({ '-1': 13, '-2': 0, '-3': 'UNSUPPORTED_VERSION', '-4': 'UNSUPPORTED_VERSION', '-5': 'UNSUPPORTED_VERSION', '-6': 'UNSUPPORTED_VERSION', [t0 + 6000]: 2 });

    // After DeleteRecords the earliest offset is the new log start, and the largest
    // timestamp is looked for in what is left.
    await cluster.admin().deleteRecords(topic, { 0: 3 });
    const after = await runPython<Record<string, number | string>>('list_offsets_targets.py', [b, topic, -2, -3]);
    expect(after).toEqual({ '-2': 3, '-3': 'UNSUPPORTED_VERSION' });

    // KafkaJS passes the target through fetchTopicOffsetsByTimestamp, in ListOffsets v3 at most.
    const kafka = kafkaOf(b);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await expect(admin.fetchTopicOffsetsByTimestamp(topic, -3)).rejects.toMatchObject({ type: 'UNSUPPORTED_VERSION' });
    } finally {
      await admin.disconnect();
    }

    // Tributary's own Admin asks for it by name, as Kafka's OffsetSpec.maxTimestamp() does.
    expect(await cluster.admin().listOffsets(topic, 'max-timestamp')).toEqual([{ partition: 0, offset: 11, timestamp: t0 + 20_000 }]);
  });

  it("a topic takes every topic config of Kafka 4.x (codec levels, tiered-storage and throttled-replica configs), refuses remote.storage.enable=true as a broker without tiered storage does, and describes them all", async () => {
    // Before: each of these was refused INVALID_CONFIG "unknown topic config".
    const all = {
      'compression.gzip.level': '5',
      'compression.lz4.level': '17',
      'compression.zstd.level': '-5',
      'local.retention.ms': '-2',
      'local.retention.bytes': '1000',
      'remote.storage.enable': 'false',
      'remote.log.copy.disable': 'true',
      'remote.log.delete.on.disable': 'false',
      'leader.replication.throttled.replicas': '0:1,0:2',
      'follower.replication.throttled.replicas': '*',
    };
    const topics = [
      ['fh-cfg-all', all],
      ['fh-cfg-gzip-default', { 'compression.gzip.level': '-1' }],
      ['fh-cfg-tiered', { 'remote.storage.enable': 'true' }],
      ['fh-cfg-gzip-0', { 'compression.gzip.level': '0' }],
      ['fh-cfg-zstd-23', { 'compression.zstd.level': '23' }],
      ['fh-cfg-throttle', { 'leader.replication.throttled.replicas': '0-1' }],
      // Removed in Kafka 4.0 (KIP-724, KIP-937): Kafka refuses them as unknown, and so does Tributary.
      ['fh-cfg-gone', { 'message.downconversion.enable': 'true' }],
    ];
    type Out = { created: Record<string, [string, string] | null>; described: Record<string, Record<string, [string, number, boolean, boolean]>> };
    const out = await runPython<Out>('topic_configs.py', [b, JSON.stringify(topics)]);
    expect(out.created['fh-cfg-all']).toBeNull();
    expect(out.created['fh-cfg-gzip-default']).toBeNull();
    expect(out.created['fh-cfg-tiered']).toEqual(['INVALID_CONFIG', 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.']);
    for (const t of ['fh-cfg-gzip-0', 'fh-cfg-zstd-23', 'fh-cfg-throttle', 'fh-cfg-gone']) expect(out.created[t]?.[0], t).toBe('INVALID_CONFIG');

    // Every topic config of Kafka 4.0's LogConfig, no more and no fewer.
    const described = out.described['fh-cfg-all']!;
    expect(Object.keys(described).sort()).toEqual(kafka4TopicConfigs);
    for (const [name, value] of Object.entries(all)) expect(described[name], name).toEqual([value, 1, false, false]); // 1: DYNAMIC_TOPIC_CONFIG
    expect(out.described['fh-cfg-gzip-default']!['compression.lz4.level']).toEqual(['9', 5, true, false]); // 5: DEFAULT_CONFIG

    // KafkaJS alters and reads one back.
    const admin = kafkaOf(b).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'fh-cfg-gzip-default', configEntries: [{ name: 'compression.zstd.level', value: '19' }] }] });
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'fh-cfg-gzip-default', configNames: ['compression.zstd.level', 'remote.storage.enable'] }] });
      expect(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue, e.isDefault])).toEqual([
        ['compression.zstd.level', '19', false],
        ['remote.storage.enable', 'false', true],
      ]);
      await expect(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'fh-cfg-gzip-default', configEntries: [{ name: 'remote.storage.enable', value: 'true' }] }] }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    } finally {
      await admin.disconnect();
    }
  });

  it('tributary groups --reset-offsets --to N moves an offset outside a partition to its nearer end, as kafka-consumer-groups.sh does; librdkafka reads the result', async () => {
    const topic = 'fh-reset';
    const group = 'fh-reset-group';
    await cluster.admin().createTopics([{ name: topic, partitions: 2, replicationFactor: 3 }]);
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0']), { input: Array.from({ length: 10 }, (_, i) => `v${i}`).join('\n') + '\n' });
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '1']), { input: 'a\nb\n' });
    await cluster.admin().deleteRecords(topic, { 0: 3 });

    // Before: 999 was committed as given (lag 0 shown, and a consumer then reset by its own
    // auto.offset.reset); 1, below the log start of partition 0, the same.
    const high = await cli(['groups', '--bootstrap-server', b, '--reset-offsets', group, '--topic', topic, '--to', '999', '--execute']);
    expect(high.code).toBe(0);
    expect(rowsOf(high.out)).toEqual([[group, topic, '0', '10'], [group, topic, '1', '2']]);
    expect(high.err).toContain(`partition ${topic}-0 (latest 10)`);
    expect(high.err).toContain(`partition ${topic}-1 (latest 2)`);
    const committed = async (): Promise<Row[]> =>
      ((await runPython<{ groups: { partitions: Row[] }[] }[]>('rdkafka_admin.py', [b, JSON.stringify([{ op: 'list_offsets', group, partitions: null }])]))[0]!.groups[0]!.partitions).sort((x, y) => x[1] - y[1]);
    expect((await committed()).map((r) => r.slice(0, 3))).toEqual([[topic, 0, 10], [topic, 1, 2]]);

    const dry = await cli(['groups', '--bootstrap-server', b, '--reset-offsets', group, '--topic', topic, '--to', '1']);
    expect(rowsOf(dry.out)).toEqual([[group, topic, '0', '3'], [group, topic, '1', '1']]);
    expect(dry.err).toContain(`partition ${topic}-0 (earliest 3)`);
    expect((await committed()).map((r) => r.slice(0, 3))).toEqual([[topic, 0, 10], [topic, 1, 2]]); // a dry run commits nothing
    await cli(['groups', '--bootstrap-server', b, '--reset-offsets', group, '--topic', topic, '--to', '1', '--execute']);
    expect((await committed()).map((r) => r.slice(0, 3))).toEqual([[topic, 0, 3], [topic, 1, 1]]);
  });

  it('tributary consume --from N --exit with N outside a partition ends at once, as kcat -o N -e does, instead of waiting forever', async () => {
    const topic = 'fh-consume-outside';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0']), { input: Array.from({ length: 10 }, (_, i) => `v${i}`).join('\n') + '\n' });
    await cluster.admin().deleteRecords(topic, { 0: 4 });
    // kcat: an offset outside the partition is reset to its end, and -e then exits with nothing printed.
    for (const o of ['999', '2']) expect(await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', o, '-e', '-f', '%o\n']))).toBe('');
    // Before: the position was lost to the reset, --exit waited for offsets below the end that never came.
    for (const o of ['999', '2']) {
      const r = await cli(['consume', topic, '--bootstrap-server', b, '--from', o, '--exit']);
      expect(r, o).toMatchObject({ code: 0, out: '' });
      expect(r.err).toContain(`outside partition ${topic}-0 (earliest 4, latest 10)`);
    }
    // Inside the partition it reads from there to the end.
    expect(await cli(['consume', topic, '--bootstrap-server', b, '--from', '7', '--exit', '--format', '%o %s\n'])).toEqual({ code: 0, out: '7 v7\n8 v8\n9 v9\n', err: '' });
  });

  it("a topic deleted and created again: the group's old offsets go with it (Kafka's onPartitionsDeleted), so a confluent-kafka consumer reads the new topic from its start", async () => {
    const topic = 'fh-recreate';
    const group = 'fh-recreate-group';
    const admin = kafkaOf(b).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
      await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0']), { input: Array.from({ length: 10 }, (_, i) => `old${i}`).join('\n') + '\n' });
      type Read = { values: string[]; committed: Record<string, number> };
      const first = await runPython<Read>('consumer.py', [b, topic, group, 10, 120]);
      expect(first.committed).toEqual({ '0': 10 });

      await admin.deleteTopics({ topics: [topic] });
      const listed = async (): Promise<Row[]> => (await runPython<{ groups: { partitions: Row[] }[] }[]>('rdkafka_admin.py', [b, JSON.stringify([{ op: 'list_offsets', group, partitions: null }])]))[0]!.groups[0]!.partitions;
      // Before: the group kept offset 10 for the deleted topic (librdkafka listed it).
      await eventually('the deleted topic\'s offsets to be gone', async () => ((await listed()).length === 0 ? true : undefined), 120_000, 500);

      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] });
      await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0']), { input: Array.from({ length: 15 }, (_, i) => `new${i}`).join('\n') + '\n' });
      // Before: the consumer resumed at the old offset 10 and never saw new0..new9.
      const second = await runPython<Read>('consumer.py', [b, topic, group, 15, 120]);
      expect(second.values).toEqual(Array.from({ length: 15 }, (_, i) => `new${i}`));
      expect(second.committed).toEqual({ '0': 15 });
    } finally {
      await admin.disconnect();
    }
  });

  it('tributary topics --alter NAME --partitions N raises the partition count, as kafka-topics.sh --alter; kcat sees the new partitions and writes to them', async () => {
    const topic = 'fh-alter';
    expect(await cli(['topics', '--bootstrap-server', b, '--create', topic, '--partitions', '1', '--replication-factor', '3'])).toMatchObject({ code: 0 });
    // Before: "unknown option --alter", exit 2.
    expect(await cli(['topics', '--bootstrap-server', b, '--alter', topic, '--partitions', '3'])).toEqual({ code: 0, out: `Topic ${topic} has 3 partitions.\n`, err: '' });
    const fewer = await cli(['topics', '--bootstrap-server', b, '--alter', topic, '--partitions', '2']);
    expect(fewer.code).toBe(1);
    expect(fewer.err).toContain('INVALID_PARTITIONS');
    expect((await cli(['topics', '--bootstrap-server', b, '--alter', topic])).code).toBe(2);
    await eventually('kcat to see 3 partitions', async () => {
      const md = JSON.parse(await runKcat(kcatBase(b, ['-L', '-J', '-t', topic]))) as { topics: { partitions: unknown[] }[] };
      return md.topics[0]?.partitions.length === 3 ? true : undefined;
    }, 120_000, 500);
    await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '2']), { input: 'to-2\n' });
    expect(await runKcat(kcatBase(b, ['-C', '-t', topic, '-p', '2', '-o', 'beginning', '-e', '-f', '%p %s\n']))).toBe('2 to-2\n');
  });
});

/** The topic configs of Kafka 4.0 (`LogConfig.CONFIG` in apache/kafka, storage module), sorted. */
const kafka4TopicConfigs = [
  'cleanup.policy',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.type',
  'compression.zstd.level',
  'delete.retention.ms',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'index.interval.bytes',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'max.message.bytes',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.log.copy.disable',
  'remote.log.delete.on.disable',
  'remote.storage.enable',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.index.bytes',
  'segment.jitter.ms',
  'segment.ms',
  'unclean.leader.election.enable',
];
