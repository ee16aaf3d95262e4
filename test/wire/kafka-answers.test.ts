/**
 * Kafka's exact answers where Tributary's differed (session s12), on a real socket with
 * requests and batches Tributary did not encode (KafkaJS's batch encoder and Fetch v11
 * encoder; Produce v8 and ListOffsets v7 written by hand). Each answer is Kafka 4.x's, read
 * in apache/kafka (docs/design/real-clients.md, "Session s12"):
 *
 * - a Fetch partition answered with an error carries -1 for its high watermark, last
 *   stable offset and log start offset (`ReplicaManager.createLogReadResult(e)`);
 * - a produced batch with two faults gets the first in Kafka's order
 *   (`ProduceRequest.validateRecords`, then `UnifiedLog.analyzeAndValidateRecords`: base
 *   offset, `max.message.bytes`, then the CRC; then `LogValidator.validateBatch`);
 * - partial bytes after the one whole batch are dropped and the batch appended
 *   (`trimInvalidBytes`), unless Kafka's batch reader calls them corrupt; a first batch cut
 *   short is no batch at all (INVALID_RECORD);
 * - each record's timestamp is checked, not the header's max timestamp, and the stored
 *   batch's max timestamp is the records' largest (`LogValidator`, `setMaxTimestamp`);
 * - ListOffsets targets below the version that defines them (-3 before v7, -4 before v8, -5
 *   before v9) and unknown negative targets: UNSUPPORTED_VERSION (KAFKA-17331);
 * - `fetch.max.bytes` is a broker config that caps a Fetch's `max_bytes` and is described.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireClients, runPython } from './helpers/clients.js';
import { nodeAddress, startWireCluster, type WireCluster } from './helpers/cluster.js';
import { RawConnection, requestMessage, sized } from './helpers/raw-client.js';
import { rawFetchV11 } from './helpers/raw-fetch.js';
import { kafkaJsBatch } from './helpers/kafkajs-batch.js';

let cluster: WireCluster;
let correlationId = 1;

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 3, broker: { fetchMaxBytes: 4096 } });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

async function leaderOf(topic: string): Promise<{ leader: number; leaderEpoch: number; replicas: readonly number[] }> {
  const [d] = await cluster.admin().describeTopics([topic]);
  const p = d!.partitions[0]!;
  return { leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas };
}

/** One request on a fresh connection to `address`; the answer frame after its correlation id. */
async function roundTrip(address: string, frame: (id: number) => Buffer): Promise<Buffer> {
  const conn = await RawConnection.open(address);
  try {
    const id = correlationId++;
    conn.write(frame(id));
    const answer = await conn.next(60_000);
    if (typeof answer === 'string') throw new Error(`no answer: ${answer}`);
    expect(answer.readInt32BE(0)).toBe(id);
    return answer.subarray(4);
  } finally {
    conn.close();
  }
}

interface ProduceAnswer {
  errorCode: number;
  baseOffset: bigint;
  recordErrors: number[];
}

/** Produce v8 (acks 1) of `records` to partition 0 of `topic` at its leader, written by hand; the partition's answer. */
async function produceV8(topic: string, records: Buffer): Promise<ProduceAnswer> {
  const { leader } = await leaderOf(topic);
  const name = Buffer.from(topic);
  const body = Buffer.alloc(2 + 2 + 4 + 4 + 2 + name.length + 4 + 4 + 4);
  let at = body.writeInt16BE(-1, 0); // transactional id: null
  at = body.writeInt16BE(1, at); // acks
  at = body.writeInt32BE(30_000, at);
  at = body.writeInt32BE(1, at);
  at = body.writeInt16BE(name.length, at);
  at += name.copy(body, at);
  at = body.writeInt32BE(1, at);
  at = body.writeInt32BE(0, at);
  body.writeInt32BE(records.length, at);
  const frame = await roundTrip(nodeAddress(cluster, leader), (id) => sized(requestMessage(0, 8, id, Buffer.concat([body, records]))));
  let pos = 4 + 2 + name.length + 4; // one topic, its name, one partition
  expect(frame.readInt32BE(pos)).toBe(0);
  const errorCode = frame.readInt16BE(pos + 4);
  const baseOffset = frame.readBigInt64BE(pos + 6);
  pos += 4 + 2 + 8 + 8 + 8; // index, error, base offset, log append time, log start offset
  const recordErrors: number[] = [];
  const count = frame.readInt32BE(pos);
  pos += 4;
  for (let i = 0; i < count; i++) {
    recordErrors.push(frame.readInt32BE(pos));
    const len = frame.readInt16BE(pos + 4);
    pos += 4 + 2 + Math.max(0, len);
  }
  return { errorCode, baseOffset, recordErrors };
}

