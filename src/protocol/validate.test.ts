import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { TributaryError } from '../util/errors.js';
import { ApiKey, apiVersions, type ApiKey as ApiKeyT } from './api-keys.js';
import type { FetchRequest, FetchResponse } from './fetch.js';
import type { HeartbeatResponse } from './group.js';
import type { Request, RequestOf, Response, ResponseFor, ResponseOf, Sender } from './requests.js';
import { sampleRequests } from './samples.js';
import { requestBytesMax, requestItemsMax, requestStringLengthMax, validateRequest, validateRequestOf } from './validate.js';

const allKeys = Object.values(ApiKey);

/** The error `fn` throws; fails the test when it returns. */
function thrown(fn: () => unknown): TributaryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    return err as TributaryError;
  }
  throw new Error('expected a TributaryError, but nothing was thrown');
}

/** A deep copy of `value` with the value at `path` replaced. */
function withAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? withAt(v, rest, replacement) : v));
  const obj = value as Record<string, unknown>;
  return { ...obj, [head!]: withAt(obj[head!], rest, replacement) };
}

/** Every path to a field (leaf or not) inside a plain value, arrays' elements included. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return out;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = [...prefix, k];
    out.push(p, ...pathsOf(v, p));
  }
  return out;
}

describe('validateRequest', () => {
  it('has a sample for every API, and every sample passes unchanged (the same object back)', () => {
    expect(Object.keys(sampleRequests).map(Number).sort((a, b) => a - b)).toEqual(allKeys.slice().sort((a, b) => a - b));
    expect(Object.keys(apiVersions).length).toBe(allKeys.length);
    for (const key of allKeys) {
      const req = sampleRequests[key];
      expect(validateRequest(req)).toBe(req);
    }
  });

  it('accepts requests with every optional field left out', () => {
    const minimal: Request[] = [
      { apiKey: ApiKey.Produce, acks: 1, timeoutMs: 0, topicData: [] },
      { apiKey: ApiKey.Fetch, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 0, isolationLevel: 0, topics: [] },
      { apiKey: ApiKey.Metadata, topics: null, allowAutoTopicCreation: false },
      { apiKey: ApiKey.ApiVersions },
      { apiKey: ApiKey.ListGroups },
      { apiKey: ApiKey.CreateTopics, topics: [{ name: 't' }], timeoutMs: 0 },
    ];
    for (const req of minimal) expect(validateRequest(req)).toBe(req);
  });

  it('refuses a negative partition, naming the field', () => {
    const bad = withAt(sampleRequests[ApiKey.Fetch], ['topics', 0, 'partitions', 0, 'partition'], -1);
    const err = thrown(() => validateRequest(bad));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toBe('invalid Fetch request: topics[0].partitions[0].partition: -1 is not a partition index (0 to 2147483647)');
  });

  it('uses Kafka specific codes where Kafka has one', () => {
    // acks 2 is an int16: Kafka answers it per partition (the broker's KafkaApis), not the whole request.
    expect(validateRequest({ ...sampleRequests[ApiKey.Produce], acks: 2 })).toMatchObject({ acks: 2 });
    const err = thrown(() => validateRequest({ ...sampleRequests[ApiKey.Produce], acks: 'all' }));
    expect(err.code).toBe('INVALID_REQUIRED_ACKS');
    expect(err.message).toContain('acks: "all" is not an int16');
  });

  it('refuses wrong types, missing fields and out-of-range integers', () => {
    const cases: [unknown, string][] = [
      [null, 'a request must be an object, not null'],
      [[], 'a request must be an object, not an array'],
      [new Uint8Array(4), 'a request must be an object, not bytes'],
      [{ apiKey: 999 }, 'apiKey 999 is not an API Tributary speaks'],
      [{ apiKey: '3' }, 'apiKey "3" is not an API Tributary speaks'],
      [{ ...sampleRequests[ApiKey.Metadata], allowAutoTopicCreation: 'yes' }, 'allowAutoTopicCreation: "yes" is not a boolean'],
      [{ ...sampleRequests[ApiKey.Produce], timeoutMs: undefined }, 'timeoutMs: missing is not a timeout in ms'],
      [{ ...sampleRequests[ApiKey.Produce], timeoutMs: 1.5 }, 'timeoutMs: 1.5 is not a timeout in ms'],
      [{ ...sampleRequests[ApiKey.Produce], topicData: {} }, 'topicData: an object is not an array'],
      [withAt(sampleRequests[ApiKey.Produce], ['topicData', 0, 'partitionData', 0, 'records'], [1, 2]), 'records: an array is not a Uint8Array'],
      [withAt(sampleRequests[ApiKey.Fetch], ['topics', 0, 'partitions', 0, 'fetchOffset'], 2 ** 53), 'is not a safe int64'],
      [{ ...sampleRequests[ApiKey.Fetch], isolationLevel: 2 }, 'isolationLevel: 2 is not one of 0, 1'],
      // Any integer is a ListOffsets target (Kafka answers -3, -4, -5 and refuses none); a fraction is not.
      [withAt(sampleRequests[ApiKey.ListOffsets], ['topics', 0, 'partitions', 0, 'timestamp'], 1.5), 'timestamp: 1.5 is not a timestamp'],
      [withAt(sampleRequests[ApiKey.CreateTopics], ['topics', 0, 'replicationFactor'], 40_000), 'replicationFactor: 40000 is not an int16'],
      [withAt(sampleRequests[ApiKey.Metadata], ['topics', 0, 'topicId'], 'not-a-uuid'), 'topicId: "not-a-uuid" is not a Uuid'],
      [{ ...sampleRequests[ApiKey.FindCoordinator], keyType: 2 }, 'keyType: 2 is not one of 0, 1'],
      [withAt(sampleRequests[ApiKey.IncrementalAlterConfigs], ['resources', 0, 'configs', 0, 'configOperation'], 'set'), 'is not one of "SET"'],
      [{ ...sampleRequests[ApiKey.Heartbeat], apiKey: ApiKey.Fetch }, 'invalid Fetch request: replicaId: missing'],
      [{ ...sampleRequests[ApiKey.Heartbeat], memberId: 7n }, 'memberId: 7 is not a string'],
    ];
    for (const [value, message] of cases) {
      const err = thrown(() => validateRequest(value));
      expect(err.code).toBe('INVALID_REQUEST');
      expect(err.message).toContain(message);
    }
  });

  it('refuses absurd sizes: strings, arrays and bytes over their named maxima', () => {
    const long = 'x'.repeat(requestStringLengthMax + 1);
    expect(thrown(() => validateRequest({ ...sampleRequests[ApiKey.DeleteGroups], groupsNames: [long] })).message).toContain(
      `groupsNames[0]: a string of ${requestStringLengthMax + 1} characters is longer than ${requestStringLengthMax}`,
    );
    expect(validateRequest({ ...sampleRequests[ApiKey.DeleteGroups], groupsNames: ['x'.repeat(requestStringLengthMax)] })).toBeTruthy();
    // A sparse array of the right length costs nothing to build; the length check comes first.
    const huge = new Array<string>(requestItemsMax + 1);
    expect(thrown(() => validateRequest({ ...sampleRequests[ApiKey.DeleteGroups], groupsNames: huge })).message).toContain(
      `groupsNames: an array of ${requestItemsMax + 1} items is longer than ${requestItemsMax}`,
    );
    // A holey array fails at its first hole.
    expect(thrown(() => validateRequest({ ...sampleRequests[ApiKey.DeleteGroups], groupsNames: new Array<string>(3) })).message).toContain(
      'groupsNames[0]: missing is not a string',
    );
    const big = new Uint8Array(requestBytesMax + 1);
    const produce = withAt(sampleRequests[ApiKey.Produce], ['topicData', 0, 'partitionData', 0, 'records'], big);
    expect(thrown(() => validateRequest(produce)).message).toContain(`${requestBytesMax + 1} bytes is more than ${requestBytesMax}`);
  });

  it('turns a hostile object (a throwing getter) into INVALID_REQUEST', () => {
    const hostile = {
      apiKey: ApiKey.Heartbeat,
      get groupId(): string {
        throw new RangeError('boom');
      },
    };
    const err = thrown(() => validateRequest(hostile));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.cause).toBeInstanceOf(RangeError);
  });

  it('validateRequestOf also checks the API', () => {
    expect(validateRequestOf(ApiKey.Heartbeat, sampleRequests[ApiKey.Heartbeat]).groupId).toBe('billing');
    expect(thrown(() => validateRequestOf(ApiKey.Fetch, sampleRequests[ApiKey.Heartbeat])).message).toBe('expected a Fetch request, got Heartbeat');
  });

  it('throws only TributaryErrors for any value at all (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ apiKey: fc.constantFrom(...allKeys) }, { requiredKeys: [] })), (value) => {
        try {
          validateRequest(value);
        } catch (err) {
          expect(err).toBeInstanceOf(TributaryError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a sample with any one field replaced by a random value passes only if the value fits the type (property)', () => {
    const cases = allKeys.flatMap((key) => pathsOf(sampleRequests[key]).map((path) => ({ key, path })));
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.oneof(fc.anything(), fc.integer({ min: -5, max: 5 }), fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 4 })),
        ({ key, path }, replacement) => {
          const mutated = withAt(sampleRequests[key], path, replacement);
          let ok = true;
          try {
            validateRequest(mutated);
          } catch (err) {
            expect(err).toBeInstanceOf(TributaryError);
            ok = false;
          }
          // What passed must at least be the same API with its structure intact, unless the
          // replacement named another API whose request needs none of the sample's fields
          // (ListGroups: a Produce sample with apiKey 16 is a valid ListGroups request).
          const renamed = path.length === 1 && path[0] === 'apiKey' && (allKeys as readonly unknown[]).includes(replacement);
          if (ok && !renamed) expect((mutated as Request).apiKey).toBe(key);
          // A replacement of a different JavaScript type never passes (except null/undefined, allowed by nullable and optional fields).
          const original = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], sampleRequests[key]);
          const kind = (v: unknown): string => (v instanceof Uint8Array ? 'bytes' : Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
          if (ok && replacement !== null && replacement !== undefined && original !== null) expect(kind(replacement)).toBe(kind(original));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('request and response types', () => {
  it('map each API key to its request and response', () => {
    expectTypeOf<RequestOf<typeof ApiKey.Fetch>>().toEqualTypeOf<FetchRequest>();
    expectTypeOf<ResponseOf<typeof ApiKey.Fetch>>().toEqualTypeOf<FetchResponse>();
    expectTypeOf<ResponseFor<FetchRequest>>().toEqualTypeOf<FetchResponse>();
    expectTypeOf<Request['apiKey']>().toEqualTypeOf<ApiKeyT>();
    expectTypeOf<Response['apiKey']>().toEqualTypeOf<ApiKeyT>();
  });

  it('let a transport be typed end to end', async () => {
    // A toy sender that answers Heartbeat only; the point is that the types line up.
    const sender: Sender = {
      send<R extends Request>(request: R): Promise<ResponseFor<R>> {
        if (request.apiKey !== ApiKey.Heartbeat) return Promise.reject(new TributaryError('UNSUPPORTED_VERSION'));
        const response: ResponseOf<typeof ApiKey.Heartbeat> = { apiKey: ApiKey.Heartbeat, errorCode: 'REBALANCE_IN_PROGRESS' };
        return Promise.resolve(response as ResponseFor<R>);
      },
    };
    const response = await sender.send(sampleRequests[ApiKey.Heartbeat]);
    expectTypeOf(response).toEqualTypeOf<HeartbeatResponse>();
    const viaRequestOf = await sender.send<RequestOf<typeof ApiKey.Fetch>>(sampleRequests[ApiKey.Fetch]).catch(() => undefined);
    expectTypeOf(viaRequestOf).toEqualTypeOf<FetchResponse | undefined>();
    expect(response.errorCode).toBe('REBALANCE_IN_PROGRESS');
    // Narrowing a Request by its apiKey gives the specific type.
    const r: Request = sampleRequests[ApiKey.Fetch];
    if (r.apiKey === ApiKey.Fetch) expectTypeOf(r).toEqualTypeOf<FetchRequest>();
    await expect(sender.send(sampleRequests[ApiKey.Fetch])).rejects.toBeInstanceOf(TributaryError);
  });
});
