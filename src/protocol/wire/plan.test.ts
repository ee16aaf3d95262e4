/**
 * Schema-driven property tests of the interpreter, for every API, direction and version the
 * descriptions cover:
 * - a random valid message (generated from the description, test-side, with fast-check)
 *   encodes, decodes to the same values with every field the version lacks at its default,
 *   and re-encodes to the same bytes;
 * - truncated, mutated, length-lying and random inputs decode to a value or a typed
 *   `TributaryError` with the reader's code, never anything else (no RangeError, no hang,
 *   no allocation for a length the input does not hold).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../util/errors.js';
import { apiSpecs } from '../schema/index.js';
import { versionBounds, type MessageSpec } from '../schema/spec.js';
import { validateRequest } from '../validate.js';
import { decodeRequest, decodeResponse, isServed } from './codec.js';
import { requestHeaderVersion, responseHeaderVersion, writeRequestHeader, writeResponseHeader } from './header.js';
import { expected, structArb } from './message-arbitrary.js';
import { planFor } from './plan.js';
import { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';

type Obj = Record<string, unknown>;

interface Case {
  readonly spec: MessageSpec;
  readonly version: number;
  readonly label: string;
}

const cases: Case[] = [];
for (const api of Object.values(apiSpecs)) {
  for (const spec of [api.request, api.response] as MessageSpec[]) {
    const [low, high] = versionBounds(spec.validVersions)!;
    for (let version = low; version <= high; version++) cases.push({ spec, version, label: `${spec.apiKey} ${spec.type} v${version}` });
  }
}

function encode(c: Case, value: Obj): Uint8Array {
  const w = new ByteWriter();
  planFor(c.spec, c.version, c.label).write(w, value);
  return w.finish().slice();
}

function decode(c: Case, bytes: Uint8Array, code: 'INVALID_REQUEST' | 'CORRUPT_MESSAGE' = 'CORRUPT_MESSAGE'): Obj {
  const r = new ByteReader(bytes, code);
  const out = planFor(c.spec, c.version, c.label).read(r, {});
  r.done();
  return out;
}

/** Runs `fn`; passes if it returns or throws a TributaryError with `code`, rethrows anything else. */
function typedOnly(code: string, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof TributaryError && err.code === code) return;
    throw err;
  }
}