/**
 * ListOffsets v`version` (v1-v5 classic, v6-v7 flexible) of partition 0 of `topic`, written
 * by hand, one request for each target (a partition named twice is INVALID_REQUEST): [error, offset] each.
 */
async function listOffsets(topic: string, version: number, targets: readonly number[]): Promise<[number, bigint][]> {
  const out: [number, bigint][] = [];
  for (const t of targets) out.push(...(await listOffsetsOnce(topic, version, [t])));
  return out;
}

async function listOffsetsOnce(topic: string, version: number, targets: readonly number[]): Promise<[number, bigint][]> {
  const { leader } = await leaderOf(topic);
  const name = Buffer.from(topic);
  const flexible = version >= 6;
  const parts = targets.map((t) => {
    const b = Buffer.alloc(4 + (version >= 4 ? 4 : 0) + 8 + (flexible ? 1 : 0));
    let at = b.writeInt32BE(0, 0);
    if (version >= 4) at = b.writeInt32BE(-1, at);
    b.writeBigInt64BE(BigInt(t), at);
    return b;
  });
  const head = Buffer.alloc(4 + (version >= 2 ? 1 : 0));
  head.writeInt32BE(-1, 0);
  const count = (n: number): Buffer => (flexible ? Buffer.from([n + 1]) : Buffer.from([0, 0, 0, n].map((x, i) => (i === 3 ? x : 0))));
  const str = flexible ? Buffer.concat([Buffer.from([name.length + 1]), name]) : Buffer.concat([Buffer.from([0, name.length]), name]);
  const tags = flexible ? Buffer.from([0]) : Buffer.alloc(0);
  const body = Buffer.concat([head, count(1), str, count(targets.length), ...parts, tags, tags]);
  // Request header v2 for a flexible version: the v1 header and an empty tag buffer.
  const message = flexible ? Buffer.concat([requestMessage(2, version, 0), Buffer.from([0]), body]) : requestMessage(2, version, 0, body);
  const frame = await roundTrip(nodeAddress(cluster, leader), (id) => {
    message.writeInt32BE(id, 4);
    return sized(message);
  });
  let pos = flexible ? 1 : 0; // response header v1: tag buffer
  pos += version >= 2 ? 4 : 0; // throttle
  pos += flexible ? 1 : 4; // one topic
  pos += flexible ? 1 + name.length : 2 + name.length;
  pos += flexible ? 1 : 4; // partitions
  const out: [number, bigint][] = [];
  for (let i = 0; i < targets.length; i++) {
    const errorCode = frame.readInt16BE(pos + 4);
    const offset = frame.readBigInt64BE(pos + 6 + 8);
    out.push([errorCode, offset]);
    pos += 4 + 2 + 8 + 8 + (version >= 4 ? 4 : 0) + (flexible ? 1 : 0);
  }
  return out;
}

/** A KafkaJS batch of `n` records stamped now; its CRC made wrong when `badCrc`. */
async function batchOf(n: number, options: Record<string, unknown> = {}, badCrc = false): Promise<Buffer> {
  const now = Date.now();
  const b = await kafkaJsBatch(
    Array.from({ length: n }, (_, i) => ({ value: `v${i}`, timestamp: now })),
    options,
  );
  if (badCrc) b.writeUInt32BE((b.readUInt32BE(17) ^ 0xffff) >>> 0, 17);
  return b;
}

/** Creates `topic` (partition 0 is what is checked) and waits until its leader serves it: a node learns of a new topic from the metadata log a moment after the controller. */
async function create(topic: string, replicationFactor: number, configs: Record<string, string> = {}, partitions = 1): Promise<void> {
  await cluster.admin().createTopics([{ name: topic, partitions, replicationFactor, configs }]);
  await eventually(`${topic} served by its leaders`, async () => {
    const [d] = await cluster.admin().describeTopics([topic]);
    for (const p of d!.partitions) {
      if (p.leader < 0) return undefined;
      const [a] = await rawFetchV11(nodeAddress(cluster, p.leader), topic, [{ partition: p.partition, fetchOffset: 0 }]);
      if (a!.errorCode !== 0) return undefined;
    }
    return true;
  });
}

async function logEnd(topic: string): Promise<number> {
  return (await cluster.admin().listOffsets(topic, 'latest'))[0]!.offset;
}

