import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroUuid } from '../../util/uuid.js';
import { AssertionError } from '../../util/assert.js';
import { TributaryError } from '../../util/errors.js';
import { ApiKey } from '../api-keys.js';
import type { ApiVersionsResponse, MetadataRequest, MetadataResponse } from '../cluster.js';
import type { Request, Response } from '../requests.js';
import { sampleRequests } from '../samples.js';
import { validateRequest } from '../validate.js';
import { advertisedApiVersions, decodeRequest, decodeResponse, encodeRequest, encodeResponse, encodeResponseChunks, servedApiVersions, wireApiVersions } from './codec.js';
import { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');

function thrown(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err;
    return err;
  }
  throw new Error('expected a TributaryError');
}

/** Runs `fn`; passes if it returns or throws a TributaryError, rethrows anything else (a RangeError, an AssertionError). */
function tributaryErrorOrValue<T>(fn: () => T): T | TributaryError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TributaryError) return err;
    throw err;
  }
}

describe('ByteReader and ByteWriter', () => {
  it('round-trip every primitive, classic and compact', () => {
    for (const flexible of [false, true]) {
      const w = new ByteWriter(4); // small, so it must grow
      w.int8(-128).int16(-2).int32(0x7fffffff).int64(-1).int64(2 ** 53 - 1).int64(-(2 ** 40) - 5).bool(true).bool(false);
      w.uuid('AAECAwQFBgcICQoLDA0ODw').unsignedVarint(0).unsignedVarint(300).unsignedVarint(0xffffffff);
      w.string(flexible, 'héllo').nullableString(flexible, null).bytes(flexible, new Uint8Array([1, 2])).nullableBytes(flexible, null);
      w.array(flexible, [1, -1], (w, n) => w.int32(n)).nullableArray(flexible, null, (w, n: number) => w.int32(n));
      w.taggedFields([[1, (w) => w.int32(7)], undefined, [5, (w) => w.string(true, 'x')]]);
      const r = new ByteReader(w.finish());
      expect([r.int8(), r.int16(), r.int32(), r.int64(), r.int64(), r.int64(), r.bool(), r.bool()]).toEqual([-128, -2, 0x7fffffff, -1, 2 ** 53 - 1, -(2 ** 40) - 5, true, false]);
      expect([r.uuid(), r.unsignedVarint(), r.unsignedVarint(), r.unsignedVarint()]).toEqual(['AAECAwQFBgcICQoLDA0ODw', 0, 300, 0xffffffff]);
      expect([r.string(flexible), r.nullableString(flexible), [...r.bytes(flexible)], r.nullableBytes(flexible)]).toEqual(['héllo', null, [1, 2], null]);
      expect([r.array(flexible, (r) => r.int32()), r.nullableArray(flexible, (r) => r.int32())]).toEqual([[1, -1], null]);
      const seen: [number, unknown][] = [];
      r.taggedFields((tag, r) => seen.push([tag, tag === 1 ? r.int32() : r.string(true)]));
      expect(seen).toEqual([
        [1, 7],
        [5, 'x'],
      ]);
      r.done();
    }
  });

  it('writes the exact bytes Kafka specifies', () => {
    const w = new ByteWriter();
    w.string(false, 'ab').string(true, 'ab').nullableString(true, null).nullableString(false, null).unsignedVarint(300).int64(-2);
    expect(hex(w.finish())).toBe('00026162' + '036162' + '00' + 'ffff' + 'ac02' + 'fffffffffffffffe');
  });

  it('refuses truncation, lengths past the end, long varints, unsafe int64s and bad UTF-8 with the reader’s code', () => {
    const cases: [string, (r: ByteReader) => unknown, string][] = [
      ['0001', (r) => r.int32(), 'an int32 needs 4 bytes, 2 left'],
      ['0005616263', (r) => r.string(false), 'a string needs 5 bytes, 3 left'],
      ['ffff', (r) => r.string(false), 'a null string where one is required'],
      ['fffe', (r) => r.nullableString(false), 'a string length of -2'],
      ['00', (r) => r.string(true), 'a null string where one is required'],
      ['7fffffff', (r) => r.bytes(false), 'bytes needs 2147483647 bytes, 0 left'],
      ['0fffffff00', (r) => r.array(false, (r) => r.int8()), 'an array of 268435455 items in 1 bytes'],
      ['ffffffffff01', (r) => r.unsignedVarint(), 'a varint longer than 5 bytes'],
      ['ffffffff7f', (r) => r.unsignedVarint(), 'an unsigned varint over 32 bits'],
      ['0020000000000000', (r) => r.int64(), 'an int64 outside the safe integer range'],
      ['8000000000000000', (r) => r.int64(), 'an int64 outside the safe integer range'],
      ['0002c328', (r) => r.string(false), 'a string that is not UTF-8'],
      ['01050500', (r) => r.taggedFields(), 'tagged field 5 needs 5 bytes, 1 left'],
      ['0201000100', (r) => r.taggedFields(), 'tagged field 1 after 1'],
      ['0101020000', (r) => r.taggedFields((_t, r) => r.int8()), '1 bytes left over after tagged field 1'],
    ];
    for (const [bytes, read, message] of cases) {
      const err = thrown(() => read(new ByteReader(unhex(bytes), 'CORRUPT_MESSAGE')));
      expect(err.code).toBe('CORRUPT_MESSAGE');
      expect(err.message).toContain(message);
    }
  });

  it('refuses out-of-range values on write as bugs', () => {
    expect(() => new ByteWriter().int16(40_000)).toThrow(AssertionError);
    expect(() => new ByteWriter().int64(2 ** 53)).toThrow(AssertionError);
    expect(() => new ByteWriter().string(false, 'x'.repeat(0x8000))).toThrow(AssertionError);
  });
});

