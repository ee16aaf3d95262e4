import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { isTributaryError } from '../util/errors.js';
import {
  ApiKey,
  ConfigResourceType,
  decodeMetadataRecord,
  decodeMetadataRecords,
  encodeMetadataRecord,
  encodeMetadataRecords,
  metadataInt64Max,
  type MetadataRecord,
  type PartitionChangeRecord,
} from './records.js';
import { isUuid, metadataTopicId, randomUuid, uuidFromBytes, uuidToBytes, zeroUuid } from './uuid.js';

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const id = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const smallId = fc.integer({ min: 0, max: 200 });
const int64 = fc.integer({ min: -metadataInt64Max, max: metadataInt64Max });
const ids = fc.array(fc.oneof(smallId, id), { maxLength: 8 });
const text = fc.string({ unit: 'grapheme', maxLength: 40 });

const record: fc.Arbitrary<MetadataRecord> = fc.oneof(
  fc.record({
    apiKey: fc.constant(ApiKey.RegisterBroker),
    brokerId: id,
    incarnationId: uuid,
    brokerEpoch: int64,
    endpoints: fc.array(
      fc.record({ name: text, host: text, port: fc.integer({ min: 0, max: 65535 }), securityProtocol: int32 }),
      { maxLength: 3 },
    ),
    rack: fc.option(text, { nil: null }),
    fenced: fc.boolean(),
  }),
  fc.record({ apiKey: fc.constant(ApiKey.UnregisterBroker), brokerId: id, brokerEpoch: int64 }),
  fc.record({ apiKey: fc.constant(ApiKey.FenceBroker), brokerId: id, brokerEpoch: int64 }),
  fc.record({ apiKey: fc.constant(ApiKey.UnfenceBroker), brokerId: id, brokerEpoch: int64 }),
  fc.record({ apiKey: fc.constant(ApiKey.Topic), name: text, topicId: uuid }),
  fc.record({
    apiKey: fc.constant(ApiKey.Partition),
    topicId: uuid,
    partitionId: id,
    replicas: ids,
    isr: ids,
    leader: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    leaderEpoch: id,
    partitionEpoch: id,
    eligibleLeaderReplicas: fc.option(ids, { nil: null }),
    lastKnownElr: fc.option(ids, { nil: null }),
  }),
  fc.record(
    {
      apiKey: fc.constant(ApiKey.PartitionChange),
      topicId: uuid,
      partitionId: id,
      isr: ids,
      leader: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      replicas: ids,
      eligibleLeaderReplicas: fc.option(ids, { nil: null }),
      lastKnownElr: fc.option(ids, { nil: null }),
    },
    { requiredKeys: ['apiKey', 'topicId', 'partitionId'] },
  ) as fc.Arbitrary<PartitionChangeRecord>,
  fc.record({
    apiKey: fc.constant(ApiKey.Config),
    resourceType: fc.constantFrom(ConfigResourceType.Topic, ConfigResourceType.Broker),
    resourceName: text,
    name: text,
    value: fc.option(text, { nil: null }),
  }),
  fc.record({ apiKey: fc.constant(ApiKey.RemoveTopic), topicId: uuid }),
  fc.record({ apiKey: fc.constant(ApiKey.FeatureLevel), name: text, featureLevel: fc.integer({ min: 0, max: 0x7fff }) }),
  fc.record({ apiKey: fc.constant(ApiKey.ProducerIds), brokerId: id, brokerEpoch: int64, nextProducerId: fc.integer({ min: 0, max: metadataInt64Max }) }),
  fc.constant({ apiKey: ApiKey.NoOp } as const),
);

describe('Uuid', () => {
  it('prints 16 bytes as 22 base64url characters and parses them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = uuidFromBytes(bytes);
        expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(isUuid(id)).toBe(true);
        expect(uuidToBytes(id)).toEqual(bytes);
      }),
    );
  });

  it('prints like Kafka: Uuid(0, 1) is AAAAAAAAAAAAAAAAAAAAAQ', () => {
    const one = new Uint8Array(16);
    one[15] = 1;
    expect(uuidFromBytes(one)).toBe(metadataTopicId);
    expect(uuidFromBytes(new Uint8Array(16))).toBe(zeroUuid);
    const all = new Uint8Array(16).fill(0xff);
    expect(uuidFromBytes(all)).toBe('_____________________w');
  });

  it('rejects malformed text', () => {
    expect(isUuid('AAAAAAAAAAAAAAAAAAAAA')).toBe(false); // 21 characters
    expect(isUuid('AAAAAAAAAAAAAAAAAAAAA=')).toBe(false);
    expect(isUuid('AAAAAAAAAAAAAAAAAAAAAB')).toBe(false); // padding bits set
    expect(isUuid(42)).toBe(false);
  });

  it('randomUuid never returns a reserved id or one starting with "-"', () => {
    const rng = new Rng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomUuid(rng);
      expect(isUuid(id)).toBe(true);
      expect(id.startsWith('-')).toBe(false);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });
});

