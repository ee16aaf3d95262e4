/**
 * What a user tries in a first hour with real clients against a 3-node cluster with
 * listeners, where Tributary answered differently from Apache Kafka 4.x (session s11; the
 * table is in docs/design/real-clients.md). Each check drives the real client on a real
 * socket: kcat and confluent-kafka-python (librdkafka 2.0.2) and KafkaJS 2.2.4.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kcatBase, requireClients, runKcat, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';
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

/** KafkaJS with its retries and timeouts set for a loaded machine. */
const kafkaOf = (brokers: string): Kafka =>
  new Kafka({ clientId: 'first-hour', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 30_000, requestTimeout: 60_000, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 } });

describe('a first hour with real clients, 3 nodes', { timeout: 400_000 }, () => {
  it("ListOffsets answers each of Kafka's targets: -3 max timestamp (kcat -Q, offsets_for_times, KafkaJS), -4 earliest local, -5 latest tiered", async () => {
    const topic = 'fh-targets';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }, { name: `${topic}-empty`, partitions: 1, replicationFactor: 3 }]);
    const t0 = 1_700_000_000_000;
    // Offsets 0..9 in one batch with timestamps out of order (the largest, t0+9s, at offsets 2
    // and 4), then three batches of one record each; the log's largest timestamp (t0+20s) is
    // at offset 11, not the last one (12).
    const producer = cluster.producer({ acks: 'all' });
    await producer.send(topic, [5, 1, 9, 3, 9, 2, 7, 8, 0, 4].map((s, i) => ({ value: `v${i}`, timestamp: t0 + s * 1000 })));
    for (const s of [6, 20, 10]) await producer.send(topic, [{ value: `s${s}`, timestamp: t0 + s * 1000 }]);

    // Before: kcat and python were answered UNSUPPORTED_VERSION for -3, and the request
    // holding -4 or -5 was refused whole (INVALID_REQUEST).
    const q = async (t: string, target: number): Promise<string> => (await runKcat(kcatBase(b, ['-Q', '-t', `${t}:0:${target}`]))).trim();
    expect(await q(topic, -3)).toBe(`${topic} [0] offset 11`);
    expect(await q(topic, -4)).toBe(`${topic} [0] offset 0`);
    expect(await q(topic, -5)).toBe(`${topic} [0] offset -1`);
    // An empty partition has no largest timestamp.
    expect(await q(`${topic}-empty`, -3)).toBe(`${topic}-empty [0] offset -1`);

    const targets = [-1, -2, -3, -4, -5, -6, t0 + 6000];
    const py = await runPython<Record<string, number | string>>('list_offsets_targets.py', [b, topic, ...targets]);
    // -6 is no target Kafka 4.x serves; Tributary answers the partition UNSUPPORTED_VERSION.
    expect(py).toEqual({ '-1': 13, '-2': 0, '-3': 11, '-4': 0, '-5': -1, '-6': 'UNSUPPORTED_VERSION', [t0 + 6000]: 2 });

    // After DeleteRecords the earliest local offset is the new log start, and the largest
    // timestamp is looked for in what is left.
    await cluster.admin().deleteRecords(topic, { 0: 3 });
    const after = await runPython<Record<string, number | string>>('list_offsets_targets.py', [b, topic, -2, -3, -4]);
    expect(after).toEqual({ '-2': 3, '-3': 11, '-4': 3 });

    // KafkaJS passes the target through fetchTopicOffsetsByTimestamp.
    const kafka = kafkaOf(b);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, -3)).toEqual([{ partition: 0, offset: '11' }]);
    } finally {
      await admin.disconnect();
    }

    // Tributary's own Admin asks for it by name, as Kafka's OffsetSpec.maxTimestamp() does.
    expect(await cluster.admin().listOffsets(topic, 'max-timestamp')).toEqual([{ partition: 0, offset: 11, timestamp: t0 + 20_000 }]);
  });
});
