/**
 * A topic's `compression.type` with real Kafka clients (docs/design/storage.md,
 * "compression.type"): confluent-kafka-python (librdkafka 2.0.2) and kcat send every codec
 * into topics of other compression types, KafkaJS sends none and gzip; each batch is stored
 * in the topic's codec on the leader and on every follower (read from the segment files),
 * and every record reads back as sent through the client itself, with librdkafka checking
 * the CRC of every rebuilt batch.
 */
import { CompressionTypes, type Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually, kcatBase, requireClients, runKcat, runPython } from './helpers/clients.js';
import { readAll, storedCodecs, text, type WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';

let cluster: WireCluster;
let kafka: Kafka;
let b: string;
kafkaJsForFile('compression-type', (c, k) => {
  requireClients();
  cluster = c;
  kafka = k;
  b = c.bootstrapServers;
});

const codecIds = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
type Codec = keyof typeof codecIds;
const codecs: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec of every batch of partition 0 on every replica, once all replicas hold the leader's batches. */
async function replicatedCodecs(topic: string, batches: number): Promise<number[][]> {
  const [desc] = await cluster.admin().describeTopics([topic]);
  return await eventually(`${topic}: every replica holds ${batches} batches`, () => {
    const all = desc!.partitions[0]!.replicas.map((r) => storedCodecs(cluster, r, topic, 0));
    return all.every((s) => s.length === batches) ? all : undefined;
  });
}

interface PyTopic {
  reports: { error: string | null; offset: number }[];
  read: { offset: number; key: string; value: string; timestamp: number; headers: [string, string | null][] | null }[];
  errors: string[];
}

describe('compression.type with real clients, 3 nodes', { timeout: 400_000 }, () => {
  it('confluent-kafka-python: every codec into topics of uncompressed, gzip, lz4 and zstd; stored in the topic’s codec everywhere, read back by the client with check.crcs', async () => {
    const types = ['uncompressed', 'gzip', 'lz4', 'zstd'] as const;
    const topics = types.map((t) => `py-ct-${t}`);
    await cluster.admin().createTopics(types.map((t, i) => ({ name: topics[i]!, partitions: 1, replicationFactor: 3, configs: { 'compression.type': t } })));
    const out = await runPython<Record<string, PyTopic>>('compression_type.py', [b, ...topics], { timeoutMs: 300_000 });
    for (const [i, t] of types.entries()) {
      const r = out[topics[i]!]!;
      expect(r.reports.map((x) => [x.error, x.offset]), t).toEqual(Array.from({ length: 50 }, (_, k) => [null, k]));
      expect(r.errors, t).toEqual([]);
      expect(r.read.length, t).toBe(50);
      for (const [k, codec] of codecs.entries()) {
        for (let j = 0; j < 10; j++) {
          expect(r.read[k * 10 + j], `${t} ${codec} ${j}`).toEqual({
            offset: k * 10 + j,
            key: `${codec}-${j}`,
            value: `${codec} value ${j} `.repeat(10),
            timestamp: 1700000000000 + j,
            headers: [['trace', 'abc'], ['empty', ''], ['none', null]],
          });
        }
      }
      const want = codecIds[t === 'uncompressed' ? 'none' : t];
      for (const stored of await replicatedCodecs(topics[i]!, 5)) expect(stored, t).toEqual([want, want, want, want, want]);
    }
  });

  it('kcat -z each codec into a topic of another codec: stored in the topic’s codec, read back by kcat', async () => {
    const pairs: readonly [Codec, Exclude<Codec, 'none'> | 'uncompressed'][] = [
      ['snappy', 'gzip'],
      ['gzip', 'zstd'],
      ['zstd', 'lz4'],
      ['lz4', 'snappy'],
      ['gzip', 'uncompressed'],
    ];
    for (const [sent, type] of pairs) {
      const topic = `kcat-ct-${sent}-${type}`;
      await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3, configs: { 'compression.type': type } }]);
      const lines = Array.from({ length: 200 }, (_, i) => `key${i % 10}:${sent}-${i}-${'abcdefghij'.repeat(8)}`);
      await runKcat(kcatBase(b, ['-P', '-t', topic, '-p', '0', '-K', ':', '-z', sent, '-X', 'linger.ms=50']), { input: `${lines.join('\n')}\n` });
      const [desc] = await cluster.admin().describeTopics([topic]);
      const leaderStored = storedCodecs(cluster, desc!.partitions[0]!.leader, topic, 0);
      expect(leaderStored.length, topic).toBeGreaterThan(0);
      const want = codecIds[type === 'uncompressed' ? 'none' : type];
      for (const stored of await replicatedCodecs(topic, leaderStored.length)) expect(new Set(stored), topic).toEqual(new Set([want]));
      const back = await runKcat(kcatBase(b, ['-C', '-t', topic, '-o', 'beginning', '-e', '-X', 'check.crcs=true', '-f', '%k:%s\\n']));
      expect(back.trim().split('\n'), topic).toEqual(lines);
    }
  });

  it('KafkaJS: none and gzip into topics of gzip and uncompressed, idempotent, read back by a KafkaJS consumer', async () => {
    const pairs = [
      [CompressionTypes.None, 'gzip', codecIds.gzip],
      [CompressionTypes.GZIP, 'uncompressed', codecIds.none],
    ] as const;
    for (const [sent, type, want] of pairs) {
      const topic = `kjs-ct-${type}`;
      await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3, configs: { 'compression.type': type } }]);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i} ${'y'.repeat(50)}`, partition: 0, headers: { h: `x${i}` }, timestamp: String(1700000000000 + i) }));
      for (let i = 0; i < 3; i++) await producer.send({ topic, acks: -1, compression: sent, messages: messages.slice(i * 10, i * 10 + 10) });
      await producer.disconnect();
      for (const stored of await replicatedCodecs(topic, 3)) expect(stored, topic).toEqual([want, want, want]);
      const consumer = kafka.consumer({ groupId: `kjs-ct-${type}`, maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              got.push(`${message.offset} ${message.key?.toString()} ${message.value?.toString()} ${message.headers?.h?.toString()} ${message.timestamp}`);
              if (got.length === 30) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      expect(got).toEqual(messages.map((m, i) => `${i} ${m.key} ${m.value} ${m.headers.h} ${m.timestamp}`));
      // Tributary's own consumer reads the same records.
      expect((await readAll(cluster, topic)).map((r) => text(r.value))).toEqual(messages.map((m) => m.value));
    }
  });
});
