/**
 * Kafka's produce rules that hang on timestamps, versions and order, on a real socket
 * against two nodes, with batches from KafkaJS's encoder and CRC (an implementation
 * independent of Tributary's) and answers read byte by byte:
 *
 * - a producer's batch that claims LogAppendTime: taken on a CreateTime topic when its
 *   timestamp is in range, and stored as CreateTime (kcat reads `tstype` create); refused
 *   INVALID_TIMESTAMP on a LogAppendTime topic, every record named in `record_errors`;
 * - a LogAppendTime topic stamps a KafkaJS producer's records: the Produce answer's
 *   `log_append_time_ms` is the stamp, KafkaJS's consumer reads it, kcat reads `tstype`
 *   logappend and confluent-kafka TIMESTAMP_LOG_APPEND_TIME;
 * - `message.timestamp.before.max.ms` / `after.max.ms` judge every record, not the batch
 *   header's first and largest timestamps: the refused records' indexes come back in
 *   `record_errors` (Produce v8) and nothing of the batch is appended;
 * - a compacted topic's records without a key: INVALID_RECORD, each named in `record_errors`;
 * - zstd in a Produce v3-v6 is UNSUPPORTED_COMPRESSION_TYPE (v7 takes it); a Fetch below
 *   v10 of a `compression.type=zstd` topic is UNSUPPORTED_COMPRESSION_TYPE (v10 reads it);
 * - the order of Kafka's refusals: an unknown partition before the batch's shape, the
 *   batch's shape before the internal-topic rule and leadership.
 */
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/index.js';
import { kcatBase, requireClients, runKcat, runPython } from './helpers/clients.js';
import { RawConnection, requestMessage, sized } from './helpers/raw-client.js';
import { nodeAddress, startWireCluster, type WireCluster } from './helpers/cluster.js';
import { kafkaJsBatch, withAttributes } from './helpers/kafkajs-batch.js';

const require = createRequire(import.meta.url);
type KafkaJsRequest = { encode(): Promise<{ buffer: Buffer }> };
const fetchV4 = require('kafkajs/src/protocol/requests/fetch/v4/request') as (o: Record<string, unknown>) => KafkaJsRequest;
const fetchV10 = require('kafkajs/src/protocol/requests/fetch/v10/request') as (o: Record<string, unknown>) => KafkaJsRequest;

const hour = 3_600_000;
let cluster: WireCluster;
const conns = new Map<number, RawConnection>();
let correlationId = 1;

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 2 });
  await cluster.admin().createTopics([
    { name: 'create-time', partitions: 1, replicationFactor: 1 },
    { name: 'append-time', partitions: 1, replicationFactor: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
    { name: 'bounded', partitions: 1, replicationFactor: 1, configs: { 'message.timestamp.before.max.ms': '60000' } },
    { name: 'zstd-stored', partitions: 1, replicationFactor: 1, configs: { 'compression.type': 'zstd' } },
    { name: 'compacted', partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
    { name: 'small-segments', partitions: 1, replicationFactor: 1, configs: { 'segment.bytes': '1000' } },
  ]);
}, 120_000);
afterAll(async () => {
  for (const c of conns.values()) c.close();
  await cluster?.close();
}, 120_000);

/** The connection to node `nodeId` (opened once). */
async function conn(nodeId: number): Promise<RawConnection> {
  let c = conns.get(nodeId);
  if (c === undefined) conns.set(nodeId, (c = await RawConnection.open(nodeAddress(cluster, nodeId))));
  return c;
}

async function leaderOf(topic: string, partition = 0): Promise<number> {
  const [d] = await cluster.admin().describeTopics([topic]);
  return d!.partitions[partition]!.leader;
}

/** One KafkaJS batch, a record per timestamp (`maxTimestamp` the largest unless given). */
const batchAt = (timestamps: number[], options: Record<string, unknown> = {}): Promise<Buffer> => kafkaJsBatch(timestamps.map((timestamp, i) => ({ value: `v${i}`, timestamp })), options);

