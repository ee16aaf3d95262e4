import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../util/errors.js';
import { checkBatch, encodeBatchUncompressed, isControlBatch, isTransactionalBatch, readBatchHeader } from './batch.js';
import {
  controlRecordTypeIds,
  decodeControlBatch,
  decodeControlRecord,
  decodeControlRecordTypeId,
  encodeControlBatch,
  encodeControlRecordKey,
  encodeControlRecordValue,
  type ControlRecord,
} from './control-record.js';

const isCorrupt = (e: unknown): boolean => isTributaryError(e, 'CORRUPT_MESSAGE');
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

const controlRecordArb: fc.Arbitrary<ControlRecord> = fc.oneof(
  fc.record({ type: fc.constantFrom('ABORT' as const, 'COMMIT' as const), coordinatorEpoch: int32 }),
  fc.record({ type: fc.constant('LEADER_CHANGE' as const), leaderId: int32, voters: fc.array(int32, { maxLength: 200 }), grantingVoters: fc.array(int32, { maxLength: 10 }) }),
  fc.record({ type: fc.constant('SNAPSHOT_HEADER' as const), lastContainedLogTimestamp: fc.integer({ min: -1, max: 2 ** 50 }) }),
  fc.constant({ type: 'SNAPSHOT_FOOTER' as const }),
);

