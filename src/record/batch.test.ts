import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchOptionsArb, bytesArb, plain, recordArb, recordsArb } from '../../test/fixtures/record/arbitraries.js';
import { crc32c } from '../util/crc32c.js';
import { isTributaryError } from '../util/errors.js';
import {
  assembleBatch,
  attributeBits,
  batchHeaderBytes,
  checkBatch,
  compressionOf,
  compressionTypes,
  crcStartPosition,
  decodeRecordsSection,
  encodeBatchUncompressed,
  encodeRecords,
  isControlBatch,
  isTransactionalBatch,
  iterateBatches,
  positions,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  timestampTypeOf,
  type BatchHeader,
  type CompressionType,
  type DecodedRecord,
} from './batch.js';
import { codecFor, decodeBatch, decodeBatches, encodeBatch } from './codecs/index.js';

const isCorrupt = (e: unknown): boolean => isTributaryError(e, 'CORRUPT_MESSAGE');

describe('record batch v2 round trips', () => {
  it('every record and every header field survives, uncompressed', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb(), batchOptionsArb, async (records, options) => {
        const batch = encodeBatchUncompressed(records, options);
        expect(checkBatch(batch, 0, batch.length)).toEqual({ ok: true, size: batch.length });
        const header = readBatchHeader(batch);
        const timestamps = records.map((r) => r.timestamp ?? options.now);
        expect(header).toMatchObject({
          baseOffset: options.baseOffset,
          batchLength: batch.length - 12,
          partitionLeaderEpoch: options.partitionLeaderEpoch,
          magic: 2,
          lastOffsetDelta: records.length - 1,
          baseTimestamp: timestamps[0],
          maxTimestamp: Math.max(...timestamps),
          producerId: options.producerId,
          producerEpoch: options.producerEpoch,
          baseSequence: options.baseSequence,
          recordCount: records.length,
        });
        expect(compressionOf(header.attributes)).toBe('none');
        expect(isTransactionalBatch(header.attributes)).toBe(options.transactional);
        expect(isControlBatch(header.attributes)).toBe(options.control);
        expect(timestampTypeOf(header.attributes)).toBe(options.timestampType);

        const decoded = await decodeBatch(batch);
        expect(plain(decoded)).toEqual(plain(records));
        expect(decoded.map((r) => r.offset)).toEqual(records.map((_, i) => options.baseOffset + i));
        // LogAppendTime: every record takes the batch's max timestamp, as in Kafka.
        expect(decoded.map((r) => r.timestamp)).toEqual(options.timestampType === 'LogAppendTime' ? timestamps.map(() => header.maxTimestamp) : timestamps);
      }),
      { numRuns: 60 },
    );
  });

  it.each(compressionTypes.filter((c) => c !== 'none').map((c) => [c]))('%s compresses the records section only', async (compression) => {
    await fc.assert(
      fc.asyncProperty(recordsArb(), batchOptionsArb, async (records, options) => {
        const batch = await encodeBatch(records, { ...options, compression });
        const plainBatch = encodeBatchUncompressed(records, options);
        expect(checkBatch(batch, 0, batch.length)).toEqual({ ok: true, size: batch.length });
        // The header is the uncompressed batch's but for the codec bits, the length and the CRC.
        const header = readBatchHeader(batch);
        const plainHeader = readBatchHeader(plainBatch);
        expect({ ...header, attributes: header.attributes & ~attributeBits.compressionMask, batchLength: 0, crc: 0 }).toEqual({ ...plainHeader, batchLength: 0, crc: 0 });
        expect(compressionOf(header.attributes)).toBe(compression);
        const decoded = await decodeBatch(batch);
        expect(plain(decoded)).toEqual(plain(records));
        expect(decoded.map((r) => [r.offset, r.timestamp])).toEqual((await decodeBatch(plainBatch)).map((r) => [r.offset, r.timestamp]));
      }),
      { numRuns: 15 },
    );
  });

  it('encodeBatch without a codec is encodeBatchUncompressed, and an empty batch is refused', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb(20), batchOptionsArb, async (records, options) => {
        expect((await encodeBatch(records, options)).equals(encodeBatchUncompressed(records, options))).toBe(true);
      }),
      { numRuns: 30 },
    );
    await expect(encodeBatch([])).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'INVALID_RECORD'));
  });

  it('encodeRecords writes the section assembleBatch puts behind a header, byte for byte', () => {
    fc.assert(
      fc.property(recordsArb(50), batchOptionsArb, (records, options) => {
        const { body, baseTimestamp, maxTimestamp } = encodeRecords(records, options.now);
        const assembled = assembleBatch(body, records.length, baseTimestamp, maxTimestamp, 'none', options);
        expect(assembled.equals(encodeBatchUncompressed(records, options))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('header keys with unpaired surrogates are written as U+FFFD, as TextEncoder writes them', async () => {
    const keys = ['a\ud800', '\udc00z', 'ok', 'ünï', '\ud83d\ude00'];
    const batch = encodeBatchUncompressed([{ value: null, headers: keys.map((key) => ({ key, value: null })) }], { now: 0 });
    const decoded = await decodeBatch(batch);
    expect(decoded[0]!.headers.map((h) => h.key)).toEqual(keys.map((k) => new TextDecoder().decode(new TextEncoder().encode(k))));
  });

  it('compaction layouts keep offset gaps and a delete horizon as the base timestamp', async () => {
    const records = [0, 3, 7].map((d) => ({ key: Buffer.from(`k${d}`), value: Buffer.from(`v${d}`), timestamp: 1_000 + d }));
    const { body, maxTimestamp } = encodeRecords(records, 0, { offsetDeltas: [0, 3, 7], baseTimestamp: 500 });
    const batch = assembleBatch(body, 3, 500, maxTimestamp, 'none', { baseOffset: 10, lastOffsetDelta: 9, deleteHorizon: true });
    expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
    const header = readBatchHeader(batch);
    expect(header).toMatchObject({ recordCount: 3, lastOffsetDelta: 9, baseTimestamp: 500 });
    expect(header.attributes & attributeBits.deleteHorizon).not.toBe(0);
    expect((await decodeBatch(batch)).map((r) => [r.offset, r.timestamp])).toEqual([
      [10, 1_000],
      [13, 1_003],
      [17, 1_007],
    ]);
  });

  it('stamps offsets and epochs outside the CRC, and LogAppendTime inside it', async () => {
    const batch = encodeBatchUncompressed([
      { value: Buffer.from('a'), timestamp: 5 },
      { value: Buffer.from('b'), timestamp: 9 },
    ]);
    const crc = readBatchHeader(batch).crc;
    setBaseOffset(batch, 0, 1234);
    setPartitionLeaderEpoch(batch, 0, 77);
    expect(readBatchHeader(batch).crc).toBe(crc);
    expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
    setLogAppendTime(batch, 0, 999);
    expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
    expect((await decodeBatch(batch)).map((r) => [r.offset, r.timestamp])).toEqual([
      [1234, 999],
      [1235, 999],
    ]);
    expect(readBatchHeader(batch).partitionLeaderEpoch).toBe(77);
  });

  it('iterates concatenated batches and decodes them in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(recordsArb(10), fc.constantFrom<CompressionType>(...compressionTypes)), { minLength: 1, maxLength: 6 }), async (batches) => {
        let next = 0;
        const encoded: Buffer[] = [];
        for (const [records, compression] of batches) {
          encoded.push(await encodeBatch(records, { baseOffset: next, compression }));
          next += records.length;
        }
        const all = Buffer.concat(encoded);
        expect([...iterateBatches(all)].map((s) => s.size)).toEqual(encoded.map((b) => b.length));
        const decoded = await decodeBatches(all);
        expect(decoded.map((r) => r.offset)).toEqual(Array.from({ length: next }, (_, i) => i));
        expect(plain(decoded)).toEqual(plain(batches.flatMap(([records]) => records)));
      }),
      { numRuns: 30 },
    );
  });
});