/** `batch` with base offset `offset` (outside the CRC, which stays valid). */
function withBaseOffset(batch: Buffer, offset: number): Buffer {
  const b = Buffer.from(batch);
  b.writeBigInt64BE(BigInt(offset), 0);
  return b;
}

const claimLogAppendTime = (batch: Buffer): Buffer => withAttributes(batch, (a) => a | 0x08);

interface PartitionAnswer {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  recordErrors: [number, string | null][];
}

const str16 = (s: string): Buffer => {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s), 0);
  b.write(s, 2);
  return b;
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
};

/**
 * A Produce request of `version` (3 to 8 share one body, written by hand) with acks 1 to
 * node `nodeId`; each partition's answer, read by hand for that version.
 */
async function produce(nodeId: number, version: number, topic: string, partitions: [number, Buffer][]): Promise<PartitionAnswer[]> {
  const body = Buffer.concat([
    Buffer.from([0xff, 0xff]), // transactional id: null
    Buffer.from([0x00, 0x01]), // acks 1
    int32(30_000),
    int32(1),
    str16(topic),
    int32(partitions.length),
    ...partitions.flatMap(([index, records]) => [int32(index), int32(records.length), records]),
  ]);
  const id = correlationId++;
  const c = await conn(nodeId);
  c.write(sized(requestMessage(0, version, id, body)));
  const frame = await c.next(60_000);
  if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
  expect(frame.readInt32BE(0)).toBe(id);
  let pos = 4;
  expect(frame.readInt32BE(pos)).toBe(1);
  pos += 4;
  pos += 2 + frame.readInt16BE(pos);
  const count = frame.readInt32BE(pos);
  pos += 4;
  const out: PartitionAnswer[] = [];
  const nullableString = (): string | null => {
    const len = frame.readInt16BE(pos);
    pos += 2;
    if (len < 0) return null;
    pos += len;
    return frame.toString('utf8', pos - len, pos);
  };
  for (let i = 0; i < count; i++) {
    const a: PartitionAnswer = { index: frame.readInt32BE(pos), errorCode: frame.readInt16BE(pos + 4), baseOffset: frame.readBigInt64BE(pos + 6), logAppendTimeMs: frame.readBigInt64BE(pos + 14), recordErrors: [] };
    pos += 22;
    if (version >= 5) pos += 8; // log start offset
    if (version >= 8) {
      const n = frame.readInt32BE(pos);
      pos += 4;
      for (let k = 0; k < n; k++) {
        const batchIndex = frame.readInt32BE(pos);
        pos += 4;
        a.recordErrors.push([batchIndex, nullableString()]);
      }
      nullableString(); // error message
    }
    out.push(a);
  }
  return out;
}

async function logEnd(topic: string): Promise<number> {
  return (await cluster.admin().listOffsets(topic, 'latest'))[0]!.offset;
}

/** kcat's JSON view of a topic's records: offset, timestamp type and timestamp. */
async function kcatRecords(topic: string): Promise<{ offset: number; tstype: string; ts: number; payload: string }[]> {
  const out = await runKcat(kcatBase(cluster.bootstrapServers, ['-C', '-t', topic, '-o', 'beginning', '-e', '-J']));
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { offset: number; tstype: string; ts: number; payload: string });
}

