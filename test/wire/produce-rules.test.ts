/**
 * Kafka's produce-path refusals, checked on a real socket with batches that Tributary did
 * not encode: each record batch is built by KafkaJS's own encoder (`recordBatch/v0`,
 * CRC-32C by KafkaJS's `crc32C` where a test changes a header field), and the Produce v3
 * request around them is written by hand here. Kafka's answers (apache/kafka
 * `ProduceRequest.validateRecords`, `LogValidator`, `UnifiedLog.analyzeAndValidateRecords`,
 * `KafkaApis.handleProduceRequest`):
 *
 * - two batches for one partition: INVALID_RECORD (87), idempotent or not;
 * - a base offset other than 0, a control batch, a message-format v1 batch: INVALID_RECORD;
 * - (a batch that claims LogAppendTime: produce-compat.test.ts);
 * - KafkaJS records outside `message.timestamp.after.max.ms` (1 hour, Kafka 4.0's default)
 *   or a topic's `before.max.ms`: INVALID_TIMESTAMP; a LogAppendTime topic takes any;
 * - a transactional batch (no transactional id is served here): every partition of the
 *   request TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53);
 * - a KafkaJS batch larger than the topic's `segment.bytes`: RECORD_LIST_TOO_LARGE (18);
 * - acks=2 from KafkaJS's producer: INVALID_REQUIRED_ACKS (21);
 * - acks=0 and a refusal: the connection is closed (KafkaApis's `closeConnection`).
 *
 * After each refusal the partition's log end offset is read back: nothing was appended.
 */
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection, apiVersionsV0, requestMessage, sized } from './helpers/raw-client.js';
import { startWireCluster, type WireCluster } from './helpers/cluster.js';
import { kafkaJsBatch, withAttributes } from './helpers/kafkajs-batch.js';

const require = createRequire(import.meta.url);
// KafkaJS's own record batch encoder and CRC-32C: an implementation independent of Tributary's.
const Long = require('kafkajs/src/utils/long') as { fromInt(n: number): unknown; fromValue(n: number): unknown };

const topic = 'produce-rules';
let cluster: WireCluster;
let conn: RawConnection;
let correlationId = 1;

beforeAll(async () => {
  cluster = await startWireCluster({ nodes: 1 });
  await cluster.admin().createTopics([{ name: topic, partitions: 2 }]);
  conn = await RawConnection.open(cluster.bootstrapServers);
}, 120_000);
afterAll(async () => {
  conn?.close();
  await cluster?.close();
}, 120_000);

/** One batch of `values` from KafkaJS's encoder, stamped now (`options`: its other fields, e.g. firstOffset, transactional, producerId). */
function kafkaJsBatchOf(values: string[], options: Record<string, unknown> = {}): Promise<Buffer> {
  const now = Date.now();
  return kafkaJsBatch(values.map((value) => ({ value, timestamp: now })), options);
}

/** A Produce v3 request frame, written by hand: `records` for each partition index of `topic`. */
function produceFrame(id: number, acks: number, partitions: [number, Buffer][]): Buffer {
  const name = Buffer.from(topic);
  const parts = partitions.map(([index, records]) => {
    const head = Buffer.alloc(8);
    head.writeInt32BE(index, 0);
    head.writeInt32BE(records.length, 4);
    return Buffer.concat([head, records]);
  });
  const body = Buffer.concat([
    Buffer.from([0xff, 0xff]), // transactional id: null
    Buffer.from([0x00, acks]), // acks (0 or 1 here)
    Buffer.from([0x00, 0x00, 0x75, 0x30]), // timeout 30,000 ms
    Buffer.from([0, 0, 0, 1]),
    Buffer.from([0, name.length]),
    name,
    (() => {
      const n = Buffer.alloc(4);
      n.writeInt32BE(parts.length, 0);
      return n;
    })(),
    ...parts,
  ]);
  return sized(requestMessage(0, 3, id, body));
}