describe('corrupt batches', () => {
  const sample = encodeBatchUncompressed(
    Array.from({ length: 8 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers: [{ key: 'h', value: Buffer.from('x') }] })),
    { now: 1_700_000_000_000, producerId: 9, producerEpoch: 1, baseSequence: 0 },
  );

  it('every change of one byte in the CRC-covered region is caught', () => {
    // CRC-32C detects every error burst of up to 32 bits, so no single-byte change can
    // slip through, whatever the byte and whatever the new value.
    for (let pos = crcStartPosition; pos < sample.length; pos++) {
      for (let delta = 1; delta < 256; delta++) {
        const b = Buffer.from(sample);
        b[pos]! ^= delta;
        expect(checkBatch(b, 0, b.length)).toEqual({ ok: false, problem: 'bad-crc' });
      }
    }
  });

  it('a change in the CRC itself, the length or the magic is caught; offset and epoch are free to stamp', () => {
    for (let pos = 0; pos < crcStartPosition; pos++) {
      for (const delta of [0x01, 0x80, 0xff]) {
        const b = Buffer.from(sample);
        b[pos]! ^= delta;
        const stampable = pos < positions.batchLength || (pos >= positions.partitionLeaderEpoch && pos < positions.magic);
        expect(checkBatch(b, 0, b.length).ok, `byte ${pos} ^ ${delta}`).toBe(stampable);
      }
    }
  });

  it('truncation at every byte is caught, and a partial batch at the end of a read is left out', async () => {
    for (let cut = 0; cut < sample.length; cut++) {
      const check = checkBatch(sample, 0, cut);
      expect(check.ok).toBe(false);
      expect(['truncated-header', 'truncated-batch']).toContain(check.ok ? '' : check.problem);
      await expect(decodeBatch(sample.subarray(0, cut))).rejects.toSatisfy(isCorrupt);
      const decoded = await decodeBatches(Buffer.concat([sample, sample.subarray(0, cut)]));
      expect(decoded.length).toBe(8);
    }
  });

  it('decodeBatches stops at a partial batch but refuses an impossible length', async () => {
    for (const length of [0, 48, -1, 2 ** 31 - 1]) {
      const b = Buffer.concat([sample, sample]);
      b.writeInt32BE(length, sample.length + positions.batchLength);
      await expect(decodeBatches(b)).rejects.toSatisfy(isCorrupt);
    }
    // A length that is possible but runs past the end is a partial batch.
    const partial = Buffer.concat([sample, sample.subarray(0, 30)]);
    expect((await decodeBatches(partial)).length).toBe(8);
  });

  it('decodeBatch refuses a bad CRC unless told the bytes were checked', async () => {
    const b = Buffer.from(sample);
    b[b.length - 1]! ^= 1; // the last header value byte: still decodes
    await expect(decodeBatch(b)).rejects.toSatisfy(isCorrupt);
    expect((await decodeBatch(b, 0, { verifyCrc: false })).length).toBe(8);
  });

  it('64-bit fields outside the safe integer range are refused, not rounded', async () => {
    for (const field of ['baseOffset', 'baseTimestamp', 'maxTimestamp', 'producerId'] as const) {
      const b = Buffer.from(sample);
      b.writeBigInt64BE(2n ** 60n, positions[field]);
      b.writeUInt32BE(crc32c(b, crcStartPosition), positions.crc);
      await expect(decodeBatch(b)).rejects.toSatisfy(isCorrupt);
    }
  });
});

