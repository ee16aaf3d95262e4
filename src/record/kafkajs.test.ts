/**
 * Cross-checks against KafkaJS 2.2.4, an independent implementation of the record batch
 * v2 format: its batch and record encoders (src/protocol/recordBatch/v0, record/v0) and
 * its batch decoder. KafkaJS ships gzip only; for snappy, lz4 and zstd it takes codec
 * plugins through its `Codecs` table, which these tests fill with Tributary's codecs, so
 * KafkaJS does the batch framing around them.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesArb, plain } from '../../test/fixtures/record/arbitraries.js';
import { compressionTypes, encodeBatchUncompressed, isTransactionalBatch, readBatchHeader, type CompressionType, type RecordHeader, type RecordInput } from './batch.js';
import { codecFor, decodeBatch, encodeBatch } from './codecs/index.js';
import { encodeControlBatch } from './control-record.js';

const require = createRequire(import.meta.url);
const KafkaDecoder = require('kafkajs/src/protocol/decoder');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const { RecordBatch: kafkaRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const kafkaDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkaLong = require('kafkajs/src/utils/long');
const KafkaCompression = require('kafkajs/src/protocol/message/compression');

interface KafkaRecordOut {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}
interface KafkaBatchOut {
  firstOffset: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
  records: KafkaRecordOut[];
}

const codecIds: Record<CompressionType, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const originalCodecs = { ...KafkaCompression.Codecs };

beforeAll(() => {
  // KafkaJS's codec plugin interface: compress(encoder) and decompress(buffer).
  for (const type of ['snappy', 'lz4', 'zstd'] as const) {
    KafkaCompression.Codecs[codecIds[type]] = () => ({
      compress: (encoder: { buffer: Buffer }) => codecFor(type).compress(encoder.buffer),
      decompress: (buffer: Buffer) => codecFor(type).decompress(buffer),
    });
  }
});
afterAll(() => {
  Object.assign(KafkaCompression.Codecs, originalCodecs);
});

/**
 * Records KafkaJS can express: it takes headers as an object, so a key's values must sit
 * together (an array for repeats), header values may not be null, and a key may not be
 * the name of an Object.prototype member (its decoder reads `obj[key]` and would find
 * `toString`).
 */
const kafkaSafeRecords = fc
  .array(
    fc.record({
      key: fc.option(bytesArb, { nil: null }),
      value: fc.option(bytesArb, { nil: null }),
      headers: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => !(k in Object.prototype)), fc.array(bytesArb, { minLength: 1, maxLength: 3 }), { maxKeys: 3 }),
      timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((records) =>
    records.map((r) => ({
      key: r.key,
      value: r.value,
      timestamp: r.timestamp,
      headers: Object.entries(r.headers).flatMap(([key, values]): RecordHeader[] => values.map((value) => ({ key, value }))),
    })),
  );

const headerFields = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
});

type HeaderFields = { baseOffset: number; partitionLeaderEpoch: number; producerId: number; producerEpoch: number; baseSequence: number; transactional: boolean };

async function kafkaEncode(records: readonly RecordInput[], fields: HeaderFields, compression: CompressionType): Promise<Buffer> {
  const base = records[0]!.timestamp!;
  const encoded = records.map((r, i) =>
    KafkaRecord({
      offsetDelta: i,
      timestampDelta: r.timestamp! - base,
      key: r.key ?? null,
      value: r.value,
      headers: (r.headers ?? []).reduce<Record<string, Uint8Array[]>>((acc, h) => ({ ...acc, [h.key]: [...(acc[h.key] ?? []), h.value!] }), {}),
    }),
  );
  const batch = await kafkaRecordBatch({
    compression: codecIds[compression],
    firstOffset: KafkaLong.fromValue(fields.baseOffset),
    firstTimestamp: base,
    maxTimestamp: Math.max(...records.map((r) => r.timestamp!)),
    partitionLeaderEpoch: fields.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: fields.transactional,
    producerId: KafkaLong.fromValue(fields.producerId),
    producerEpoch: fields.producerEpoch,
    firstSequence: fields.baseSequence,
    records: encoded,
  });
  return batch.buffer as Buffer;
}

async function kafkaDecode(bytes: Buffer): Promise<KafkaBatchOut> {
  return kafkaDecodeBatch(new KafkaDecoder(bytes));
}

