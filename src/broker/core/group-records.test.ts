import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../util/errors.js';
import {
  decodeGroupRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  partitionForGroup,
  type GroupMetadataValue,
  type GroupRecord,
} from './group-records.js';

const hex = (b: Uint8Array | null): string => (b === null ? 'null' : Buffer.from(b).toString('hex'));
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/[\s|]/g, ''), 'hex'));

function roundTrip(r: GroupRecord): GroupRecord {
  return decodeGroupRecord(encodeGroupRecordKey(r), encodeGroupRecordValue(r));
}

const metadata: GroupMetadataValue = {
  protocolType: 'consumer',
  generation: 7,
  protocol: 'range',
  leader: 'c-1',
  currentStateTimestamp: 1_700_000_000_123,
  members: [
    { memberId: 'c-1', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300_000, sessionTimeout: 45_000, subscription: new Uint8Array([1, 2]), assignment: new Uint8Array([3]) },
    { memberId: 'i-2', groupInstanceId: 'i', clientId: 'c', clientHost: '', rebalanceTimeout: 1, sessionTimeout: 2, subscription: new Uint8Array(0), assignment: new Uint8Array(0) },
  ],
};

describe('partitionForGroup: Kafka’s Utils.abs(groupId.hashCode()) % n', () => {
  // Vectors computed from Java's definition (h = 31h + c over UTF-16 units, int32 overflow).
  it.each([
    ['', 50, 0],
    ['a', 50, 47],
    ['group', 50, 47],
    ['group', 7, 3],
    ['my-consumer-group', 50, 13],
    ['test-group-42', 50, 31], // hashCode -559024281: negative, so abs
    ['test-group-42', 7, 4],
    ['polygenelubricants', 50, 0], // hashCode is Integer.MIN_VALUE, and Utils.abs maps it to 0
    ['consumer-é😀', 50, 41], // a surrogate pair counts as two UTF-16 units
  ] as const)('%j over %d partitions is %d', (group, n, expected) => {
    expect(partitionForGroup(group, n)).toBe(expected);
  });
});

describe('group records: Kafka’s bytes', () => {
  it('an OffsetCommitKey v1 and OffsetCommitValue v3, byte for byte', () => {
    const r: GroupRecord = { type: 'OffsetCommit', key: { group: 'g', topic: 't', partition: 0 }, value: { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1, expireTimestamp: null } };
    expect(hex(encodeGroupRecordKey(r))).toBe('0001' + '000167' + '000174' + '00000000');
    expect(hex(encodeGroupRecordValue(r))).toBe('0003' + '000000000000002a' + '00000005' + '00016d' + '0000000000000001');
    expect(roundTrip(r)).toEqual(r);
  });

  it('an OffsetCommitValue with an expire timestamp is v1, and negative int64s survive', () => {
    const r: GroupRecord = { type: 'OffsetCommit', key: { group: 'g', topic: 't', partition: 3 }, value: { offset: -1, leaderEpoch: -1, metadata: '', commitTimestamp: 2, expireTimestamp: 3 } };
    expect(hex(encodeGroupRecordValue(r))).toBe('0001' + 'ffffffffffffffff' + '0000' + '0000000000000002' + '0000000000000003');
    expect(roundTrip(r)).toEqual(r);
  });

  it('a GroupMetadataKey v2 and a tombstone', () => {
    const r: GroupRecord = { type: 'GroupMetadata', key: { group: 'g' }, value: null };
    expect(hex(encodeGroupRecordKey(r))).toBe('0002' + '000167');
    expect(encodeGroupRecordValue(r)).toBeNull();
    expect(roundTrip(r)).toEqual(r);
  });

  it('a GroupMetadataValue v3 round-trips, members in order', () => {
    const r: GroupRecord = { type: 'GroupMetadata', key: { group: 'orders' }, value: metadata };
    expect(hex(encodeGroupRecordValue(r)).slice(0, 4)).toBe('0003');
    expect(roundTrip(r)).toEqual(r);
    const empty: GroupRecord = { type: 'GroupMetadata', key: { group: 'orders' }, value: { protocolType: 'consumer', generation: 8, protocol: null, leader: null, currentStateTimestamp: 9, members: [] } };
    expect(roundTrip(empty)).toEqual(empty);
  });

  it('reads the older versions Kafka wrote: OffsetCommitValue v0 and v2, GroupMetadataValue v0 to v2, OffsetCommitKey v0', () => {
    const key0 = bytes('0000 000167 000174 00000001');
    expect(decodeGroupRecord(key0, bytes('0000 0000000000000009 0000 0000000000000004'))).toEqual({
      type: 'OffsetCommit',
      key: { group: 'g', topic: 't', partition: 1 },
      value: { offset: 9, leaderEpoch: -1, metadata: '', commitTimestamp: 4, expireTimestamp: null },
    });
    expect(decodeGroupRecord(key0, bytes('0002 0000000000000009 0000 0000000000000004')).value).toMatchObject({ offset: 9, leaderEpoch: -1, expireTimestamp: null });
    // GroupMetadataValue v0: one member, no rebalance timeout (taken to be the session timeout).
    const member0 = '0001 61' + '0001 63' + '0000' + '00001388' + '00000001 01' + '00000000';
    const v0 = decodeGroupRecord(bytes('0002 000167'), bytes('0000 0008 636f6e73756d6572 00000002 0005 72616e6765 0001 61' + '00000001' + member0));
    expect(v0.value).toEqual({
      protocolType: 'consumer',
      generation: 2,
      protocol: 'range',
      leader: 'a',
      currentStateTimestamp: -1,
      members: [{ memberId: 'a', groupInstanceId: null, clientId: 'c', clientHost: '', rebalanceTimeout: 5000, sessionTimeout: 5000, subscription: new Uint8Array([1]), assignment: new Uint8Array(0) }],
    });
    const member1 = '0001 61' + '0001 63' + '0000' + '00002710' + '00001388' + '00000000' + '00000000';
    const v2 = decodeGroupRecord(bytes('0002 000167'), bytes('0002 0008 636f6e73756d6572 00000002 ffff ffff 000000000000000c' + '00000001' + member1));
    expect(v2.value).toMatchObject({ protocol: null, leader: null, currentStateTimestamp: 12, members: [{ rebalanceTimeout: 10000, sessionTimeout: 5000, groupInstanceId: null }] });
  });
});