/** Every byte view a decoded record holds lies inside `body`. */
function expectViewsInside(records: readonly DecodedRecord[], body: Uint8Array): void {
  const inside = (v: Uint8Array | null): boolean =>
    v === null || (v.buffer === body.buffer && v.byteOffset >= body.byteOffset && v.byteOffset + v.length <= body.byteOffset + body.length);
  for (const r of records) {
    expect(inside(r.key) && inside(r.value) && r.headers.every((h) => inside(h.value))).toBe(true);
  }
}

describe('garbage records sections', () => {
  const headerOf = (count: number, lastOffsetDelta: number): BatchHeader => ({
    ...readBatchHeader(encodeBatchUncompressed([{ value: null }], { now: 0 })),
    recordCount: count,
    lastOffsetDelta,
  });
  const countArb = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(-1, -(2 ** 31), 2 ** 31 - 1, 1_000_000));

  /** Decoding either succeeds within `body`, or fails with CORRUPT_MESSAGE: nothing else. */
  const decodesOrCorrupt = (body: Uint8Array, header: BatchHeader): void => {
    let records: DecodedRecord[];
    try {
      records = decodeRecordsSection(body, header);
    } catch (err) {
      expect(isCorrupt(err), String(err)).toBe(true);
      return;
    }
    expect(records.length).toBe(header.recordCount);
    expectViewsInside(records, body);
  };

  it('random bytes only ever raise CORRUPT_MESSAGE, whatever the record count', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), countArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (garbage, count, lastOffsetDelta) => {
        // A slice of a larger buffer, so that reading past its end would find bytes.
        const padded = Buffer.alloc(garbage.length + 64, 0x01);
        padded.set(garbage, 32);
        decodesOrCorrupt(padded.subarray(32, 32 + garbage.length), headerOf(count, lastOffsetDelta));
      }),
      { numRuns: 3000 },
    );
  });

  it('a valid section with bytes changed, inserted or removed only ever decodes or raises CORRUPT_MESSAGE', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), byte: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (records, mutations) => {
        let bytes = [...encodeRecords(records, 0).body];
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'set' && at < bytes.length) bytes[at] = m.byte;
          if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          if (m.kind === 'remove' && at < bytes.length) bytes.splice(at, 1);
        }
        const body = Buffer.from(bytes);
        decodesOrCorrupt(body, headerOf(records.length, records.length - 1));
      }),
      { numRuns: 2000 },
    );
  });

  it('garbage behind a valid header and CRC, in any codec, only ever raises CORRUPT_MESSAGE', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), countArb, fc.constantFrom<CompressionType>(...compressionTypes), async (garbage, count, compression) => {
        const lastOffsetDelta = Math.max(0, count);
        const batch = assembleBatch(garbage, count, 0, 0, compression, { lastOffsetDelta });
        try {
          await decodeBatch(batch);
        } catch (err) {
          expect(isCorrupt(err), String(err)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('garbage compressed properly only ever raises CORRUPT_MESSAGE', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom<CompressionType>('gzip', 'snappy', 'lz4', 'zstd'), async (garbage, count, compression) => {
        const section = await codecFor(compression).compress(garbage);
        const batch = assembleBatch(section, count, 0, 0, compression, { lastOffsetDelta: count - 1 });
        try {
          expect((await decodeBatch(batch)).length).toBe(count);
        } catch (err) {
          expect(isCorrupt(err), String(err)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a record count that cannot fit before allocating for it', () => {
    const body = encodeRecords([{ value: null }], 0).body;
    for (const count of [-1, -(2 ** 31), 2, 2 ** 31 - 1]) {
      expect(() => decodeRecordsSection(body, headerOf(count, 2 ** 31 - 1))).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    }
  });

  it('reads header keys leniently, as Kafka does: malformed UTF-8 becomes U+FFFD', async () => {
    const batch = encodeBatchUncompressed([{ value: null, headers: [{ key: 'ab', value: null }] }], { now: 0 });
    const at = batch.indexOf(Buffer.from('ab'), batchHeaderBytes);
    batch[at] = 0xff;
    batch.writeUInt32BE(crc32c(batch, crcStartPosition), positions.crc);
    expect((await decodeBatch(batch))[0]!.headers[0]!.key).toBe('\ufffdb');
  });
});
