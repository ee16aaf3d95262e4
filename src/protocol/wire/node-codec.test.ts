import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../util/errors.js';
import { expected, structArb } from './message-arbitrary.js';
import { decodeNodeRequest, decodeNodeResponse, encodeNodeRequest, encodeNodeResponse, isNodeApi, nodeApiSpecs, nodeApiVersions, type NodeApiKey } from './node-codec.js';



const keys = Object.keys(nodeApiSpecs).map(Number) as NodeApiKey[];
const cases = keys.flatMap((apiKey) => nodeApiVersions(apiKey).map((version) => ({ apiKey, version, label: `${apiKey} v${version}` })));

/** Passes if `fn` returns or throws a TributaryError with one of `codes`; anything else fails the test. */
function typedOnly(codes: readonly string[], fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof TributaryError && codes.includes(err.code)) return;
    throw err;
  }
}

describe('node messages round-trip at every version served', () => {
  it('serves every node API Kafka names for the boundaries, at the versions KRaft sends', () => {
    expect(keys.sort((a, b) => a - b)).toEqual([1, 4, 52, 53, 56, 58, 59, 62, 63, 67]);
    expect(isNodeApi(1, 17)).toBe(true);
    expect(isNodeApi(1, 12)).toBe(false); // a client's Fetch: the client codec's
    expect(isNodeApi(-102, 0)).toBe(false);
  });

  for (const c of cases) {
    it(`${c.label} request and response`, () => {
      const { request, response } = nodeApiSpecs[c.apiKey];
      fc.assert(
        fc.property(structArb(request.fields, c.version), fc.integer({ min: -0x80000000, max: 0x7fffffff }), (body, correlationId) => {
          const frame = encodeNodeRequest(c.apiKey, c.version, body as never, correlationId, 'node-1');
          const decoded = decodeNodeRequest(frame);
          expect(decoded.header).toEqual({ apiKey: c.apiKey, apiVersion: c.version, correlationId, clientId: 'node-1' });
          expect(decoded.body).toEqual(expected(request.fields, c.version, body));
          expect(Buffer.from(encodeNodeRequest(c.apiKey, c.version, decoded.body as never, correlationId, 'node-1')).equals(Buffer.from(frame))).toBe(true);
        }),
        { numRuns: 20 },
      );
      fc.assert(
        fc.property(structArb(response.fields, c.version), (body) => {
          const frame = encodeNodeResponse(c.apiKey, c.version, body as never, 7);
          const decoded = decodeNodeResponse(c.apiKey, c.version, frame);
          expect(decoded.correlationId).toBe(7);
          expect(decoded.body).toEqual(expected(response.fields, c.version, body));
        }),
        { numRuns: 20 },
      );
    });
  }

  it("writes Kafka's bytes: a Vote v1 request assembled by hand from VoteRequest.json", () => {
    const frame = encodeNodeRequest(52, 1, {
      clusterId: 'c',
      voterId: 2,
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, candidateEpoch: 5, candidateId: 1, lastOffsetEpoch: 4, lastOffset: 9 }] }],
    }, 3, 'x');
    const topic = [...Buffer.from('__cluster_metadata')];
    const zeroUuid = new Array<number>(16).fill(0);
    const expectedBytes = [
      0, 52, 0, 1, 0, 0, 0, 3, 0, 1, 0x78, 0, // header v2: api key, version, correlation id, client id 'x' (int16 length), no tags
      2, 0x63, // ClusterId 'c' (compact nullable string)
      0, 0, 0, 2, // VoterId
      2, // Topics: 1 (compact array)
      19, ...topic, // TopicName (compact string)
      2, // Partitions: 1
      0, 0, 0, 0, // PartitionIndex
      0, 0, 0, 5, // CandidateEpoch
      0, 0, 0, 1, // CandidateId
      ...zeroUuid, // CandidateDirectoryId
      ...zeroUuid, // VoterDirectoryId
      0, 0, 0, 4, // LastOffsetEpoch
      0, 0, 0, 0, 0, 0, 0, 9, // LastOffset
      0, // partition tags (preVote false: absent)
      0, // topic tags
      0, // body tags
    ];
    expect([...frame]).toEqual(expectedBytes);
  });
});

describe('a garbage node message is a typed error, never a crash', () => {
  const samples = cases.map((c) => ({ c, bytes: encodeNodeRequest(c.apiKey, c.version, fc.sample(structArb(nodeApiSpecs[c.apiKey].request.fields, c.version), { numRuns: 1, seed: 11 })[0]! as never) }));

  it('every truncation of a valid request', () => {
    for (const { bytes } of samples) for (let cut = 0; cut < bytes.length; cut++) typedOnly(['INVALID_REQUEST'], () => decodeNodeRequest(bytes.subarray(0, cut)));
  });

  it('bytes flipped, lengths that lie (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x01)), { minLength: 1, maxLength: 4 }), ({ bytes }, flips) => {
        const m = bytes.slice();
        for (const [at, v] of flips) m[at % m.length] = v;
        typedOnly(['INVALID_REQUEST', 'UNSUPPORTED_VERSION'], () => decodeNodeRequest(m));
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes, as a request and as every response (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(...cases), (bytes, c) => {
        typedOnly(['INVALID_REQUEST', 'UNSUPPORTED_VERSION'], () => decodeNodeRequest(bytes));
        typedOnly(['CORRUPT_MESSAGE'], () => decodeNodeResponse(c.apiKey, c.version, bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('an API or version not served is UNSUPPORTED_VERSION', () => {
    const vote = encodeNodeRequest(52, 1, {});
    const v9 = vote.slice();
    v9[3] = 9;
    expect(() => decodeNodeRequest(v9)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    const client = vote.slice();
    client[1] = 3; // Metadata: a client's API, not a node's
    expect(() => decodeNodeRequest(client)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    expect(() => encodeNodeRequest(52, 5, {})).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });
});


