/**
 * Kafka's exact answers, part two (session s13), on a real socket with requests and
 * batches Tributary did not encode (KafkaJS's batch and Fetch v11 encoders; Produce v8
 * written by hand). Each answer was read in apache/kafka at `1eb7644`
 * (docs/design/real-clients.md, "Session s13"):
 *
 * - a Fetch partition answered with an error carries empty records, not null: Kafka's
 *   early answers (`FetchResponse.partitionResponse`: unknown topic or partition) pass
 *   `KafkaApis.maybeConvertFetchedData` with the rest, whose `recordsOrFail` makes them
 *   `MemoryRecords.EMPTY`; a request refused whole (`FetchRequest.getErrorResponse`) has
 *   null records and its error at the top as well;
 * - `LogValidator` reads every record's timestamp of a compressed batch too (it
 *   decompresses it), refuses one out of range and writes the records' largest into the
 *   stored header (gzip from KafkaJS's encoder; zstd, which the leader decompresses ahead
 *   of the append, from Tributary's with the header rewritten);
 * - a batch the topic's `compression.type` rebuilds takes its base and max timestamps from
 *   its records (`buildRecordsAndAssignOffsets`, `MemoryRecordsBuilder`);
 * - with both `message.timestamp.*.max.ms` unbounded the stored max timestamp is still the
 *   records' largest (`assignOffsetsNonCompressed` always calls `setMaxTimestamp`).
 */
import { createRequire } from 'node:module';
import { encodeBatch } from '../../src/record/codecs/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireClients } from './helpers/clients.js';
import { nodeAddress, readAll, startWireCluster, type WireCluster } from './helpers/cluster.js';
import { RawConnection, requestMessage, sized } from './helpers/raw-client.js';
import { rawFetchV11, rawFetchV11Whole } from './helpers/raw-fetch.js';
import { kafkaJsBatch } from './helpers/kafkajs-batch.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const KafkaJsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: Record<string, unknown>) => unknown;
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
/** KafkaJS's codec number for gzip (built in; no codec to register). */
const gzip = 1;

let cluster: WireCluster;
let correlationId = 1;

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 3 });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

async function leaderOf(topic: string): Promise<number> {
  const [d] = await cluster.admin().describeTopics([topic]);
  return d!.partitions[0]!.leader;
}

async function create(topic: string, replicationFactor: number, configs: Record<string, string> = {}): Promise<void> {
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor, configs }]);
  await eventually(`${topic} served by its leader`, async () => {
    const leader = await leaderOf(topic);
    if (leader < 0) return undefined;
    const [a] = await rawFetchV11(nodeAddress(cluster, leader), topic, [{ partition: 0, fetchOffset: 0 }]);
    return a!.errorCode === 0 ? true : undefined;
  });
}

/** Produce v8 (acks 1) of `records` to partition 0 of `topic` at its leader, written by hand: [error code, indexes in record_errors]. */
async function produceV8(topic: string, records: Buffer): Promise<[number, number[]]> {
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
  const conn = await RawConnection.open(nodeAddress(cluster, await leaderOf(topic)));
  try {
    const id = correlationId++;
    conn.write(sized(requestMessage(0, 8, id, Buffer.concat([body, records]))));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
    let pos = 4 + 4 + 2 + name.length + 4; // correlation id, one topic, its name, one partition
    const errorCode = frame.readInt16BE(pos + 4);
    pos += 4 + 2 + 8 + 8 + 8;
    const recordErrors: number[] = [];
    const count = frame.readInt32BE(pos);
    pos += 4;
    for (let i = 0; i < count; i++) {
      recordErrors.push(frame.readInt32BE(pos));
      pos += 4 + 2 + Math.max(0, frame.readInt16BE(pos + 4));
    }
    return [errorCode, recordErrors];
  } finally {
    conn.close();
  }
}