describe('flexible versions, against bytes written by hand from Kafka’s schemas', () => {
  it('ApiVersions v3 request (header v2) and the response (header v0 always, tagged features)', () => {
    const frame = encodeRequest(
      { apiKey: ApiKey.ApiVersions, clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' },
      { apiVersion: 3, correlationId: 1, clientId: 'rdkafka' },
    );
    const body = `0012 0003 00000001 0007${ascii('rdkafka')} 00 0b${ascii('librdkafka')} 06${ascii('2.3.0')} 00`.replace(/\s/g, '');
    expect(hex(frame)).toBe((body.length / 2).toString(16).padStart(8, '0') + body);
    expect(decodeRequest(frame.subarray(4)).request).toEqual({ apiKey: ApiKey.ApiVersions, clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' });

    const response: ApiVersionsResponse = {
      apiKey: ApiKey.ApiVersions,
      errorCode: 'NONE',
      apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }],
      throttleTimeMs: 0,
      supportedFeatures: [{ name: 'kraft.version', minVersion: 0, maxVersion: 1 }],
      finalizedFeaturesEpoch: 5,
      finalizedFeatures: [],
    };
    const out = encodeResponse(response, { apiVersion: 3, correlationId: 1 });
    // header v0 (no tags) | error | apiKeys: 1 item | throttle | tags: 2 (tag 0: 1 feature; tag 1: epoch 5)
    const feature = `02 0e${ascii('kraft.version')} 0000 0001 00`.replace(/\s/g, '');
    const expected = `00000001 0000 02 0003 0000 000c 00 00000000 02 00 ${(feature.length / 2).toString(16).padStart(2, '0')}${feature} 01 08 0000000000000005`.replace(/\s/g, '');
    expect(hex(out.subarray(4))).toBe(expected);
    expect(decodeResponse(ApiKey.ApiVersions, 3, out.subarray(4)).response).toEqual({ ...response, zkMigrationReady: false });
  });

  it('Metadata v12 request and response', () => {
    const request: MetadataRequest = { apiKey: ApiKey.Metadata, topics: [{ topicId: zeroUuid, name: 'orders' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false };
    const frame = encodeRequest(request, { apiVersion: 12, correlationId: 2, clientId: null });
    expect(hex(frame.subarray(4))).toBe(`0003 000c 00000002 ffff 00 02 ${'00'.repeat(16)} 07${ascii('orders')} 00 01 00 00`.replace(/\s/g, ''));
    expect(decodeRequest(frame.subarray(4)).request).toEqual({ ...request, includeClusterAuthorizedOperations: false });

    const response: MetadataResponse = {
      apiKey: ApiKey.Metadata,
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [
        {
          errorCode: 'NONE',
          name: 'orders',
          topicId: 'AAECAwQFBgcICQoLDA0ODw',
          isInternal: false,
          partitions: [{ errorCode: 'NONE', partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
          topicAuthorizedOperations: -2147483648,
        },
      ],
      clusterAuthorizedOperations: -2147483648,
    };
    const out = encodeResponse(response, { apiVersion: 12, correlationId: 2 });
    const expected = [
      '00000002 00', // header v1
      '00000000', // throttle
      `02 00000001 0a${ascii('localhost')} 00002384 00 00`, // brokers
      `02${ascii('c')} 00000001`, // cluster id, controller id
      `02 0000 07${ascii('orders')} 000102030405060708090a0b0c0d0e0f 00`, // topic: error, name, id, internal
      '02 0000 00000000 00000001 00000005 02 00000001 02 00000001 01 00', // partition
      '80000000 00 00', // topic authorized operations, topic tags, body tags
    ].join('');
    expect(hex(out.subarray(4))).toBe(expected.replace(/\s/g, ''));
    expect(decodeResponse(ApiKey.Metadata, 12, out.subarray(4))).toEqual({ correlationId: 2, response });
  });
});

/**
 * A Metadata response the broker could send at `version`: authorized operations (not
 * ignorable in Kafka's schema) at their default where the version lacks them.
 */
function carryable(r: MetadataResponse, version: number): MetadataResponse {
  return {
    ...r,
    clusterAuthorizedOperations: version >= 8 && version <= 10 ? r.clusterAuthorizedOperations : -2147483648,
    topics: r.topics.map((t) => ({ ...t, topicAuthorizedOperations: version >= 8 ? t.topicAuthorizedOperations : -2147483648 })),
  };
}

/** What a Metadata response looks like after a trip through `version`: the fields it lacks at their defaults. */
function metadataResponseAt(r: MetadataResponse, version: number): MetadataResponse {
  return {
    apiKey: ApiKey.Metadata,
    throttleTimeMs: version >= 3 ? (r.throttleTimeMs ?? 0) : 0,
    brokers: r.brokers.map((b) => ({ ...b, rack: version >= 1 ? b.rack : null })),
    clusterId: version >= 2 ? r.clusterId : null,
    controllerId: version >= 1 ? r.controllerId : -1,
    topics: r.topics.map((t) => ({
      errorCode: t.errorCode,
      name: t.name,
      topicId: version >= 10 ? t.topicId : zeroUuid,
      isInternal: version >= 1 ? t.isInternal : false,
      partitions: t.partitions.map((p) => ({
        ...p,
        leaderEpoch: version >= 7 ? p.leaderEpoch : -1,
        offlineReplicas: version >= 5 ? p.offlineReplicas : [],
      })),
      topicAuthorizedOperations: version >= 8 ? t.topicAuthorizedOperations : -2147483648,
    })),
    clusterAuthorizedOperations: version >= 8 && version <= 10 ? (r.clusterAuthorizedOperations ?? -2147483648) : -2147483648,
  };
}

const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const name = fc.string({ maxLength: 20 });
const uuidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const w = new ByteWriter();
  w.raw(b);
  return new ByteReader(w.finish()).uuid();
});
const errorCode = fc.constantFrom('NONE' as const, 'LEADER_NOT_AVAILABLE' as const, 'UNKNOWN_TOPIC_OR_PARTITION' as const, 'TOPIC_AUTHORIZATION_FAILED' as const);
const metadataResponseArb: fc.Arbitrary<MetadataResponse> = fc.record({
  apiKey: fc.constant(ApiKey.Metadata),
  throttleTimeMs: fc.nat(),
  brokers: fc.array(fc.record({ nodeId: int32, host: name, port: int32, rack: fc.option(name, { nil: null }) }), { maxLength: 3 }),
  clusterId: fc.option(name, { nil: null }),
  controllerId: int32,
  topics: fc.array(
    fc.record({
      errorCode,
      name,
      topicId: uuidArb,
      isInternal: fc.boolean(),
      partitions: fc.array(
        fc.record({
          errorCode,
          partitionIndex: int32,
          leaderId: int32,
          leaderEpoch: int32,
          replicaNodes: fc.array(int32, { maxLength: 4 }),
          isrNodes: fc.array(int32, { maxLength: 4 }),
          offlineReplicas: fc.array(int32, { maxLength: 4 }),
        }),
        { maxLength: 3 },
      ),
      topicAuthorizedOperations: int32,
    }),
    { maxLength: 3 },
  ),
  clusterAuthorizedOperations: int32,
});

describe('round trips', () => {
  it('Metadata responses at every version keep what the version carries (property)', () => {
    fc.assert(
      fc.property(metadataResponseArb, fc.integer({ min: 0, max: 12 }), int32, (response, version, correlationId) => {
        const frame = encodeResponse(carryable(response, version), { apiVersion: version, correlationId });
        expect(new DataView(frame.buffer).getInt32(0)).toBe(frame.length - 4);
        const decoded = decodeResponse(ApiKey.Metadata, version, frame.subarray(4));
        expect(decoded.correlationId).toBe(correlationId);
        expect(decoded.response).toEqual(metadataResponseAt(response, version));
      }),
      { numRuns: 300 },
    );
  });

  it('Metadata requests at every version (property)', () => {
    const requestArb = fc.record({
      topics: fc.option(fc.array(fc.record({ topicId: uuidArb, name: fc.option(name, { nil: null }) }), { minLength: 1, maxLength: 4 }), { nil: null }),
      allowAutoTopicCreation: fc.boolean(),
      includeClusterAuthorizedOperations: fc.boolean(),
      includeTopicAuthorizedOperations: fc.boolean(),
    });
    fc.assert(
      fc.property(requestArb, fc.integer({ min: 0, max: 12 }), (fields, version) => {
        const request: MetadataRequest = { apiKey: ApiKey.Metadata, ...fields };
        const byIdOnly = request.topics !== null && request.topics.some((t) => t.name === null);
        // Kafka's rule: a field the version lacks must hold its default unless it is ignorable.
        const cannotCarry =
          (version < 10 && byIdOnly) ||
          (version < 4 && !request.allowAutoTopicCreation) ||
          ((version < 8 || version > 10) && request.includeClusterAuthorizedOperations === true) ||
          (version < 8 && request.includeTopicAuthorizedOperations === true);
        if (cannotCarry) {
          expect(thrown(() => encodeRequest(request, { apiVersion: version, correlationId: 0, clientId: 'c' })).code).toBe('UNSUPPORTED_VERSION');
          return;
        }
        const frame = encodeRequest(request, { apiVersion: version, correlationId: 0, clientId: 'c' });
        const { request: decoded } = decodeRequest(frame.subarray(4));
        expect(decoded).toEqual({
          apiKey: ApiKey.Metadata,
          topics: request.topics === null ? null : request.topics.map((t) => ({ name: t.name, topicId: version >= 10 ? t.topicId : zeroUuid })),
          allowAutoTopicCreation: version >= 4 ? request.allowAutoTopicCreation : true,
          includeClusterAuthorizedOperations: version >= 8 && version <= 10 ? request.includeClusterAuthorizedOperations : false,
          includeTopicAuthorizedOperations: version >= 8 ? request.includeTopicAuthorizedOperations : false,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('ApiVersions responses at every version', () => {
    const full: ApiVersionsResponse = {
      apiKey: ApiKey.ApiVersions,
      errorCode: 'NONE',
      apiKeys: wireApiVersions.map((v) => ({ ...v })),
      throttleTimeMs: 3,
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 20 }],
      finalizedFeaturesEpoch: 9,
      finalizedFeatures: [{ name: 'metadata.version', maxVersionLevel: 20, minVersionLevel: 20 }],
    };
    for (let version = 0; version <= 4; version++) {
      const decoded = decodeResponse(ApiKey.ApiVersions, version, encodeResponse(full, { apiVersion: version, correlationId: 5 }).subarray(4));
      expect(decoded.response).toEqual(
        version >= 3
          ? { ...full, zkMigrationReady: false }
          : { ...full, throttleTimeMs: version >= 1 ? 3 : 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false },
      );
    }
  });

  it('advertises the ranges of wire.md section 0, and serves Produce from v3 only', () => {
    const ranges = Object.fromEntries(advertisedApiVersions.map((a) => [a.apiKey, `${a.minVersion}-${a.maxVersion}`]));
    expect(ranges).toEqual({
      0: '0-9', 1: '4-12', 2: '1-7', 3: '0-12', 8: '2-8', 9: '1-8', 10: '0-4', 11: '0-7', 12: '0-4', 13: '0-5', 14: '0-5', 15: '0-5', 16: '0-4',
      17: '0-1', 18: '0-4', 19: '2-7', 20: '1-6', 21: '0-2', 22: '0-4', 23: '2-4', 29: '1-3', 30: '1-3', 31: '1-3', 32: '1-4', 33: '0-2', 35: '1-4', 36: '0-2', 37: '0-3', 42: '0-2', 44: '0-1',
      45: '0-0', 46: '0-0', 47: '0-0', 60: '0-1', 61: '0-0', 65: '0-0', 66: '0-1',
    });
    expect(wireApiVersions).toBe(advertisedApiVersions);
    expect(servedApiVersions.find((a) => a.apiKey === ApiKey.Produce)).toEqual({ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 9 });
    expect(servedApiVersions.filter((a) => a.apiKey !== ApiKey.Produce)).toEqual(advertisedApiVersions.filter((a) => a.apiKey !== ApiKey.Produce));
    for (const version of [0, 1, 2]) {
      const frame = unhex(`0000 000${version} 0000000b ffff 0001 00007530 00000000`);
      expect(thrown(() => decodeRequest(frame))).toMatchObject({ code: 'UNSUPPORTED_VERSION', message: `no wire codec for Produce v${version} (correlation id 11)` });
    }
  });
});

describe('versions the codec does not speak', () => {
  it('KIP-511: an ApiVersions request above v4 is answered in v0 with UNSUPPORTED_VERSION, and the client reads it as v0', () => {
    // A v5 request from a newer client: header v2, a body we do not parse.
    const message = unhex(`0012 0005 0000002a 0001${ascii('x')} 00 05${ascii('next')} 02${ascii('9')} 00 ff ff`);
    const decoded = decodeRequest(message);
    expect(decoded.versionSupported).toBe(false);
    expect(decoded.header).toEqual({ apiKey: ApiKey.ApiVersions, apiVersion: 5, correlationId: 42, clientId: 'x' });
    const answer: ApiVersionsResponse = { apiKey: ApiKey.ApiVersions, errorCode: 'UNSUPPORTED_VERSION', apiKeys: [...wireApiVersions], throttleTimeMs: 0 };
    const frame = encodeResponse(answer, { apiVersion: 0, correlationId: 42 });
    // The client asked for v3 and gets v0 bytes back; it must still read them.
    const read = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4));
    expect(read.correlationId).toBe(42);
    expect(read.response.errorCode).toBe('UNSUPPORTED_VERSION');
    expect(read.response.apiKeys).toEqual(wireApiVersions);
  });

  it('any other unknown API or version is UNSUPPORTED_VERSION, naming the correlation id', () => {
    const metadata13 = unhex(`0003 000d 00000007 ffff 00 00 01 00 00`);
    expect(thrown(() => decodeRequest(metadata13))).toMatchObject({ code: 'UNSUPPORTED_VERSION', message: 'no wire codec for Metadata v13 (correlation id 7)' });
    const produce = unhex(`0000 000a 00000008 ffff 00`);
    expect(thrown(() => decodeRequest(produce)).message).toBe('no wire codec for Produce v10 (correlation id 8)');
    const unknownApi = unhex(`03e7 0000 00000009 ffff`);
    expect(thrown(() => decodeRequest(unknownApi)).message).toBe('no wire codec for ApiKey(999) v0 (correlation id 9)');
    expect(thrown(() => encodeRequest(sampleRequests[ApiKey.Fetch], { apiVersion: 13, correlationId: 0, clientId: null })).code).toBe('UNSUPPORTED_VERSION');
    expect(thrown(() => encodeRequest(sampleRequests[ApiKey.Produce], { apiVersion: 2, correlationId: 0, clientId: null })).code).toBe('UNSUPPORTED_VERSION');
    expect(thrown(() => decodeResponse(ApiKey.Metadata, 13, new Uint8Array(8))).code).toBe('UNSUPPORTED_VERSION');
  });

  it('ignores bytes left over after a request, as Kafka does (librdkafka 2.0.2 sends some), but not a body cut short', () => {
    const frame = encodeRequest(sampleRequests[ApiKey.Metadata], { apiVersion: 12, correlationId: 1, clientId: null });
    const longer = new Uint8Array(frame.length - 4 + 3);
    longer.set(frame.subarray(4));
    expect(decodeRequest(longer).request).toEqual(decodeRequest(frame.subarray(4)).request);
    expect(thrown(() => decodeRequest(frame.subarray(4, frame.length - 1))).code).toBe('INVALID_REQUEST');
  });
});

/** Encoded frames (size prefix stripped) of sample requests and responses at every version the codecs speak. */
function sampleMessages(): { kind: 'request' | 'response'; apiKey: typeof ApiKey.Metadata | typeof ApiKey.ApiVersions; version: number; message: Uint8Array }[] {
  const metadataResponse = fc.sample(metadataResponseArb, { numRuns: 1, seed: 7 })[0]!;
  const apiVersionsResponse: ApiVersionsResponse = {
    apiKey: ApiKey.ApiVersions,
    errorCode: 'NONE',
    apiKeys: [...wireApiVersions],
    supportedFeatures: [{ name: 'f', minVersion: 0, maxVersion: 1 }],
  };
  const out: ReturnType<typeof sampleMessages> = [];
  for (let version = 0; version <= 12; version++) {
    const request: Request = version === 0 ? { ...sampleRequests[ApiKey.Metadata], topics: null } : sampleRequests[ApiKey.Metadata];
    out.push({ kind: 'request', apiKey: ApiKey.Metadata, version, message: encodeRequest(request, { apiVersion: version, correlationId: 3, clientId: 'c' }).subarray(4) });
    const response: Response = carryable(metadataResponse, version);
    out.push({ kind: 'response', apiKey: ApiKey.Metadata, version, message: encodeResponse(response, { apiVersion: version, correlationId: 3 }).subarray(4) });
  }
  for (let version = 0; version <= 4; version++) {
    out.push({ kind: 'request', apiKey: ApiKey.ApiVersions, version, message: encodeRequest(sampleRequests[ApiKey.ApiVersions], { apiVersion: version, correlationId: 3, clientId: 'c' }).subarray(4) });
    out.push({ kind: 'response', apiKey: ApiKey.ApiVersions, version, message: encodeResponse(apiVersionsResponse, { apiVersion: version, correlationId: 3 }).subarray(4) });
  }
  return out;
}

function decodeAny(kind: 'request' | 'response', apiKey: typeof ApiKey.Metadata | typeof ApiKey.ApiVersions, version: number, message: Uint8Array): unknown {
  if (kind === 'response') return decodeResponse(apiKey, version, message);
  const decoded = decodeRequest(message);
  // What decodes must also be a structurally valid request (or a TributaryError from the validator).
  return validateRequest(decoded.request);
}

describe('decoders never crash (fuzz)', () => {
  const messages = sampleMessages();

  it('every strict prefix of a valid message is a TributaryError', () => {
    for (const { kind, apiKey, version, message } of messages) {
      for (let cut = 0; cut < message.length; cut++) {
        const err = thrown(() => decodeAny(kind, apiKey, version, message.subarray(0, cut)));
        expect(err.code).toBe(kind === 'request' ? 'INVALID_REQUEST' : 'CORRUPT_MESSAGE');
      }
    }
  });

  it('random bytes after a valid header are a TributaryError or a valid value (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...messages), fc.uint8Array({ maxLength: 64 }), ({ kind, apiKey, version, message }, tail) => {
        // Keep the header (and a few body bytes) so the decoder gets past it into the body.
        const keep = Math.min(message.length, kind === 'request' ? 12 : 6);
        const mixed = new Uint8Array(keep + tail.length);
        mixed.set(message.subarray(0, keep));
        mixed.set(tail, keep);
        tributaryErrorOrValue(() => decodeAny(kind, apiKey, version, mixed));
      }),
      { numRuns: 3000 },
    );
  });

  it('valid messages with bytes flipped are a TributaryError or a valid value (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...messages),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        ({ kind, apiKey, version, message }, flips) => {
          const mutated = message.slice();
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          tributaryErrorOrValue(() => decodeAny(kind, apiKey, version, mutated));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('completely random bytes are a TributaryError or a valid value (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(...messages), (bytes, { kind, apiKey, version }) => {
        tributaryErrorOrValue(() => decodeAny(kind, apiKey, version, bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('zero-copy Fetch answers', () => {
  it('encodeResponseChunks gives the same bytes as encodeResponse, with large record batches passed by reference', () => {
    const big = new Uint8Array(10_000).map((_, i) => i & 0xff);
    const small = new Uint8Array([1, 2, 3]);
    const partition = (partitionIndex: number, records: Uint8Array | null) => ({
      partitionIndex,
      errorCode: 'NONE' as const,
      highWatermark: 10,
      lastStableOffset: 10,
      logStartOffset: 0,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records,
    });
    const response: Response = {
      apiKey: ApiKey.Fetch,
      errorCode: 'NONE',
      sessionId: 0,
      throttleTimeMs: 0,
      responses: [{ topic: 'orders', partitions: [partition(0, big), partition(1, small), partition(2, null), partition(3, big)] }],
    };
    for (const apiVersion of [4, 11, 12]) {
      const whole = encodeResponse(response, { apiVersion, correlationId: 5 });
      const chunks = encodeResponseChunks(response, { apiVersion, correlationId: 5 });
      expect(hex(Buffer.concat(chunks))).toBe(hex(whole));
      expect(chunks.filter((c) => c === big)).toHaveLength(2); // the log's bytes themselves, not copies
      expect(chunks).not.toContain(small); // small ones are cheaper to copy
      expect(new DataView(chunks[0]!.buffer, chunks[0]!.byteOffset).getInt32(0)).toBe(whole.length - 4);
    }
  });
});