describe('control records', () => {
  it('Kafka numbers the types ABORT 0, COMMIT 1, LEADER_CHANGE 2, SNAPSHOT_HEADER 3, SNAPSHOT_FOOTER 4', () => {
    expect(controlRecordTypeIds).toEqual({ ABORT: 0, COMMIT: 1, LEADER_CHANGE: 2, SNAPSHOT_HEADER: 3, SNAPSHOT_FOOTER: 4 });
    expect(encodeControlRecordKey('ABORT').toString('hex')).toBe('00000000');
    expect(encodeControlRecordKey('SNAPSHOT_FOOTER').toString('hex')).toBe('00000004');
  });

  it('values are Kafka message bytes, field by field', () => {
    // EndTxnMarker: Version int16, CoordinatorEpoch int32.
    expect(encodeControlRecordValue({ type: 'ABORT', coordinatorEpoch: -1 }).toString('hex')).toBe('0000' + 'ffffffff');
    // SnapshotHeaderRecord v0: Version int16, LastContainedLogTimestamp int64, tagged fields.
    expect(encodeControlRecordValue({ type: 'SNAPSHOT_HEADER', lastContainedLogTimestamp: 0x0102030405 }).toString('hex')).toBe('0000' + '0000000102030405' + '00');
    // SnapshotFooterRecord v0: Version int16, tagged fields.
    expect(encodeControlRecordValue({ type: 'SNAPSHOT_FOOTER' }).toString('hex')).toBe('0000' + '00');
    // LeaderChangeMessage v0: empty compact arrays are a single 01.
    expect(encodeControlRecordValue({ type: 'LEADER_CHANGE', leaderId: 3, voters: [], grantingVoters: [] }).toString('hex')).toBe('0000' + '00000003' + '01' + '01' + '00');
  });

  it('every control record survives a control batch', async () => {
    await fc.assert(
      fc.asyncProperty(controlRecordArb, fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (record, baseOffset, epoch) => {
        const marker = record.type === 'ABORT' || record.type === 'COMMIT';
        const batch = encodeControlBatch(record, { baseOffset, partitionLeaderEpoch: epoch, now: 1_700_000_000_000, ...(marker ? { producerId: 42, producerEpoch: 7 } : {}) });
        expect(checkBatch(batch, 0, batch.length).ok).toBe(true);
        const { header, records } = await decodeControlBatch(batch);
        expect(isControlBatch(header.attributes)).toBe(true);
        expect(isTransactionalBatch(header.attributes)).toBe(marker);
        expect(header).toMatchObject({
          baseOffset,
          partitionLeaderEpoch: epoch,
          recordCount: 1,
          producerId: marker ? 42 : -1,
          producerEpoch: marker ? 7 : -1,
          baseSequence: -1,
        });
        expect(records).toEqual([{ ...record, offset: baseOffset, timestamp: 1_700_000_000_000 }]);
      }),
      { numRuns: 200 },
    );
  });

  it('a transaction marker must name its producer', () => {
    expect(() => encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 1 })).toThrow(/producer id/);
  });

  it('reads types it does not know as UNKNOWN, keeping the value', () => {
    const value = Buffer.from('kraft voters');
    expect(decodeControlRecord({ key: Buffer.from('00000006', 'hex'), value })).toEqual({ type: 'UNKNOWN', typeId: 6, value });
    expect(decodeControlRecord({ key: Buffer.from('0000ffff', 'hex'), value: null })).toEqual({ type: 'UNKNOWN', typeId: -1, value: null });
  });

  it('reads later key and value versions as version 0, ignoring what it does not know', () => {
    // Key version 1 with an extra field; a leader change with a tagged field (tag 5, 2 bytes) and trailing bytes.
    const key = Buffer.from('0001' + '0002' + 'abcd', 'hex');
    const value = Buffer.from('0001' + '00000009' + '02' + '0000000100' + '01' + '01' + '0502beef' + 'ffff', 'hex');
    expect(decodeControlRecord({ key, value })).toEqual({ type: 'LEADER_CHANGE', leaderId: 9, voters: [1], grantingVoters: [] });
    // A voter carrying a tagged field of its own.
    const tagged = Buffer.from('0000' + '00000009' + '02' + '00000001' + '01' + '00' + '00' + '01' + '00', 'hex');
    expect(decodeControlRecord({ key: encodeControlRecordKey('LEADER_CHANGE'), value: tagged })).toEqual({ type: 'LEADER_CHANGE', leaderId: 9, voters: [1], grantingVoters: [] });
  });

  it('refuses malformed keys and values with CORRUPT_MESSAGE', () => {
    const bad = (key: string | null, value: string | null): void => {
      expect(() => decodeControlRecord({ key: key === null ? null : Buffer.from(key, 'hex'), value: value === null ? null : Buffer.from(value, 'hex') }), `${key} ${value}`).toThrow(
        expect.objectContaining({ code: 'CORRUPT_MESSAGE' }),
      );
    };
    bad(null, null);
    bad('000000', null); // short key
    bad('ffff0001', '000000000001'); // negative key version
    bad('00000001', null); // a marker without a value
    bad('00000001', 'ffff00000001'); // negative marker version
    bad('00000002', '0000' + '00000001' + '00' + '01' + '00'); // null voters array
    bad('00000002', '0000' + '00000001' + 'ff'); // voters length varint runs out
    bad('00000002', '0000' + '00000001' + '0a' + '0000000100'); // 9 voters in 5 bytes
    bad('00000003', '0000' + '0100000000000000' + '00'); // timestamp beyond 2^53
  });

  it('every truncation of a valid value is CORRUPT_MESSAGE', () => {
    for (const record of [
      { type: 'COMMIT', coordinatorEpoch: 3 },
      { type: 'LEADER_CHANGE', leaderId: 1, voters: [1, 2, 3], grantingVoters: [1, 2] },
      { type: 'SNAPSHOT_HEADER', lastContainedLogTimestamp: 12345 },
      { type: 'SNAPSHOT_FOOTER' },
    ] as const) {
      const key = encodeControlRecordKey(record.type);
      const value = encodeControlRecordValue(record);
      expect(decodeControlRecord({ key, value })).toEqual(record);
      for (let cut = 0; cut < value.length; cut++) {
        expect(() => decodeControlRecord({ key, value: value.subarray(0, cut) })).toThrow(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
      }
    }
  });

  it('garbage values only ever decode or raise CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 60 }), (typeId, value) => {
        const key = Buffer.alloc(4);
        key.writeInt16BE(typeId, 2);
        try {
          decodeControlRecord({ key, value });
        } catch (err) {
          expect(isCorrupt(err), String(err)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('decodeControlBatch refuses a data batch', async () => {
    const data = encodeBatchUncompressed([{ key: encodeControlRecordKey('COMMIT'), value: Buffer.alloc(6) }]);
    expect(isControlBatch(readBatchHeader(data).attributes)).toBe(false);
    await expect(decodeControlBatch(data)).rejects.toSatisfy((e: unknown) => isTributaryError(e, 'INVALID_RECORD'));
  });

  it('the key alone tells the type', () => {
    for (const [type, id] of Object.entries(controlRecordTypeIds)) {
      expect(decodeControlRecordTypeId(encodeControlRecordKey(type as keyof typeof controlRecordTypeIds))).toBe(id);
    }
  });
});