/** Produce v3 with acks 1 (`produceFrame`). Returns each partition's [error code, base offset]. */
async function produce(partitions: [number, Buffer][]): Promise<[number, bigint][]> {
  const id = correlationId++;
  conn.write(produceFrame(id, 1, partitions));
  const frame = await conn.next(60_000);
  if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
  expect(frame.readInt32BE(0)).toBe(id);
  let pos = 4;
  expect(frame.readInt32BE(pos)).toBe(1); // one topic
  pos += 4;
  pos += 2 + frame.readInt16BE(pos); // its name
  const count = frame.readInt32BE(pos);
  pos += 4;
  const out: [number, bigint][] = [];
  for (let i = 0; i < count; i++) {
    const errorCode = frame.readInt16BE(pos + 4);
    const baseOffset = frame.readBigInt64BE(pos + 6);
    out.push([errorCode, baseOffset]);
    pos += 4 + 2 + 8 + 8; // index, error, base offset, log append time (v2+)
  }
  return out;
}

async function logEnd(partition: number): Promise<number> {
  const ends = await cluster.admin().listOffsets(topic, 'latest');
  return ends.find((e) => e.partition === partition)!.offset;
}

describe('Kafka’s produce refusals on a real socket', () => {
  it('two batches for one partition are INVALID_RECORD, idempotent or not; one batch of the same records is taken', async () => {
    const a = await kafkaJsBatchOf(['a']);
    const b = await kafkaJsBatchOf(['b']);
    expect(await produce([[0, Buffer.concat([a, b])]])).toEqual([[87, -1n]]);
    const idempotent = await kafkaJsBatchOf(['a'], { producerId: Long.fromInt(900), producerEpoch: 0, firstSequence: 0 });
    expect(await produce([[0, Buffer.concat([idempotent, b])]])).toEqual([[87, -1n]]);
    expect(await logEnd(0)).toBe(0);
    // The other partition of the same request is not held back by the refused one.
    expect(await produce([[0, Buffer.concat([a, b])], [1, await kafkaJsBatchOf(['x', 'y'])]])).toEqual([
      [87, -1n],
      [0, 0n],
    ]);
    expect(await produce([[0, await kafkaJsBatchOf(['a', 'b'])]])).toEqual([[0, 0n]]);
    expect(await logEnd(0)).toBe(2);
  });

  it('a base offset other than 0, a control batch and a magic v1 batch are INVALID_RECORD', async () => {
    const before = await logEnd(0);
    expect(await produce([[0, await kafkaJsBatchOf(['c'], { firstOffset: Long.fromInt(5) })]])).toEqual([[87, -1n]]);
    expect(await produce([[0, withAttributes(await kafkaJsBatchOf(['c']), (a) => a | 0x20)]])).toEqual([[87, -1n]]);
    const v1 = await kafkaJsBatchOf(['c']);
    v1[16] = 1;
    expect(await produce([[0, v1]])).toEqual([[87, -1n]]);
    // A magic byte no format has is still CORRUPT_MESSAGE (2), as Kafka's reader answers.
    const v7 = await kafkaJsBatchOf(['c']);
    v7[16] = 7;
    expect(await produce([[0, v7]])).toEqual([[2, -1n]]);
    expect(await logEnd(0)).toBe(before);
  });

  it('a transactional batch refuses every partition of its request TRANSACTIONAL_ID_AUTHORIZATION_FAILED and appends nothing', async () => {
    const before = [await logEnd(0), await logEnd(1)];
    const txn = await kafkaJsBatchOf(['t'], { transactional: true, producerId: Long.fromInt(901), producerEpoch: 0, firstSequence: 0 });
    expect(await produce([[0, txn], [1, await kafkaJsBatchOf(['plain'])]])).toEqual([
      [53, -1n],
      [53, -1n],
    ]);
    expect([await logEnd(0), await logEnd(1)]).toEqual(before);
  });

  it('KafkaJS records outside message.timestamp.after.max.ms (1 h by default) or a topic’s before.max.ms are INVALID_TIMESTAMP; a LogAppendTime topic takes them', async () => {
    const admin = cluster.admin();
    await admin.createTopics([
      { name: 'ts-bounded', partitions: 1, configs: { 'message.timestamp.before.max.ms': '60000' } },
      { name: 'ts-append-time', partitions: 1, configs: { 'message.timestamp.type': 'LogAppendTime' } },
    ]);
    const kafka = new Kafka({ clientId: 'timestamps', brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    const hour = 3_600_000;
    const send = (t: string, timestamp: number) =>
      producer.send({ topic: t, acks: -1, messages: [{ value: 'x', timestamp: String(timestamp) }] }).then(
        () => 'NONE',
        (e: unknown) => (e as { type?: string }).type ?? String(e),
      );
    // Record timestamps around the broker's clock (the real one here), not deadlines.
    const t0 = Date.now();
    const at = (offsetMs: number): number => t0 + offsetMs;
    try {
      expect(await send(topic, at(2 * hour))).toBe('INVALID_TIMESTAMP');
      expect(await send(topic, at(60_000))).toBe('NONE');
      expect(await send(topic, at(-400 * 24 * hour))).toBe('NONE'); // before: unbounded by default
      expect(await send('ts-bounded', at(-24 * hour))).toBe('INVALID_TIMESTAMP');
      expect(await send('ts-bounded', at(-1_000))).toBe('NONE');
      expect(await send('ts-append-time', at(2 * hour))).toBe('NONE');
      expect(await send('ts-append-time', at(-24 * hour))).toBe('NONE');
    } finally {
      await producer.disconnect();
    }
    expect((await admin.listOffsets('ts-bounded', 'latest'))[0]!.offset).toBe(1);
  });

  it('a KafkaJS batch larger than the topic’s segment.bytes is RECORD_LIST_TOO_LARGE; a smaller one is taken', async () => {
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'seg-small', partitions: 1, configs: { 'segment.bytes': '1000' } }]);
    const kafka = new Kafka({ clientId: 'segment', brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    const send = (bytes: number) =>
      producer.send({ topic: 'seg-small', acks: -1, messages: [{ value: Buffer.alloc(bytes, 'v') }] }).then(
        () => 'NONE',
        (e: unknown) => (e as { type?: string }).type ?? String(e),
      );
    try {
      expect(await send(2_000)).toBe('RECORD_LIST_TOO_LARGE');
      expect(await send(500)).toBe('NONE');
    } finally {
      await producer.disconnect();
    }
    expect((await admin.listOffsets('seg-small', 'latest'))[0]!.offset).toBe(1);
  });

  it('acks=0: a refused produce closes the connection (the producer learns of it no other way); a taken one leaves it serving', async () => {
    const ok = await RawConnection.open(cluster.bootstrapServers);
    const refused = await RawConnection.open(cluster.bootstrapServers);
    try {
      ok.write(produceFrame(1, 0, [[1, await kafkaJsBatchOf(['acks0'])]]));
      ok.write(apiVersionsV0(2));
      const answer = await ok.next(60_000);
      expect(typeof answer === 'string' ? answer : answer.readInt32BE(0)).toBe(2); // no answer to the produce, then ApiVersions'
      refused.write(produceFrame(1, 0, [[1, Buffer.concat([await kafkaJsBatchOf(['a']), await kafkaJsBatchOf(['b'])])]]));
      expect(await refused.closedWithin(60_000)).toBe(true);
    } finally {
      ok.close();
      refused.close();
    }
  });

  it('KafkaJS with acks=2 gets INVALID_REQUIRED_ACKS', async () => {
    const kafka = new Kafka({ clientId: 'acks-two', brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      const err = await producer.send({ topic, acks: 2, messages: [{ value: 'x', partition: 0 }] }).catch((e: unknown) => e);
      expect(JSON.stringify(err)).toContain('INVALID_REQUIRED_ACKS');
    } finally {
      await producer.disconnect();
    }
  });
});