describe('Kafka’s timestamp, version and order rules on a real socket', { timeout: 300_000 }, () => {
  it('a producer’s LogAppendTime claim: taken as CreateTime on a CreateTime topic when in range, refused per record otherwise', async () => {
    const leader = await leaderOf('create-time');
    const t = Date.now() - 5_000;
    // In range: taken, answered without an append time, stored as CreateTime with the batch's max timestamp.
    const [ok] = await produce(leader, 8, 'create-time', [[0, claimLogAppendTime(await batchAt([t, t]))]]);
    expect([ok!.errorCode, ok!.baseOffset, ok!.logAppendTimeMs, ok!.recordErrors]).toEqual([0, 0n, -1n, []]);
    // Out of range (after.max.ms is one hour): every record of it, since each reads as the batch's max timestamp.
    const [late] = await produce(leader, 8, 'create-time', [[0, claimLogAppendTime(await batchAt([t, t, t + 2 * hour]))]]);
    expect(late!.errorCode).toBe(32);
    expect(late!.recordErrors.map(([i]) => i)).toEqual([0, 1, 2]);
    // A claim without a timestamp (max -1).
    const [none] = await produce(leader, 8, 'create-time', [[0, claimLogAppendTime(await batchAt([t], { maxTimestamp: -1 }))]]);
    expect([none!.errorCode, none!.recordErrors.map(([i]) => i)]).toEqual([32, [0]]);
    expect(await logEnd('create-time')).toBe(2);
    const seen = await kcatRecords('create-time');
    expect(seen.map((r) => [r.offset, r.tstype])).toEqual([
      [0, 'create'],
      [1, 'create'],
    ]);
    expect(seen[1]!.ts).toBe(t);
    // confluent-kafka (librdkafka 2.0.2) reads the same.
    expect((await runPython<unknown[]>('timestamp_types.py', [cluster.bootstrapServers, 'create-time', 2], { timeoutMs: 180_000 }))[1]).toEqual([1, 'TIMESTAMP_CREATE_TIME', t]);
    // On a LogAppendTime topic the claim is refused, each record named.
    const [refused] = await produce(await leaderOf('append-time'), 8, 'append-time', [[0, claimLogAppendTime(await batchAt([t, t]))]]);
    expect([refused!.errorCode, refused!.recordErrors.map(([i]) => i)]).toEqual([32, [0, 1]]);
    expect(refused!.recordErrors[0]![1]).toMatch(/LogAppendTime/);
    expect(await logEnd('append-time')).toBe(0);
  });

  it('a LogAppendTime topic: KafkaJS learns the stamp from the answer and reads it back; kcat sees tstype logappend', async () => {
    const kafka = new Kafka({ clientId: 'log-append-time', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const before = Date.now();
    let sent;
    try {
      sent = await producer.send({ topic: 'append-time', acks: -1, messages: [{ value: 'a', timestamp: '5' }, { value: 'b', timestamp: '6' }] });
    } finally {
      await producer.disconnect();
    }
    const after = Date.now();
    const stamp = Number(sent[0]!.logAppendTime);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(after);
    const consumer = kafka.consumer({ groupId: 'log-append-time', maxWaitTimeInMs: 200 });
    await consumer.connect();
    const read: string[] = [];
    try {
      await consumer.subscribe({ topic: 'append-time', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              read.push(`${message.value?.toString()}@${message.timestamp}`);
              if (read.length === 2) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(read).toEqual([`a@${stamp}`, `b@${stamp}`]);
    const seen = await kcatRecords('append-time');
    expect(seen.map((r) => [r.payload, r.tstype, r.ts])).toEqual([
      ['a', 'logappend', stamp],
      ['b', 'logappend', stamp],
    ]);
    expect(await runPython<unknown[]>('timestamp_types.py', [cluster.bootstrapServers, 'append-time', 2], { timeoutMs: 180_000 })).toEqual([
      [0, 'TIMESTAMP_LOG_APPEND_TIME', stamp],
      [1, 'TIMESTAMP_LOG_APPEND_TIME', stamp],
    ]);
  });

  it('before.max.ms and after.max.ms judge every record: the refused ones are named in record_errors, nothing is appended', async () => {
    const t = Date.now();
    // The header's first and largest timestamps are in range; records 1 and 3 are a day and two back.
    const [old] = await produce(await leaderOf('bounded'), 8, 'bounded', [[0, await batchAt([t, t - 24 * hour, t, t - 48 * hour])]]);
    expect(old!.errorCode).toBe(32);
    expect(old!.recordErrors.map(([i]) => i)).toEqual([1, 3]);
    expect(old!.recordErrors[0]![1]).toMatch(new RegExp(`${t - 24 * hour}`));
    expect(await logEnd('bounded')).toBe(0);
    // after.max.ms (one hour by default): only the record two hours ahead.
    const [ahead] = await produce(await leaderOf('create-time'), 8, 'create-time', [[0, await batchAt([t, t + 2 * hour, t])]]);
    expect([ahead!.errorCode, ahead!.recordErrors.map(([i]) => i)]).toEqual([32, [1]]);
    // Produce v7 has no record_errors: the code alone.
    const [v7] = await produce(await leaderOf('bounded'), 7, 'bounded', [[0, await batchAt([t, t - 24 * hour])]]);
    expect([v7!.errorCode, v7!.recordErrors]).toEqual([32, []]);
    // In range both ways: taken.
    const [fine] = await produce(await leaderOf('bounded'), 8, 'bounded', [[0, await batchAt([t, t - 1_000, t])]]);
    expect(fine!.errorCode).toBe(0);
    expect(await logEnd('bounded')).toBe(3);
  });

  it('a compacted topic: the records without a key are named in record_errors (INVALID_RECORD), nothing appended', async () => {
    const t = Date.now();
    const keys = ['k0', null, 'k2', null];
    const batch = await kafkaJsBatch(keys.map((key, i) => ({ key, value: `v${i}`, timestamp: t })));
    const [keyless] = await produce(await leaderOf('compacted'), 8, 'compacted', [[0, batch]]);
    expect([keyless!.errorCode, keyless!.recordErrors.map(([i]) => i)]).toEqual([87, [1, 3]]);
    expect(await logEnd('compacted')).toBe(0);
  });

  it('zstd: a Produce v3-v6 is UNSUPPORTED_COMPRESSION_TYPE, v7 takes it; a Fetch below v10 of a zstd topic is UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const leader = await leaderOf('create-time');
    const before = await logEnd('create-time');
    const zstd = await encodeBatch([{ value: Buffer.from('z'.repeat(200)) }], { compression: 'zstd' });
    expect(zstd.readInt16BE(21) & 7).toBe(4);
    for (const version of [3, 4, 5, 6]) expect((await produce(leader, version, 'create-time', [[0, zstd]]))[0]!.errorCode).toBe(76);
    expect(await logEnd('create-time')).toBe(before);
    expect((await produce(leader, 7, 'create-time', [[0, zstd]]))[0]!.errorCode).toBe(0);
    // A gzip batch at v3 is fine (only zstd is tied to v7).
    const gzip = await encodeBatch([{ value: Buffer.from('g') }], { compression: 'gzip' });
    expect((await produce(leader, 3, 'create-time', [[0, gzip]]))[0]!.errorCode).toBe(0);

    // Fetch: the topic's compression.type decides (Kafka's handleFetchRequest).
    const zLeader = await leaderOf('zstd-stored');
    expect((await produce(zLeader, 7, 'zstd-stored', [[0, await batchAt([Date.now()])]]))[0]!.errorCode).toBe(0);
    const fetchError = async (version: 4 | 10, topic: string): Promise<number> => {
      const partition = { partition: 0, fetchOffset: '0', maxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: '-1' };
      const req = (version === 4 ? fetchV4 : fetchV10)({ replicaId: -1, maxWaitTime: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [partition] }] });
      const id = correlationId++;
      const c = await conn(await leaderOf(topic));
      c.write(sized(requestMessage(1, version, id, (await req.encode()).buffer)));
      const frame = await c.next(60_000);
      if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
      expect(frame.readInt32BE(0)).toBe(id);
      // throttle; v7+: error code and session id; one topic, its name, one partition, its index.
      let pos = 4 + 4 + (version >= 7 ? 6 : 0);
      expect(frame.readInt32BE(pos)).toBe(1);
      pos += 4;
      pos += 2 + frame.readInt16BE(pos) + 4 + 4;
      return frame.readInt16BE(pos);
    };
    expect(await fetchError(4, 'zstd-stored')).toBe(76);
    expect(await fetchError(10, 'zstd-stored')).toBe(0);
    expect(await fetchError(4, 'create-time')).toBe(0);
  });

  it('the version reaches a node in its own worker thread: zstd in a Produce v5 is refused there too', async () => {
    const workers = await startWireCluster({ nodes: 1, threads: 'per-node' });
    const raw = await RawConnection.open(workers.bootstrapServers);
    try {
      await workers.admin().createTopics([{ name: 'in-worker', partitions: 1 }]);
      const zstd = await encodeBatch([{ value: Buffer.from('z'.repeat(200)) }], { compression: 'zstd' });
      const answer = async (version: number): Promise<number> => {
        const id = correlationId++;
        const body = Buffer.concat([Buffer.from([0xff, 0xff, 0x00, 0x01]), int32(30_000), int32(1), str16('in-worker'), int32(1), int32(0), int32(zstd.length), zstd]);
        raw.write(sized(requestMessage(0, version, id, body)));
        const frame = await raw.next(60_000);
        if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
        // correlation id, one topic, its name, one partition, its index: then the error code.
        return frame.readInt16BE(4 + 4 + 2 + 'in-worker'.length + 4 + 4);
      };
      expect(await answer(5)).toBe(76);
      expect(await answer(7)).toBe(0);
    } finally {
      raw.close();
      await workers.close();
    }
  });

  it('Kafka’s order: an unknown partition first, then the batch’s shape, then the internal topic and leadership', async () => {
    const leader = await leaderOf('create-time');
    const other = leader === 1 ? 2 : 1;
    const t = Date.now();
    const two = Buffer.concat([await batchAt([t]), await batchAt([t])]);
    // Unknown partition of a known topic, with two batches: UNKNOWN_TOPIC_OR_PARTITION (3).
    expect((await produce(leader, 8, 'create-time', [[7, two]]))[0]!.errorCode).toBe(3);
    // Two batches sent to a broker that does not lead: INVALID_RECORD (87) before NOT_LEADER_OR_FOLLOWER (6).
    expect((await produce(other, 8, 'create-time', [[0, two]]))[0]!.errorCode).toBe(87);
    expect((await produce(other, 8, 'create-time', [[0, await batchAt([t])]]))[0]!.errorCode).toBe(6);
    // A batch over segment.bytes with a base offset other than 0: the header's INVALID_RECORD
    // first (Kafka checks the segment size after its validator), RECORD_LIST_TOO_LARGE (18) alone.
    const big = await batchAt(Array.from({ length: 120 }, () => t));
    expect(big.length).toBeGreaterThan(1000);
    const smallLeader = await leaderOf('small-segments');
    expect((await produce(smallLeader, 8, 'small-segments', [[0, withBaseOffset(big, 5)]]))[0]!.errorCode).toBe(87);
    expect((await produce(smallLeader, 8, 'small-segments', [[0, big]]))[0]!.errorCode).toBe(18);
    // An empty records field: INVALID_RECORD.
    expect((await produce(leader, 8, 'create-time', [[0, Buffer.alloc(0)]]))[0]!.errorCode).toBe(87);
    // __consumer_offsets: two batches INVALID_RECORD, one batch INVALID_TOPIC_EXCEPTION (17), an unknown partition 3.
    // A group lookup makes the cluster create __consumer_offsets, if nothing did yet.
    const admin = new Kafka({ clientId: 'order', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.describeGroups(['order-probe']).finally(() => admin.disconnect());
    const offsetsLeader = await leaderOf('__consumer_offsets');
    expect((await produce(offsetsLeader, 8, '__consumer_offsets', [[0, two]]))[0]!.errorCode).toBe(87);
    expect((await produce(offsetsLeader, 8, '__consumer_offsets', [[0, await batchAt([t])]]))[0]!.errorCode).toBe(17);
    expect((await produce(offsetsLeader, 8, '__consumer_offsets', [[100_000, await batchAt([t])]]))[0]!.errorCode).toBe(3);
  });
});