describe('every description, at every version, round-trips random valid messages', () => {
  it(`covers ${cases.length} (api, direction, version) cases`, () => {
    expect(cases.length).toBeGreaterThan(200);
  });

  for (const c of cases) {
    it(c.label, () => {
      fc.assert(
        fc.property(structArb(c.spec.fields, c.version), (value) => {
          const bytes = encode(c, value);
          const decoded = decode(c, bytes);
          expect(decoded).toEqual(expected(c.spec.fields, c.version, value));
          expect(Buffer.from(encode(c, decoded)).equals(Buffer.from(bytes))).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('malformed input is a typed error, never a crash', () => {
  const samples = cases.map((c) => ({ c, bytes: encode(c, fc.sample(structArb(c.spec.fields, c.version), { numRuns: 1, seed: 42 })[0]!) }));

  it('every truncation of a valid message', () => {
    for (const { c, bytes } of samples) {
      for (let cut = 0; cut < bytes.length; cut++) typedOnly('INVALID_REQUEST', () => decode(c, bytes.subarray(0, cut), 'INVALID_REQUEST'));
    }
  });

  it('bytes flipped, lengths that lie, huge counts (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x01, 0xfe)), { minLength: 1, maxLength: 4 }),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x7fffffff, 0x40000000, -2, 0x0fffffff)), { nil: undefined }),
        ({ c, bytes }, flips, lie) => {
          const m = bytes.slice();
          if (m.length === 0) return;
          for (const [at, v] of flips) m[at % m.length] = v;
          if (lie !== undefined && m.length >= 4) new DataView(m.buffer).setInt32(lie[0] % (m.length - 3), lie[1]);
          typedOnly('CORRUPT_MESSAGE', () => decode(c, m));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('random bytes (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.uint8Array({ maxLength: 64 }), (c, bytes) => typedOnly('CORRUPT_MESSAGE', () => decode(c, bytes))),
      { numRuns: 5000 },
    );
  });

  it('unknown tagged fields are skipped, known ones read', () => {
    const c = cases.find((x) => x.label === '1 response v12')!;
    const value = fc.sample(structArb(c.spec.fields, 12), { numRuns: 1, seed: 3 })[0]!;
    const bytes = encode(c, value);
    // The body's tagged fields are its last byte (0 fields): replace them with tag 9 (2 bytes) and tag 10 (0 bytes).
    expect(bytes[bytes.length - 1]).toBe(0);
    const withTags = new Uint8Array([...bytes.subarray(0, bytes.length - 1), 2, 9, 2, 0xab, 0xcd, 10, 0]);
    expect(decode(c, withTags)).toEqual(decode(c, bytes));
  });
});

describe('encoding refuses what a request version cannot carry, and drops it from a response', () => {
  it('a broker response holding fields the version lacks is written without them', () => {
    const listOffsets = apiSpecs[2].response;
    const w = new ByteWriter();
    const value = { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 'NONE', timestamp: -1, offset: 5, leaderEpoch: 7 }] }] };
    planFor(listOffsets, 2, 'ListOffsets response').write(w, value);
    const read = planFor(listOffsets, 2, 'ListOffsets response').read(new ByteReader(w.finish().slice(), 'CORRUPT_MESSAGE'), {});
    expect(read).toEqual({ ...value, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 'NONE', timestamp: -1, offset: 5, leaderEpoch: -1 }] }] });
  });

  it('a non-ignorable field the version lacks is UNSUPPORTED_VERSION; an ignorable one is dropped', () => {
    const fetch = apiSpecs[1].request;
    const w = new ByteWriter();
    const base = { replicaId: -1, maxWaitMs: 1, minBytes: 1, maxBytes: 1, isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1, lastFetchedEpoch: 4 }] }] };
    expect(() => planFor(fetch, 11, 'Fetch request').write(w, base)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    planFor(fetch, 11, 'Fetch request').write(new ByteWriter(), { ...base, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1, currentLeaderEpoch: 3 }] }] });
    planFor(fetch, 8, 'Fetch request').write(new ByteWriter(), { ...base, rackId: 'rack-a', topics: [] });
  });

  it('a null in a request field the version cannot make null is UNSUPPORTED_VERSION; a response writes it empty (Kafka does so for JoinGroup before v7)', () => {
    const join = apiSpecs[11];
    expect(() => planFor(join.request, 4, 'JoinGroup request').write(new ByteWriter(), { groupId: null, sessionTimeoutMs: 1, memberId: '', protocolType: 'consumer', protocols: [] })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    );
    const w = new ByteWriter();
    planFor(join.response, 6, 'JoinGroup response').write(w, { errorCode: 'UNKNOWN_MEMBER_ID', generationId: -1, protocolName: null, leader: '', memberId: '', members: [] });
    const r = new ByteReader(w.finish().slice(), 'CORRUPT_MESSAGE');
    expect(planFor(join.response, 6, 'JoinGroup response').read(r, {})).toMatchObject({ protocolName: '' });
  });
});

describe('through the codec (headers and adapters): random valid bodies decode, and validate, or fail typed', () => {
  const served = cases.filter((c) => isServed(c.spec.apiKey, c.version));
  for (const kind of ['request', 'response'] as const) {
    it(`every served ${kind} version (property)`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...served.filter((c) => c.spec.type === kind)).chain((c) => fc.tuple(fc.constant(c), structArb(c.spec.fields, c.version))),
          ([c, value]) => {
            const w = new ByteWriter();
            if (kind === 'request') writeRequestHeader(w, { apiKey: c.spec.apiKey, apiVersion: c.version, correlationId: 9, clientId: 'x' }, requestHeaderVersion(c.spec.apiKey, c.version));
            else writeResponseHeader(w, 9, responseHeaderVersion(c.spec.apiKey, c.version));
            planFor(c.spec, c.version, c.label).write(w, value);
            const message = w.finish().slice();
            if (kind === 'request') {
              try {
                validateRequest(decodeRequest(message).request);
              } catch (err) {
                // A random value may be out of a field's range (a negative partition): a typed refusal.
                if (!(err instanceof TributaryError)) throw err;
                expect(['INVALID_REQUEST', 'INVALID_REQUIRED_ACKS']).toContain(err.code);
              }
            } else {
              typedOnly('CORRUPT_MESSAGE', () => decodeResponse(c.spec.apiKey as never, c.version, message));
            }
          },
        ),
        { numRuns: 3000 },
      );
    });
  }
});
