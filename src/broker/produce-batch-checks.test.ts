import { describe, expect, it } from 'vitest';
import { crcStartPosition, encodeBatchUncompressed, positions, readBatchHeader } from '../record/batch.js';
import { crc32c } from '../util/crc32c.js';
import { beforeCrcProblem, nextBatchSize, produceRequestProblem, timestampProblem, wholeBatchBytes } from './produce-batch-checks.js';

const now = 1_700_000_000_000;
const hour = 3_600_000;
const rules = { messageTimestampType: 'CreateTime', messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, messageTimestampAfterMaxMs: hour };
const batchAt = (bytes: Buffer) => ({ position: 0, size: bytes.length, header: readBatchHeader(bytes) });
const withMaxTimestamp = (b: Buffer, max: number): Buffer => {
  const c = Buffer.from(b);
  c.writeBigInt64BE(BigInt(max), positions.maxTimestamp);
  c.writeUInt32BE(crc32c(c, crcStartPosition, c.length), positions.crc);
  return c;
};

describe('produce-batch-checks: Kafka’s batch reader and per-record timestamps', () => {
  it('reads every record’s timestamp (negative and large deltas), names the refused ones and reports the records’ largest', () => {
    const stamps = [now, now - 90_000_000, now + 2 * hour, now + 10, now + 3 * hour];
    const b = withMaxTimestamp(encodeBatchUncompressed(stamps.map((timestamp, i) => ({ value: Buffer.from(`v${i}`), timestamp })), { now }), now);
    const seen = { maxTimestamp: 0 };
    const p = timestampProblem(batchAt(b), b, now, rules, seen);
    expect([p?.errorCode, p?.recordErrors?.map((e) => e.batchIndex)]).toEqual(['INVALID_TIMESTAMP', [2, 4]]);
    const inRange = withMaxTimestamp(encodeBatchUncompressed([{ value: null, timestamp: now - 5 }, { value: null, timestamp: now - 1 }], { now }), now - 5);
    expect(timestampProblem(batchAt(inRange), inRange, now, rules, seen)).toBeUndefined();
    expect(seen.maxTimestamp).toBe(now - 1);
  });

  it('records that do not parse are CORRUPT_MESSAGE', () => {
    const b = encodeBatchUncompressed([{ value: Buffer.from('abc'), timestamp: now }], { now });
    const cut = Buffer.concat([b.subarray(0, b.length - 2)]);
    cut.writeInt32BE(cut.length - 12, positions.batchLength);
    expect(timestampProblem({ position: 0, size: cut.length, header: readBatchHeader(cut) }, cut, now, rules)?.errorCode).toBe('CORRUPT_MESSAGE');
    const extra = Buffer.concat([b, Buffer.from([0, 0])]);
    extra.writeInt32BE(extra.length - 12, positions.batchLength);
    expect(timestampProblem({ position: 0, size: extra.length, header: readBatchHeader(extra) }, extra, now, rules)?.errorCode).toBe('CORRUPT_MESSAGE');
  });

  it('walks batches as Kafka’s ByteBufferLogInputStream: a partial tail is the end, a short length or bad magic corrupt', () => {
    const b = encodeBatchUncompressed([{ value: Buffer.from('x'), timestamp: now }], { now });
    expect(nextBatchSize(b, 0)).toBe(b.length);
    expect(nextBatchSize(Buffer.concat([b, Buffer.alloc(11)]), b.length)).toBe(-1);
    expect(wholeBatchBytes(Buffer.concat([b, Buffer.alloc(11)]))).toEqual(b);
    const shortLength = Buffer.alloc(12);
    shortLength.writeInt32BE(13, 8);
    expect(produceRequestProblem(Buffer.concat([b, shortLength]), 9)?.errorCode).toBe('CORRUPT_MESSAGE');
    expect(produceRequestProblem(b.subarray(0, b.length - 1), 9)?.errorCode).toBe('INVALID_RECORD');
    expect(produceRequestProblem(Buffer.concat([b, b]), 9)?.errorCode).toBe('INVALID_RECORD');
    const negativeMagic = Buffer.from(b);
    negativeMagic[positions.magic] = 0x80;
    expect(produceRequestProblem(negativeMagic, 9)?.message).toBe('invalid magic found in record: -128');
    const moved = Buffer.from(b);
    moved.writeBigInt64BE(5n, 0);
    expect(beforeCrcProblem(moved, 1_000_000)?.errorCode).toBe('INVALID_RECORD');
    expect(beforeCrcProblem(b, b.length - 1)?.errorCode).toBe('MESSAGE_TOO_LARGE');
    expect(beforeCrcProblem(b, b.length)).toBeUndefined();
  });
});
