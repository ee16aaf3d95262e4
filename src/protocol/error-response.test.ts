/**
 * The error answers the listener gives a request the broker refused whole: each one
 * encodes at every version the codec serves, and reads back with the error's code where
 * that version has an error field.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from './api-keys.js';
import { errorResponse, errorResponseApis } from './error-response.js';
import type { Request } from './requests.js';
import { sampleRequests } from './samples.js';
import { decodeResponse, encodeResponse, servedApiVersions } from './wire/codec.js';

/** Every `errorCode` in a decoded answer. */
function errorCodes(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'errorCode' && typeof v === 'string') out.push(v);
      else errorCodes(v, out);
    }
  }
  return out;
}

describe('errorResponse', () => {
  for (const apiKey of errorResponseApis) {
    const name = Object.entries(ApiKey).find(([, k]) => k === apiKey)![0];
    it(`${name}: encodes at every served version, and carries the error`, () => {
      const request = sampleRequests[apiKey as ApiKey] as Request;
      const api = apiKey as ApiKey;
      const answer = errorResponse(request, 'NOT_COORDINATOR', 'the coordinator moved')!;
      expect(answer.apiKey).toBe(apiKey);
      const range = servedApiVersions.find((a) => a.apiKey === apiKey)!;
      for (let v = range.minVersion; v <= range.maxVersion; v++) {
        const frame = encodeResponse(answer, { apiVersion: v, correlationId: 7, request });
        const back = decodeResponse(api, v, frame.subarray(4)).response;
        const codes = errorCodes(back).filter((c) => c !== 'NONE');
        // Every error field says it (Fetch at the top too, as Kafka's `FetchRequest.getErrorResponse`).
        expect(codes.length, `${name} v${v}`).toBeGreaterThan(0);
        expect(new Set(codes), `${name} v${v}`).toEqual(new Set(['NOT_COORDINATOR']));
      }
    });
  }

  it('OffsetFetch v8 with several groups: each group carries the error, none of its topics', () => {
    const request: Request = { apiKey: ApiKey.OffsetFetch, groupId: 'a', topics: null, groups: [{ groupId: 'a', topics: null }, { groupId: 'b', topics: [{ name: 't', partitionIndexes: [0] }] }] };
    const answer = errorResponse(request, 'NOT_COORDINATOR', 'moved')!;
    const frame = encodeResponse(answer, { apiVersion: 8, correlationId: 7, request });
    const back = decodeResponse(ApiKey.OffsetFetch, 8, frame.subarray(4)).response as { groups?: unknown };
    expect(back.groups).toEqual([
      { groupId: 'a', topics: [], errorCode: 'NOT_COORDINATOR' },
      { groupId: 'b', topics: [], errorCode: 'NOT_COORDINATOR' },
    ]);
    // An older version cannot carry several groups: the encoder refuses, never drops one.
    expect(() => encodeResponse(answer, { apiVersion: 7, correlationId: 7, request })).toThrow(/several groups/);
  });

  it('a request of any shape gets an answer, and a Tributary-only code goes out as UNKNOWN_SERVER_ERROR', () => {
    const broken = { apiKey: ApiKey.Produce, acks: 2, topicData: 'nonsense' } as unknown as Request;
    expect(errorResponse(broken, 'INVALID_REQUIRED_ACKS', 'acks 2')).toMatchObject({ apiKey: ApiKey.Produce, responses: [] });
    const heartbeat = errorResponse(sampleRequests[ApiKey.Heartbeat], 'CLIENT_CLOSED', 'x');
    expect(heartbeat).toMatchObject({ errorCode: 'UNKNOWN_SERVER_ERROR' });
    expect(errorResponse(sampleRequests[ApiKey.ApiVersions], 'INVALID_REQUEST', 'x')).toBeUndefined();
  });
});
