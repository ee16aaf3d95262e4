/**
 * The checked-in batches of test/fixtures/record (see its README: made by KafkaJS's
 * encoder and reference compressors, never by Tributary) still decode to the records
 * they were made from. A failure here means logs written before the change would no
 * longer read.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureBaseTimestamp, fixtureControlRecords, fixtureRecords } from '../../test/fixtures/record/generate.js';
import { checkBatch, compressionOf, isControlBatch, isTransactionalBatch, readBatchHeader } from './batch.js';
import { decodeBatch } from './codecs/index.js';
import { decodeControlBatch, encodeControlRecordKey, encodeControlRecordValue } from './control-record.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/record/batch-v2-${name}.bin`, import.meta.url));

describe('record batch fixtures stay readable', () => {
  it.each([
    ['none', 'none'],
    ['gzip', 'gzip'],
    ['snappy-xerial', 'snappy'],
    ['lz4', 'lz4'],
    ['zstd', 'zstd'],
    ['zstd-jni', 'zstd'],
  ])('batch-v2-%s.bin', async (name, codec) => {
    const bytes = fixture(name);
    expect(checkBatch(bytes, 0, bytes.length)).toEqual({ ok: true, size: bytes.length });
    const header = readBatchHeader(bytes);
    expect(compressionOf(header.attributes)).toBe(codec);
    expect(header).toMatchObject({
      baseOffset: 100,
      partitionLeaderEpoch: 7,
      producerId: 4242,
      producerEpoch: 3,
      baseSequence: 17,
      recordCount: fixtureRecords.length,
      lastOffsetDelta: fixtureRecords.length - 1,
      baseTimestamp: fixtureBaseTimestamp,
    });
    const decoded = await decodeBatch(bytes);
    expect(decoded.length).toBe(fixtureRecords.length);
    decoded.forEach((r, i) => {
      const f = fixtureRecords[i]!;
      expect(r.offset).toBe(100 + i);
      expect(r.timestamp).toBe(fixtureBaseTimestamp + f.timestampDelta);
      expect(r.key === null ? null : Buffer.from(r.key).toString()).toBe(f.key);
      expect(r.value === null ? null : Buffer.from(r.value).toString()).toBe(f.value);
      expect(r.headers.map((h) => [h.key, Buffer.from(h.value!).toString()])).toEqual(Object.entries(f.headers));
    });
  });

  it('batch-v2-control-commit.bin', async () => {
    const bytes = fixture('control-commit');
    expect(checkBatch(bytes, 0, bytes.length).ok).toBe(true);
    const { header, records } = await decodeControlBatch(bytes);
    expect(isControlBatch(header.attributes) && isTransactionalBatch(header.attributes)).toBe(true);
    expect(header).toMatchObject({ producerId: 4242, producerEpoch: 3, baseSequence: -1 });
    expect(records).toEqual([{ type: 'COMMIT', coordinatorEpoch: 5, offset: 100, timestamp: fixtureBaseTimestamp }]);
  });

  it('batch-v2-control-leader-change.bin', async () => {
    const bytes = fixture('control-leader-change');
    expect(checkBatch(bytes, 0, bytes.length).ok).toBe(true);
    const { header, records } = await decodeControlBatch(bytes);
    expect(isControlBatch(header.attributes)).toBe(true);
    expect(isTransactionalBatch(header.attributes)).toBe(false);
    expect(header).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: 7 });
    expect(records).toEqual([{ type: 'LEADER_CHANGE', leaderId: 2, voters: [1, 2, 3], grantingVoters: [1, 2], offset: 100, timestamp: fixtureBaseTimestamp }]);
  });

  it('control records encode to the bytes in the fixtures', () => {
    expect(encodeControlRecordKey('COMMIT').toString('hex')).toBe(fixtureControlRecords.commit.key);
    expect(encodeControlRecordValue({ type: 'COMMIT', coordinatorEpoch: 5 }).toString('hex')).toBe(fixtureControlRecords.commit.value);
    expect(encodeControlRecordKey('LEADER_CHANGE').toString('hex')).toBe(fixtureControlRecords.leaderChange.key);
    expect(encodeControlRecordValue({ type: 'LEADER_CHANGE', leaderId: 2, voters: [1, 2, 3], grantingVoters: [1, 2] }).toString('hex')).toBe(fixtureControlRecords.leaderChange.value);
  });
});
