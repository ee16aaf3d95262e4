import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtureBaseTimestamp, fixtureRecords } from '../../test/fixtures/record/generate.js';
import { isTributaryError } from '../util/errors.js';
import {
  batchHeaderBytes,
  checkBatch,
  compressionTypes,
  crcStartPosition,
  decodeRecordsSection,
  encodeBatchUncompressed,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  type RecordInput,
} from './batch.js';
import { codecFor, decodeBatch, decompressedBytesMax, encodeBatch, snappyXerialFrame } from './codecs/index.js';

const require = createRequire(import.meta.url);
const KafkaEncoder = require('kafkajs/src/protocol/encoder');
const KafkaDecoder = require('kafkajs/src/protocol/decoder');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0');
const { RecordBatch: kafkaRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const kafkaDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const KafkaLong = require('kafkajs/src/utils/long');

const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 20 }), value: fc.option(bytes, { nil: null }) }), { maxLength: 4 }),
  timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
});

function plain(records: readonly { key?: Uint8Array | null; value: Uint8Array | null; headers?: readonly { key: string; value: Uint8Array | null }[] }[]) {
  return records.map((r) => ({
    key: r.key == null ? null : Buffer.from(r.key).toString('hex'),
    value: r.value === null ? null : Buffer.from(r.value).toString('hex'),
    headers: (r.headers ?? []).map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString('hex')]),
  }));
}

describe('record batch v2 round trips', () => {
  it('every field survives, uncompressed', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 50 }),
        fc.record({
          baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
          partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          producerId: fc.integer({ min: -1, max: 2 ** 50 }),
          producerEpoch: fc.integer({ min: -1, max: 32767 }),
          baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          transactional: fc.boolean(),
        }),
        (records, options) => {
          const batch = encodeBatchUncompressed(records, options);
          expect(checkBatch(batch, 0, batch.length)).toEqual({ ok: true, size: batch.length });
          const header = readBatchHeader(batch);
          const { transactional, ...fields } = options;
          expect(header).toMatchObject({ ...fields, magic: 2, recordCount: records.length, lastOffsetDelta: records.length - 1 });
          expect((header.attributes & 0x10) !== 0).toBe(transactional);
          const decoded = decodeRecordsSection(batch.subarray(batchHeaderBytes), header);
          expect(plain(decoded)).toEqual(plain(records));
          expect(decoded.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
          expect(decoded.map((r) => r.offset)).toEqual(records.map((_, i) => options.baseOffset + i));
          expect(header.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp!)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each(compressionTypes.map((c) => [c]))('every record survives %s', async (compression) => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 30 }), async (records) => {
        const batch = await encodeBatch(records, { compression });
        expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
        const decoded = await decodeBatch(batch);
        expect(plain(decoded)).toEqual(plain(records));
      }),
      { numRuns: 30 },
    );
  });

  it('stamps offsets and epochs outside the CRC, and LogAppendTime inside it', async () => {
    const batch = encodeBatchUncompressed([{ value: Buffer.from('a'), timestamp: 5 }, { value: Buffer.from('b'), timestamp: 9 }]);
    setBaseOffset(batch, 0, 1234);
    setPartitionLeaderEpoch(batch, 0, 77);
    expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
    setLogAppendTime(batch, 0, 999);
    expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
    const decoded = await decodeBatch(batch);
    expect(decoded.map((r) => [r.offset, r.timestamp])).toEqual([
      [1234, 999],
      [1235, 999],
    ]);
    expect(readBatchHeader(batch).partitionLeaderEpoch).toBe(77);
  });
});

describe('cross-check against KafkaJS 2.2.4, an independent implementation', () => {
  const kafkaBatch = async (records: readonly RecordInput[], baseTimestamp: number, maxTimestamp: number): Promise<Buffer> => {
    const encoded = records.map((r, i) =>
      KafkaRecord({
        offsetDelta: i,
        timestampDelta: (r.timestamp ?? baseTimestamp) - baseTimestamp,
        key: r.key ?? null,
        value: r.value,
        headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
      }),
    );
    const enc = await kafkaRecordBatch({
      firstOffset: KafkaLong.fromInt(0),
      firstTimestamp: baseTimestamp,
      maxTimestamp,
      partitionLeaderEpoch: -1,
      lastOffsetDelta: records.length - 1,
      producerId: KafkaLong.fromValue(-1),
      producerEpoch: -1,
      firstSequence: -1,
      records: encoded,
    });
    return enc.buffer as Buffer;
  };
  // KafkaJS takes headers as an object, so keys must be unique and its varint writer
  // handles 32-bit lengths only; keep inputs inside what both sides support.
  const kafkaSafeRecord = recordArb.map((r) => ({
    ...r,
    headers: [...new Map((r.headers ?? []).map((h) => [h.key, h])).values()].filter((h) => h.value !== null),
    timestamp: 1_700_000_000_000 + (r.timestamp! % 1_000_000),
  }));

  it('the same records encode to the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kafkaSafeRecord, { minLength: 1, maxLength: 20 }), async (records) => {
        const base = records[0]!.timestamp!;
        const max = Math.max(...records.map((r) => r.timestamp!));
        const theirs = await kafkaBatch(records, base, max);
        const ours = encodeBatchUncompressed(records);
        expect(ours.toString('hex')).toBe(theirs.toString('hex'));
      }),
      { numRuns: 100 },
    );
  });

  it('KafkaJS decodes our batches, in every codec it supports', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kafkaSafeRecord, { minLength: 1, maxLength: 20 }), fc.constantFrom('none' as const, 'gzip' as const), async (records, compression) => {
        const ours = await encodeBatch(records, { compression, baseOffset: 500, partitionLeaderEpoch: 3 });
        const theirs = await kafkaDecodeBatch(new KafkaDecoder(ours));
        expect(theirs.firstOffset).toBe('500');
        expect(theirs.partitionLeaderEpoch).toBe(3);
        expect(theirs.records.length).toBe(records.length);
        theirs.records.forEach((t: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers: Record<string, Buffer> }, i: number) => {
          const r = records[i]!;
          expect(t.offset).toBe(String(500 + i));
          expect(t.timestamp).toBe(String(r.timestamp));
          expect(t.key === null ? null : t.key.toString('hex')).toBe(r.key == null ? null : Buffer.from(r.key).toString('hex'));
          expect(t.value === null ? null : t.value.toString('hex')).toBe(r.value === null ? null : Buffer.from(r.value).toString('hex'));
          expect(Object.keys(t.headers)).toEqual((r.headers ?? []).map((h) => h.key));
        });
      }),
      { numRuns: 50 },
    );
  });

  it('we decode KafkaJS gzip batches', async () => {
    const records = [{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(1000)), timestamp: 1_700_000_000_000 }];
    const encoded = records.map((r, i) => KafkaRecord({ offsetDelta: i, timestampDelta: 0, key: r.key, value: r.value }));
    const enc = await kafkaRecordBatch({ compression: 1, firstTimestamp: records[0]!.timestamp, maxTimestamp: records[0]!.timestamp, lastOffsetDelta: 0, records: encoded });
    const decoded = await decodeBatch(enc.buffer);
    expect(Buffer.from(decoded[0]!.value!).toString()).toBe('v'.repeat(1000));
  });
});