describe('group records: bad input is CORRUPT_MESSAGE, never a crash', () => {
  const corrupt = (key: Uint8Array, value: Uint8Array | null): void => {
    let thrown: unknown;
    try {
      decodeGroupRecord(key, value);
    } catch (err) {
      thrown = err;
    }
    expect(isTributaryError(thrown, 'CORRUPT_MESSAGE'), String(thrown)).toBe(true);
  };
  const commit: GroupRecord = { type: 'OffsetCommit', key: { group: 'group', topic: 'topic', partition: 3 }, value: { offset: 100, leaderEpoch: 2, metadata: 'meta', commitTimestamp: 5, expireTimestamp: null } };
  const group: GroupRecord = { type: 'GroupMetadata', key: { group: 'group' }, value: metadata };

  it('every truncation of a key or a value', () => {
    for (const r of [commit, group]) {
      const key = encodeGroupRecordKey(r);
      const value = encodeGroupRecordValue(r)!;
      for (let n = 0; n < key.length; n++) corrupt(key.subarray(0, n), value);
      for (let n = 0; n < value.length; n++) corrupt(key, value.subarray(0, n));
    }
  });

  it('unknown versions, bytes left over, bad lengths, nulls where none may be, invalid UTF-8', () => {
    corrupt(bytes('0003 000167'), null); // a KIP-848 record key
    corrupt(bytes('ffff 000167'), null);
    corrupt(bytes('0002 000167 00'), null); // a byte left over
    corrupt(bytes('0002 ffff'), null); // null group
    corrupt(bytes('0002 fffe'), null); // length -2
    corrupt(bytes('0002 0001 ff'), null); // not UTF-8
    corrupt(bytes('0002 000167'), bytes('0004')); // a flexible version
    corrupt(bytes('0002 000167'), bytes('0003 0000 00000001 ffff ffff 0000000000000000 7fffffff')); // a count past the end
    corrupt(bytes('0002 000167'), bytes('0003 0000 00000001 ffff ffff 0000000000000000 ffffffff')); // a negative count
    corrupt(encodeGroupRecordKey(commit), bytes('0003 7fffffffffffffff 00000000 0000 0000000000000000')); // an offset beyond 2^53
  });

  it('random bytes never throw anything but CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.option(fc.uint8Array({ maxLength: 64 })), (key, value) => {
        try {
          decodeGroupRecord(key, value);
        } catch (err) {
          expect(isTributaryError(err, 'CORRUPT_MESSAGE')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random records round-trip', () => {
    const str = fc.string({ maxLength: 12 });
    const member = fc.record({
      memberId: str,
      groupInstanceId: fc.option(str),
      clientId: str,
      clientHost: str,
      rebalanceTimeout: fc.integer({ min: -1, max: 0x7fffffff }),
      sessionTimeout: fc.integer({ min: -1, max: 0x7fffffff }),
      subscription: fc.uint8Array({ maxLength: 16 }),
      assignment: fc.uint8Array({ maxLength: 16 }),
    });
    const record: fc.Arbitrary<GroupRecord> = fc.oneof(
      fc.record({
        type: fc.constant('OffsetCommit' as const),
        key: fc.record({ group: str, topic: str, partition: fc.integer({ min: 0, max: 0x7fffffff }) }),
        value: fc.option(fc.record({ offset: fc.maxSafeInteger(), leaderEpoch: fc.integer({ min: -1, max: 100 }), metadata: str, commitTimestamp: fc.maxSafeNat(), expireTimestamp: fc.constant(null) })),
      }),
      fc.record({
        type: fc.constant('GroupMetadata' as const),
        key: fc.record({ group: str }),
        value: fc.option(
          fc.record({ protocolType: str, generation: fc.integer({ min: 0, max: 0x7fffffff }), protocol: fc.option(str), leader: fc.option(str), currentStateTimestamp: fc.maxSafeNat(), members: fc.array(member, { maxLength: 4 }) }),
        ),
      }),
    );
    fc.assert(
      fc.property(record, (r) => {
        expect(roundTrip(r)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });
});