describe('metadata record codec', () => {
  it('round-trips every record type', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeMetadataRecord(encodeMetadataRecord(r))).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips lists of records', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (rs) => {
        expect(decodeMetadataRecords(encodeMetadataRecords(rs))).toEqual(rs);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a typical Partition record in 33 bytes', () => {
    const bytes = encodeMetadataRecord({
      apiKey: ApiKey.Partition,
      topicId: randomUuid(new Rng(1)),
      partitionId: 7,
      replicas: [1, 2, 3],
      isr: [1, 2, 3],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    });
    expect(bytes.length).toBe(33);
    expect(encodeMetadataRecord({ apiKey: ApiKey.NoOp }).length).toBe(3);
  });

  it('writes an absent PartitionChange field differently from an empty one', () => {
    const base = { apiKey: ApiKey.PartitionChange, topicId: zeroUuid, partitionId: 0 } as const;
    const absent = decodeMetadataRecord(encodeMetadataRecord(base)) as PartitionChangeRecord;
    const empty = decodeMetadataRecord(encodeMetadataRecord({ ...base, isr: [], eligibleLeaderReplicas: null })) as PartitionChangeRecord;
    expect('isr' in absent).toBe(false);
    expect('eligibleLeaderReplicas' in absent).toBe(false);
    expect(empty.isr).toEqual([]);
    expect(empty.eligibleLeaderReplicas).toBeNull();
  });

  const expectCorrupt = (bytes: Uint8Array, decode: (b: Uint8Array) => unknown = decodeMetadataRecord): void => {
    let thrown: unknown;
    try {
      decode(bytes);
    } catch (err) {
      thrown = err;
    }
    expect(isTributaryError(thrown, 'CORRUPT_MESSAGE'), String(thrown)).toBe(true);
  };

  it('reports an unknown apiKey, frame or version as CORRUPT_MESSAGE', () => {
    expectCorrupt(Uint8Array.of(1, 6, 0)); // 6 is not a record type here
    expectCorrupt(Uint8Array.of(1, 99, 0));
    expectCorrupt(Uint8Array.of(0, 20, 0)); // frame version 0
    expectCorrupt(Uint8Array.of(1, 20, 1)); // NoOp version 1
    expectCorrupt(new Uint8Array(0));
  });

  it('reports trailing bytes, bad booleans, bad UTF-8 and lying lengths as CORRUPT_MESSAGE', () => {
    expectCorrupt(Uint8Array.of(1, 20, 0, 0)); // a NoOp with a byte left over
    const topic = encodeMetadataRecord({ apiKey: ApiKey.Topic, name: 'ab', topicId: zeroUuid });
    const badUtf8 = topic.slice();
    badUtf8[4] = 0xff; // first byte of the name
    expectCorrupt(badUtf8);
    const longName = topic.slice();
    longName[3] = 0x7f; // name length far past the end
    expectCorrupt(longName);
    const register = encodeMetadataRecord({
      apiKey: ApiKey.RegisterBroker,
      brokerId: 1,
      incarnationId: zeroUuid,
      brokerEpoch: 5,
      endpoints: [],
      rack: null,
      fenced: true,
    });
    const badBool = register.slice();
    badBool[badBool.length - 1] = 2;
    expectCorrupt(badBool);
    // A replica count of 2^31 must not allocate: it is rejected before.
    expectCorrupt(Uint8Array.of(1, 3, 0, ...new Uint8Array(16), 0, 0x80, 0x80, 0x80, 0x80, 0x08));
    expectCorrupt(Uint8Array.of(0xff, 0xff), decodeMetadataRecords);
    expectCorrupt(Uint8Array.of(3, 1, 20, 0, 4, 1, 20), decodeMetadataRecords); // the second record is cut short
    expectCorrupt(Uint8Array.of(4, 1, 20, 0, 0), decodeMetadataRecords); // a NoOp with a byte left over inside its length
  });

  it('never throws anything but CORRUPT_MESSAGE on random bytes, truncations and bit flips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          const r = decodeMetadataRecord(bytes);
          // Whatever decodes is a well-formed record: it encodes, and decodes back to itself.
          expect(decodeMetadataRecord(encodeMetadataRecord(r))).toEqual(r);
        } catch (err) {
          expect(isTributaryError(err, 'CORRUPT_MESSAGE'), String(err)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(record, fc.nat(), fc.nat(7), (r, at, bit) => {
        const bytes = encodeMetadataRecord(r);
        const cut = bytes.subarray(0, at % bytes.length);
        const flipped = bytes.slice();
        flipped[at % bytes.length]! ^= 1 << bit;
        for (const b of [cut, flipped]) {
          try {
            decodeMetadataRecord(b);
          } catch (err) {
            expect(isTributaryError(err, 'CORRUPT_MESSAGE'), String(err)).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