/** IncrementalAlterConfigs v0 of one resource, written by hand: [error code, message]. Ops: [name, op (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT), value]. */
async function alterConfigsV0(node: number, resourceType: number, resourceName: string, ops: [string, number, string | null][], validateOnly = false): Promise<[number, string | null]> {
  const str = (t: string): Buffer => Buffer.concat([Buffer.from([0, Buffer.byteLength(t)]), Buffer.from(t)]);
  const int32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n, 0);
    return b;
  };
  const configs = ops.map(([name, op, value]) => Buffer.concat([str(name), Buffer.from([op]), value === null ? Buffer.from([0xff, 0xff]) : str(value)]));
  const body = Buffer.concat([int32(1), Buffer.from([resourceType]), str(resourceName), int32(ops.length), ...configs, Buffer.from([validateOnly ? 1 : 0])]);
  const frame = await roundTrip(nodeAddress(cluster, node), (id) => sized(requestMessage(44, 0, id, body)));
  // throttle, one response: error, message.
  expect(frame.readInt32BE(4)).toBe(1);
  const errorCode = frame.readInt16BE(8);
  const len = frame.readInt16BE(10);
  return [errorCode, len < 0 ? null : frame.subarray(12, 12 + len).toString()];
}

describe('Kafka’s exact answers on a real socket', { timeout: 300_000 }, () => {
  it('a Fetch partition answered with an error carries -1 for its high watermark, last stable offset and log start offset', async () => {
    const topic = 'answers-fetch';
    await create(topic, 3);
    await cluster.producer({ acks: 'all' }).send(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const { leader, leaderEpoch, replicas } = await leaderOf(topic);
    const follower = replicas.find((r) => r !== leader)!;
    const at = (node: number, parts: Parameters<typeof rawFetchV11>[2]) => rawFetchV11(nodeAddress(cluster, node), topic, parts);
    const [ok] = await at(leader, [{ partition: 0, fetchOffset: 0 }]);
    expect([ok!.errorCode, ok!.highWatermark, ok!.lastStableOffset, ok!.logStartOffset]).toEqual([0, 3n, 3n, 0n]);
    const unknown = -1n;
    // Before: OFFSET_OUT_OF_RANGE and UNKNOWN_LEADER_EPOCH carried 3, 3, 0.
    const answers = [
      ...(await at(leader, [{ partition: 0, fetchOffset: 99 }])),
      ...(await at(leader, [{ partition: 0, fetchOffset: 0, currentLeaderEpoch: leaderEpoch + 1 }])),
      // (the follower may learn of the topic a moment after its leader)
      await eventually('the follower to know the topic', async () => {
        const [a] = await at(follower, [{ partition: 0, fetchOffset: 0 }]);
        return a!.errorCode !== 3 ? a! : undefined;
      }),
      ...(await at(leader, [{ partition: 7, fetchOffset: 0 }])),
    ];
    expect(answers.map((a) => [a.errorCode, a.highWatermark, a.lastStableOffset, a.logStartOffset, a.records.length])).toEqual([
      [1, unknown, unknown, unknown, 0],
      [75, unknown, unknown, unknown, 0],
      [6, unknown, unknown, unknown, 0],
      [3, unknown, unknown, unknown, 0],
    ]);
  });

  it('a batch with two faults gets the first in Kafka’s order: base offset, then max.message.bytes, then the CRC, then the offsets and count', async () => {
    const topic = 'answers-order';
    await create(topic, 1, { 'max.message.bytes': '400' });
    // Before: CORRUPT_MESSAGE (2) for each, the CRC being checked first.
    expect((await produceV8(topic, await batchOf(1, { firstOffset: 5 }, true))).errorCode).toBe(87);
    expect((await produceV8(topic, await batchOf(60, {}, true))).errorCode).toBe(10);
    expect((await produceV8(topic, await batchOf(1, {}, true))).errorCode).toBe(2);
    // Two records over an offset span of one (count above the span): Kafka's validateBatch, INVALID_RECORD.
    expect((await produceV8(topic, await batchOf(2, { lastOffsetDelta: 0 }))).errorCode).toBe(87);
    // A base offset of 5 is refused before a size over max.message.bytes.
    expect((await produceV8(topic, await batchOf(60, { firstOffset: 5 }))).errorCode).toBe(87);
    expect(await logEnd(topic)).toBe(0);
  });

  it('partial bytes after the one whole batch are dropped and the batch appended; a first batch cut short is INVALID_RECORD', async () => {
    const topic = 'answers-trailing';
    await create(topic, 1);
    const whole = await batchOf(2);
    // Before: CORRUPT_MESSAGE for each of these three.
    expect(await produceV8(topic, Buffer.concat([whole, Buffer.alloc(11, 0x41)]))).toEqual({ errorCode: 0, baseOffset: 0n, recordErrors: [] });
    const partialNext = (await batchOf(1)).subarray(0, 40); // a second batch's first 40 bytes: its length overruns
    expect(await produceV8(topic, Buffer.concat([whole, partialNext]))).toEqual({ errorCode: 0, baseOffset: 2n, recordErrors: [] });
    expect((await produceV8(topic, whole.subarray(0, whole.length - 1))).errorCode).toBe(87);
    // What Kafka's batch reader calls corrupt stays corrupt: a length field below 14, a magic byte outside 0-2.
    const shortLength = Buffer.alloc(12);
    shortLength.writeInt32BE(5, 8);
    expect((await produceV8(topic, Buffer.concat([whole, shortLength]))).errorCode).toBe(2);
    const badMagic = Buffer.from(partialNext);
    badMagic[16] = 9;
    expect((await produceV8(topic, Buffer.concat([whole, badMagic]))).errorCode).toBe(2);
    expect(await logEnd(topic)).toBe(4);
    // The log holds the whole batches only: two batches of two records, nothing of the trailing bytes.
    const [read] = await rawFetchV11(nodeAddress(cluster, (await leaderOf(topic)).leader), topic, [{ partition: 0, fetchOffset: 0 }]);
    expect(read!.records.length).toBe(2 * whole.length);
  });

  it('every record’s timestamp is checked, not the header’s max timestamp; the stored max timestamp is the records’ largest', async () => {
    const topic = 'answers-timestamps';
    await create(topic, 1);
    const now = Date.now();
    const hour = 3_600_000;
    // Record 1 is two hours ahead (message.timestamp.after.max.ms is one hour) while the
    // header claims `now` as the largest timestamp. Before: taken.
    const understated = await kafkaJsBatch(
      [
        { value: 'a', timestamp: now },
        { value: 'b', timestamp: now + 2 * hour },
        { value: 'c', timestamp: now },
      ],
      { maxTimestamp: now },
    );
    expect(await produceV8(topic, understated)).toEqual({ errorCode: 32, baseOffset: -1n, recordErrors: [1] });
    expect(await logEnd(topic)).toBe(0);
    // In range but understated: taken, and stored with the records' largest timestamp, as
    // Kafka's validator writes it (ListOffsets -3 finds it).
    const inRange = await kafkaJsBatch(
      [
        { value: 'a', timestamp: now - 5_000 },
        { value: 'b', timestamp: now - 1_000 },
      ],
      { maxTimestamp: now - 5_000 },
    );
    expect((await produceV8(topic, inRange)).errorCode).toBe(0);
    expect(await cluster.admin().listOffsets(topic, 'max-timestamp')).toEqual([{ partition: 0, offset: 1, timestamp: now - 1_000 }]);
  });

  it('ListOffsets: a target before the version that defines it, or an unknown negative one, is UNSUPPORTED_VERSION', async () => {
    const topic = 'answers-targets';
    await create(topic, 1);
    await cluster.producer({ acks: 'all' }).send(topic, [{ value: 'x', timestamp: 1_000 }, { value: 'y', timestamp: 3_000 }, { value: 'z', timestamp: 2_000 }]);
    // v7 (Tributary's newest): -3 answered; -4 needs v8 and -5 v9 (before: both answered); -6 never.
    expect(await listOffsets(topic, 7, [-1, -2, -3, -4, -5, -6, 2_000])).toEqual([
      [0, 3n],
      [0, 0n],
      [0, 1n],
      [35, -1n],
      [35, -1n],
      [35, -1n],
      [0, 1n], // the first record at or after 2,000 (y at 3,000)
    ]);
    // v5 (below KIP-734's v7): -3 too is UNSUPPORTED_VERSION (before: answered 1).
    expect(await listOffsets(topic, 5, [-1, -3])).toEqual([
      [0, 3n],
      [35, -1n],
    ]);
    // A client in this process names no version: every target Kafka knows is served.
    expect((await cluster.admin().listOffsets(topic, 'max-timestamp'))[0]!.offset).toBe(1);
  });

  it('fetch.max.bytes is a broker config: it caps a Fetch’s max_bytes (past the first whole batch) and DescribeConfigs lists it', async () => {
    const topic = 'answers-fetch-max';
    await create(topic, 1, {}, 2);
    const producer = cluster.producer({ acks: 'all' });
    const value = 'x'.repeat(3000);
    for (const partition of [0, 1]) for (let i = 0; i < 2; i++) await producer.send(topic, [{ value, partition }]);
    const leaders = await cluster.admin().describeTopics([topic]);
    const l0 = leaders[0]!.partitions.find((p) => p.partition === 0)!.leader;
    const l1 = leaders[0]!.partitions.find((p) => p.partition === 1)!.leader;
    const parts = [
      { partition: 0, fetchOffset: 0 },
      { partition: 1, fetchOffset: 0 },
    ];
    if (l0 === l1) {
      // max_bytes 1 MiB asked, fetch.max.bytes 4096 given: the first batch whole (about 3 KB), nothing after it.
      const answers = await rawFetchV11(nodeAddress(cluster, l0), topic, parts, { maxBytes: 1 << 20 });
      const total = answers.reduce((n, a) => n + a.records.length, 0);
      expect(total).toBeGreaterThan(3000);
      expect(total).toBeLessThan(4096);
    } else {
      const [one] = await rawFetchV11(nodeAddress(cluster, l0), topic, [parts[0]!], { maxBytes: 1 << 20 });
      expect(one!.records.length).toBeGreaterThan(3000);
      expect(one!.records.length).toBeLessThan(4096);
    }
    const kafka = new Kafka({ clientId: 'answers', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(l0), configNames: ['fetch.max.bytes'] }] });
      expect(d.resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.readOnly])).toEqual([['fetch.max.bytes', '4096', true]]);
    } finally {
      await admin.disconnect();
    }
  });

  it('BROKER_LOGGER: DescribeConfigs lists the root logger and its level; IncrementalAlterConfigs sets it, with Kafka’s refusals', async () => {
    const kafka = new Kafka({ clientId: 'answers-loggers', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const describeLoggers = async (name: string): Promise<unknown> => {
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER_LOGGER, name }] });
      return d.resources[0]!.configEntries.map((c) => [c.configName, c.configValue, c.readOnly, c.configSource]);
    };
    try {
      // Before: an empty list. The cluster's logLevel here is `warn` (console, the default): root WARN. Source 6 is DYNAMIC_BROKER_LOGGER_CONFIG.
      expect(await describeLoggers('1')).toEqual([['root', 'WARN', false, 6]]);
      // Before: the whole request refused (resource type 8 was not accepted).
      expect(await alterConfigsV0(1, 8, '1', [['root', 0, 'DEBUG']], true)).toEqual([0, null]);
      expect(await describeLoggers('1')).toEqual([['root', 'WARN', false, 6]]);
      expect(await alterConfigsV0(1, 8, '1', [['root', 0, 'ERROR']])).toEqual([0, null]);
      expect(await describeLoggers('1')).toEqual([['root', 'ERROR', false, 6]]);
      expect((await alterConfigsV0(1, 8, '1', [['root', 0, 'LOUD']]))[0]).toBe(40); // INVALID_CONFIG
      expect((await alterConfigsV0(1, 8, '1', [['root', 0, 'info']]))[0]).toBe(40); // levels are upper case
      expect(await alterConfigsV0(1, 8, '1', [['kafka.server', 0, 'INFO']])).toEqual([40, 'Logger kafka.server does not exist!']);
      expect((await alterConfigsV0(1, 8, '1', [['root', 1, null]]))[0]).toBe(42); // DELETE root: INVALID_REQUEST
      expect((await alterConfigsV0(1, 8, '1', [['root', 2, 'INFO']]))[0]).toBe(42); // APPEND
      expect((await alterConfigsV0(1, 8, '2', [['root', 0, 'INFO']]))[0]).toBe(42); // another node's loggers
      expect(await describeLoggers('1')).toEqual([['root', 'ERROR', false, 6]]);
    } finally {
      await admin.disconnect();
    }
  });

  it('DescribeConfigs of a missing topic: UNKNOWN_TOPIC_OR_PARTITION with no message; of an illegal name: INVALID_TOPIC_EXCEPTION', async () => {
    await create('answers-described', 1);
    const out = await runPython<Record<string, unknown>>('describe_topic_configs.py', [cluster.bootstrapServers, 'answers-described', 'answers-missing', 'bad!name']);
    // Before: librdkafka printed Tributary's message for the missing topic, and the illegal
    // name was UNKNOWN_TOPIC_OR_PARTITION too. Kafka's ConfigHelper sets no message for the
    // first (librdkafka prints the code's text) and runs Topic.validate before it.
    expect(out['answers-described']).toBe(33);
    expect(out['answers-missing']).toEqual(['UNKNOWN_TOPIC_OR_PART', 'Broker: Unknown topic or partition']);
    expect((out['bad!name'] as string[])[0]).toBe('TOPIC_EXCEPTION');
  });
});