/** The stored batch at offset 0 of `topic`, as its leader serves it: [base timestamp, max timestamp, attributes]. */
async function storedHeader(topic: string): Promise<[number, number, number]> {
  const [a] = await rawFetchV11(nodeAddress(cluster, await leaderOf(topic)), topic, [{ partition: 0, fetchOffset: 0 }]);
  const b = a!.records;
  expect(b.length).toBeGreaterThan(61);
  return [Number(b.readBigInt64BE(27)), Number(b.readBigInt64BE(35)), b.readInt16BE(21)];
}

describe('Kafka’s exact answers, part two', () => {
  it('a Fetch partition with an error carries empty records (length 0); a Fetch refused whole carries null (-1) and its error at the top', async () => {
    const topic = 's13-fetch-errors';
    await create(topic, 1);
    const leader = await leaderOf(topic);
    const other = [1, 2, 3].find((n) => n !== leader)!;
    await cluster.producer({ acks: 'all' }).send(topic, [{ value: 'x' }]);
    // A partition the topic does not have (Kafka's early `partitionResponse`, then
    // `recordsOrFail`), and a node that does not lead it (`readFromLog`). Before: null for the first.
    const [unknown, fine] = await rawFetchV11(nodeAddress(cluster, leader), topic, [
      { partition: 7, fetchOffset: 0 },
      { partition: 0, fetchOffset: 0 },
    ]);
    expect([unknown!.errorCode, unknown!.recordsLength]).toEqual([3, 0]);
    expect([fine!.errorCode, fine!.recordsLength > 0]).toEqual([0, true]);
    const [notLeader] = await rawFetchV11(nodeAddress(cluster, other), topic, [{ partition: 0, fetchOffset: 0 }]);
    expect([notLeader!.errorCode, notLeader!.recordsLength]).toEqual([6, 0]);
    const [missingTopic] = await rawFetchV11(nodeAddress(cluster, leader), 's13-no-such-topic', [{ partition: 0, fetchOffset: 0 }]);
    expect([missingTopic!.errorCode, missingTopic!.recordsLength]).toEqual([3, 0]);
    // Refused whole (an isolation level Kafka does not know): `getErrorResponse` puts the
    // error at the top too (before: NONE there) and null records in each partition.
    const whole = await rawFetchV11Whole(nodeAddress(cluster, leader), topic, [{ partition: 0, fetchOffset: 0 }], { isolationLevel: 2 });
    expect(whole.errorCode).not.toBe(0);
    expect(whole.partitions.map((p) => [p.errorCode, p.recordsLength])).toEqual([[whole.errorCode, -1]]);
  });

  it('a compressed batch: every record’s timestamp is checked and the stored max timestamp is the records’ largest', async () => {
    const topic = 's13-compressed-timestamps';
    await create(topic, 1);
    const now = Date.now();
    const hour = 3_600_000;
    // gzip (KafkaJS's encoder), record 1 two hours ahead while the header says `now`.
    // Before: taken on the header's word.
    const ahead = await kafkaJsBatch(
      [
        { value: 'a', timestamp: now },
        { value: 'b', timestamp: now + 2 * hour },
      ],
      { maxTimestamp: now, compression: gzip },
    );
    expect(await produceV8(topic, ahead)).toEqual([32, [1]]);
    // In range but understated: taken, stored with the records' largest (before: the header's).
    const understated = await kafkaJsBatch(
      [
        { value: 'a', timestamp: now - 5_000 },
        { value: 'b', timestamp: now - 1_000 },
        { value: 'c', timestamp: now - 3_000 },
      ],
      { maxTimestamp: now - 5_000, compression: gzip },
    );
    expect(await produceV8(topic, understated)).toEqual([0, []]);
    const [base, max, attributes] = await storedHeader(topic);
    expect([base, max, attributes & 7]).toEqual([now - 5_000, now - 1_000, gzip]);
    expect(await cluster.admin().listOffsets(topic, 'max-timestamp')).toEqual([{ partition: 0, offset: 1, timestamp: now - 1_000 }]);
  });

  it('a zstd batch (decompressed ahead of the append, off the event loop) is checked and corrected the same way', async () => {
    const topic = 's13-zstd-timestamps';
    await create(topic, 1);
    const now = Date.now();
    const hour = 3_600_000;
    const zstdBatch = async (timestamps: number[], maxTimestamp: number): Promise<Buffer> => {
      const b = Buffer.from(await encodeBatch(timestamps.map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp })), { compression: 'zstd', now }));
      b.writeBigInt64BE(BigInt(maxTimestamp), 35);
      b.writeUInt32BE(crc32C(b.subarray(21)), 17); // KafkaJS's CRC-32C
      return b;
    };
    expect(await produceV8(topic, await zstdBatch([now, now, now + 2 * hour], now))).toEqual([32, [2]]);
    expect(await produceV8(topic, await zstdBatch([now - 5_000, now - 1_000], now - 5_000))).toEqual([0, []]);
    const [, max, attributes] = await storedHeader(topic);
    expect([max, attributes & 7]).toEqual([now - 1_000, 4]);
    // Several in one request's turn, each its own batch: every answer right, in order.
    const answers = await Promise.all([1, 2, 3].map(async (k) => produceV8(topic, await zstdBatch([now - k * 100, now - k * 10], now - k * 100))));
    expect(answers).toEqual([[0, []], [0, []], [0, []]]);
    expect((await readAll(cluster, topic)).map((r) => Buffer.from(r.value!).toString())).toEqual(['v0', 'v1', 'v0', 'v1', 'v0', 'v1', 'v0', 'v1']);
  });

  it('a batch the topic’s compression.type rebuilds takes its base and max timestamps from its records', async () => {
    const topic = 's13-rebuilt-header';
    await create(topic, 1, { 'compression.type': 'gzip' });
    const now = Date.now();
    // A hand-made header: base timestamp 1 s before the first record, max timestamp the base.
    const records = [1_000, 0, 3_000].map((timestampDelta, i) => KafkaJsRecord({ offsetDelta: i, timestampDelta, key: null, value: Buffer.from(`v${i}`), headers: { h: Buffer.from('x') } }));
    const batch = Buffer.from((await RecordBatch({ records, firstTimestamp: now - 10_000, maxTimestamp: now - 10_000, lastOffsetDelta: 2 })).buffer);
    expect(await produceV8(topic, batch)).toEqual([0, []]);
    // Kafka's builder: the base is the first record's timestamp, the max the largest.
    // Before: the producer's header kept (now - 10,000 twice).
    const [base, max, attributes] = await storedHeader(topic);
    expect([base, max, attributes & 7]).toEqual([now - 9_000, now - 7_000, gzip]);
    const read = await readAll(cluster, topic);
    expect(read.map((r) => [r.offset, r.timestamp, Buffer.from(r.value!).toString()])).toEqual([
      [0, now - 9_000, 'v0'],
      [1, now - 10_000, 'v1'],
      [2, now - 7_000, 'v2'],
    ]);
  });

  it('both timestamp bounds unbounded: the stored max timestamp is still the records’ largest', async () => {
    const topic = 's13-unbounded';
    const unbounded = '9223372036854775807';
    await create(topic, 1, { 'message.timestamp.before.max.ms': unbounded, 'message.timestamp.after.max.ms': unbounded });
    const now = Date.now();
    const understated = await kafkaJsBatch(
      [
        { value: 'a', timestamp: now - 5_000 },
        { value: 'b', timestamp: now - 1_000 },
      ],
      { maxTimestamp: now - 5_000 },
    );
    expect(await produceV8(topic, understated)).toEqual([0, []]);
    // Before: the header's now - 5,000 stood (ListOffsets -3 answered offset 0).
    expect((await storedHeader(topic))[1]).toBe(now - 1_000);
    expect(await cluster.admin().listOffsets(topic, 'max-timestamp')).toEqual([{ partition: 0, offset: 1, timestamp: now - 1_000 }]);
  });
});