/** KafkaJS's headers object, flattened back to a list in order of first appearance. */
function kafkaHeaders(headers: Record<string, Buffer | Buffer[]>): RecordHeader[] {
  return Object.entries(headers).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, value })));
}

describe('cross-check against KafkaJS 2.2.4', () => {
  it('the same records and header fields encode to the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(kafkaSafeRecords, headerFields, async (records, fields) => {
        const theirs = await kafkaEncode(records, fields, 'none');
        const ours = encodeBatchUncompressed(records, fields);
        expect(ours.toString('hex')).toBe(theirs.toString('hex'));
      }),
      { numRuns: 150 },
    );
  });

  it.each(compressionTypes.map((c) => [c]))('we decode what KafkaJS encodes, %s', async (compression) => {
    await fc.assert(
      fc.asyncProperty(kafkaSafeRecords, headerFields, async (records, fields) => {
        const theirs = await kafkaEncode(records, fields, compression);
        const header = readBatchHeader(theirs);
        const { transactional, ...numbers } = fields;
        expect(header).toMatchObject({ ...numbers, recordCount: records.length, lastOffsetDelta: records.length - 1 });
        expect(isTransactionalBatch(header.attributes)).toBe(transactional);
        const decoded = await decodeBatch(theirs);
        expect(plain(decoded)).toEqual(plain(records));
        expect(decoded.map((r) => [r.offset, r.timestamp])).toEqual(records.map((r, i) => [fields.baseOffset + i, r.timestamp]));
      }),
      { numRuns: 20 },
    );
  });

  it.each(compressionTypes.map((c) => [c]))('KafkaJS decodes what we encode, %s, field by field', async (compression) => {
    await fc.assert(
      fc.asyncProperty(kafkaSafeRecords, headerFields, fc.constantFrom('CreateTime' as const, 'LogAppendTime' as const), async (records, fields, timestampType) => {
        const ours = await encodeBatch(records, { ...fields, compression, timestampType });
        const theirs = await kafkaDecode(ours);
        const maxTimestamp = Math.max(...records.map((r) => r.timestamp));
        expect(theirs).toMatchObject({
          firstOffset: String(fields.baseOffset),
          partitionLeaderEpoch: fields.partitionLeaderEpoch,
          inTransaction: fields.transactional,
          isControlBatch: false,
          lastOffsetDelta: records.length - 1,
          producerId: String(fields.producerId),
          producerEpoch: fields.producerEpoch,
          firstSequence: fields.baseSequence,
          maxTimestamp: String(maxTimestamp),
          timestampType: timestampType === 'LogAppendTime' ? 1 : 0,
        });
        expect(theirs.records.length).toBe(records.length);
        theirs.records.forEach((t, i) => {
          const r = records[i]!;
          expect(t.offset).toBe(String(fields.baseOffset + i));
          expect(t.timestamp).toBe(String(timestampType === 'LogAppendTime' ? maxTimestamp : r.timestamp));
        });
        expect(plain(theirs.records.map((t) => ({ key: t.key, value: t.value, headers: kafkaHeaders(t.headers) })))).toEqual(plain(records));
      }),
      { numRuns: 20 },
    );
  });

  it('KafkaJS sees our control batches as control batches, with Kafka key bytes', async () => {
    const commit = encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 5 }, { baseOffset: 9, producerId: 77, producerEpoch: 2, now: 1_700_000_000_000 });
    const theirs = await kafkaDecode(commit);
    expect(theirs).toMatchObject({ firstOffset: '9', inTransaction: true, isControlBatch: true, producerId: '77', producerEpoch: 2, firstSequence: -1 });
    expect(theirs.records[0]!.isControlRecord).toBe(true);
    expect(theirs.records[0]!.key!.toString('hex')).toBe('00000001');
    expect(theirs.records[0]!.value!.toString('hex')).toBe('000000000005');
    const leader = await kafkaDecode(encodeControlBatch({ type: 'LEADER_CHANGE', leaderId: 1, voters: [1], grantingVoters: [1] }, { now: 0 }));
    expect(leader).toMatchObject({ inTransaction: false, isControlBatch: true, producerId: '-1' });
    expect(leader.records[0]!.key!.toString('hex')).toBe('00000002');
  });
});