describe('fixtures made by independent encoders stay readable', () => {
  it.each([['none'], ['gzip'], ['snappy-xerial'], ['lz4'], ['zstd']])('batch-v2-%s.bin', async (name) => {
    const bytes = readFileSync(new URL(`../../test/fixtures/record/batch-v2-${name}.bin`, import.meta.url));
    expect(checkBatch(bytes, 0, bytes.length).ok).toBe(true);
    const header = readBatchHeader(bytes);
    expect(header).toMatchObject({ baseOffset: 100, partitionLeaderEpoch: 7, producerId: 4242, producerEpoch: 3, baseSequence: 17, recordCount: fixtureRecords.length });
    const decoded = await decodeBatch(bytes);
    expect(decoded.length).toBe(fixtureRecords.length);
    decoded.forEach((r, i) => {
      const f = fixtureRecords[i]!;
      expect(r.offset).toBe(100 + i);
      expect(r.timestamp).toBe(fixtureBaseTimestamp + f.timestampDelta);
      expect(r.key === null ? null : Buffer.from(r.key).toString()).toBe(f.key);
      expect(r.value === null ? null : Buffer.from(r.value).toString()).toBe(f.value);
      expect(Object.fromEntries(r.headers.map((h) => [h.key, Buffer.from(h.value!).toString()]))).toEqual(f.headers);
    });
  });

  it('our xerial snappy frames decode, and raw blocks too', async () => {
    const data = Buffer.from('hello snappy '.repeat(10_000));
    expect((await codecFor('snappy').decompress(await snappyXerialFrame(data))).equals(data)).toBe(true);
    expect((await codecFor('snappy').decompress(await codecFor('snappy').compress(data))).equals(data)).toBe(true);
  });
});

describe('corrupt input', () => {
  const sample = encodeBatchUncompressed(
    Array.from({ length: 8 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [{ key: 'h', value: Buffer.from('x') }] })),
  );

  it('every single-bit flip in the CRC-covered region is caught', () => {
    for (let pos = crcStartPosition; pos < sample.length; pos++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = Buffer.from(sample);
        b[pos]! ^= 1 << bit;
        expect(checkBatch(b, 0, b.length).ok).toBe(false);
      }
    }
  });

  it('truncation at every byte is caught', () => {
    for (let cut = 0; cut < sample.length; cut++) expect(checkBatch(sample, 0, cut).ok).toBe(false);
  });

  it('garbage records behind a valid header only ever raise CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 20 }), (garbage, count) => {
        const header = { ...readBatchHeader(sample), recordCount: count, lastOffsetDelta: Math.max(0, count - 1) };
        try {
          decodeRecordsSection(Buffer.from(garbage), header);
        } catch (err) {
          expect(isTributaryError(err, 'CORRUPT_MESSAGE')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('compressed garbage raises CORRUPT_MESSAGE, and bombs are refused', async () => {
    for (const c of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      await expect(codecFor(c).decompress(Buffer.from('definitely not compressed data'))).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'CORRUPT_MESSAGE'));
    }
    // A snappy block that claims more than the maximum is refused before decompression.
    const claim = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]); // 2^31
    expect(2 ** 31).toBeGreaterThan(decompressedBytesMax);
    await expect(codecFor('snappy').decompress(Buffer.concat([claim, Buffer.alloc(10)]))).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'CORRUPT_MESSAGE'));
    // gzip of 200 MiB of zeros (about 200 KiB compressed) is refused once it passes the cap.
    const bomb = await codecFor('gzip').compress(Buffer.alloc(decompressedBytesMax + 1024));
    await expect(codecFor('gzip').decompress(bomb)).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'CORRUPT_MESSAGE'));
  });
});
