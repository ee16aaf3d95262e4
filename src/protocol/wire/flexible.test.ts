/**
 * Flexible versions (KIP-482) against bytes written out by hand, field by field, from
 * Kafka's message definitions (`ProduceRequest.json` v9, `FetchResponse.json` v12, ...) and
 * the protocol guide's primitive types, not produced by the codec: request header v2,
 * response header v1, compact strings, arrays and bytes (unsigned varint of length + 1, 0
 * for null), and tagged fields (count, then tag, size, value), including a tagged struct
 * that carries its own (empty) tag section. The messages are the flexible versions the
 * clients in wire.md actually send: Produce v9 and Fetch v12 (librdkafka 2.12+),
 * OffsetFetch v8 and FindCoordinator v4 (@platformatic/kafka), JoinGroup v6, SaslAuthenticate v2.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../api-keys.js';
import type { FetchRequest, FetchResponse } from '../fetch.js';
import type { FindCoordinatorResponse, JoinGroupRequest, OffsetFetchRequest, OffsetFetchResponse } from '../group.js';
import type { ProduceRequest, ProduceResponse } from '../produce.js';
import type { Request, Response } from '../requests.js';
import type { SaslAuthenticateResponse } from '../sasl.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './codec.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): string => Buffer.from(s, 'ascii').toString('hex');
const clean = (s: string): string => s.replace(/\s+/g, '');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(clean(s), 'hex'));

/** Encodes `request` and compares with `body` (the message after the size); decodes `body` back to `decoded`. */
function checkRequest(request: Request, version: number, correlationId: number, body: string, decoded: Request = request): void {
  const frame = encodeRequest(request, { apiVersion: version, correlationId, clientId: null });
  expect(hex(frame.subarray(4))).toBe(clean(body));
  expect(new DataView(frame.buffer).getInt32(0)).toBe(clean(body).length / 2);
  expect(decodeRequest(unhex(body)).request).toEqual(decoded);
}

function checkResponse(response: Response, version: number, correlationId: number, body: string, decoded: Response = response, request?: Request): void {
  const frame = encodeResponse(response, { apiVersion: version, correlationId, ...(request ? { request } : {}) });
  expect(hex(frame.subarray(4))).toBe(clean(body));
  expect(decodeResponse(response.apiKey, version, unhex(body))).toEqual({ correlationId, response: decoded });
}

const orders = `07${ascii('orders')}`;

describe('flexible versions against hand-written bytes', () => {
  it('Produce v9 request and response', () => {
    const request: ProduceRequest = { apiKey: ApiKey.Produce, transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: new Uint8Array([0xaa, 0xbb, 0xcc]) }] }] };
    checkRequest(
      request,
      9,
      1,
      `0000 0009 00000001 ffff 00` + // header v2: key, version, correlation id, null client id (int16 length), no tags
        `00 ffff 00007530` + // transactionalId null, acks -1, timeoutMs 30000
        `02 ${orders} 02 00000000 04aabbcc 00 00` + // 1 topic, 1 partition: index 0, 3 record bytes, partition tags, topic tags
        `00`, // body tags
    );
    const response: ProduceResponse = {
      apiKey: ApiKey.Produce,
      responses: [{ name: 'orders', partitionResponses: [{ index: 0, errorCode: 'NONE', baseOffset: 42, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }],
      throttleTimeMs: 0,
    };
    checkResponse(
      response,
      9,
      1,
      `00000001 00` + // header v1
        `02 ${orders} 02 00000000 0000 000000000000002a ffffffffffffffff 0000000000000000 01 00 00 00` + // index, error, baseOffset 42, logAppendTime -1, logStartOffset 0, no record errors, null message, tags x2
        `00000000 00`, // throttle, body tags
    );
  });

  it('Fetch v12 request, and a response with a tagged divergingEpoch', () => {
    const request: FetchRequest = {
      apiKey: ApiKey.Fetch,
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 5, fetchOffset: 100, lastFetchedEpoch: 4, logStartOffset: -1, partitionMaxBytes: 65536 }] }],
      forgottenTopicsData: [],
      rackId: '',
      clusterId: null,
    };
    checkRequest(
      request,
      12,
      2,
      `0001 000c 00000002 ffff 00` +
        `ffffffff 000001f4 00000001 00100000 01 00000000 ffffffff` + // replica, maxWait 500, minBytes 1, maxBytes 1 MiB, read_committed, session 0, epoch -1
        `02 ${orders} 02 00000000 00000005 0000000000000064 00000004 ffffffffffffffff 00010000 00 00` + // partition 0, leader epoch 5, offset 100, last fetched epoch 4, log start -1, 64 KiB
        `01 01` + // no forgotten topics, rack ''
        `00`, // no tags (clusterId null is the default)
    );
    const response: FetchResponse = {
      apiKey: ApiKey.Fetch,
      throttleTimeMs: 0,
      errorCode: 'NONE',
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 'NONE',
              highWatermark: 200,
              lastStableOffset: 200,
              logStartOffset: 0,
              divergingEpoch: { epoch: 3, endOffset: 80 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: new Uint8Array([1, 2, 3]),
            },
          ],
        },
      ],
    };
    checkResponse(
      response,
      12,
      2,
      `00000002 00` +
        `00000000 0000 00000000` + // throttle, error, session
        `02 ${orders} 02 00000000 0000 00000000000000c8 00000000000000c8 0000000000000000 00 ffffffff 04010203` + // ..., aborted null, preferred -1, 3 record bytes
        `01 00 0d 00000003 0000000000000050 00` + // 1 tag: tag 0, 13 bytes: epoch 3, end offset 80, the struct's own empty tags
        `00 00`, // topic tags, body tags
    );
  });

  it('OffsetFetch v8 request and response (one group, batched form)', () => {
    const request: OffsetFetchRequest = { apiKey: ApiKey.OffsetFetch, groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }], requireStable: false };
    checkRequest(request, 8, 3, `0009 0008 00000003 ffff 00` + `02 02${ascii('g')} 02 ${orders} 03 00000000 00000001 00 00` + `00 00`);
    const response: OffsetFetchResponse = {
      apiKey: ApiKey.OffsetFetch,
      throttleTimeMs: 0,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: -1, metadata: '', errorCode: 'NONE' }] }],
      errorCode: 'NONE',
    };
    checkResponse(
      response,
      8,
      3,
      `00000003 00 00000000` + `02 02${ascii('g')} 02 ${orders} 02 00000000 000000000000000a ffffffff 01 0000 00 00 0000 00` + `00`,
      response,
      request,
    );
  });

  it('FindCoordinator v4 request and response', () => {
    checkRequest({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: ['g'] }, 4, 4, `000a 0004 00000004 ffff 00` + `00 02 02${ascii('g')} 00`);
    const response: FindCoordinatorResponse = {
      apiKey: ApiKey.FindCoordinator,
      throttleTimeMs: 0,
      coordinators: [{ key: 'g', nodeId: 1, host: '127.0.0.1', port: 9092, errorCode: 'NONE', errorMessage: null }],
    };
    checkResponse(response, 4, 4, `00000004 00 00000000` + `02 02${ascii('g')} 00000001 0a${ascii('127.0.0.1')} 00002384 0000 00 00` + `00`);
  });

  it('JoinGroup v6 request', () => {
    const request: JoinGroupRequest = {
      apiKey: ApiKey.JoinGroup,
      groupId: 'g',
      sessionTimeoutMs: 30000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: new Uint8Array([0, 1]) }],
    };
    checkRequest(request, 6, 6, `000b 0006 00000006 ffff 00` + `02${ascii('g')} 00007530 0000ea60 01 00 09${ascii('consumer')} 02 06${ascii('range')} 030001 00` + `00`);
  });

  it('SaslAuthenticate v2 request and response', () => {
    checkRequest({ apiKey: ApiKey.SaslAuthenticate, authBytes: new Uint8Array([0, 0x75, 0, 0x70]) }, 2, 5, `0024 0002 00000005 ffff 00` + `05 00750070 00`);
    const response: SaslAuthenticateResponse = { apiKey: ApiKey.SaslAuthenticate, errorCode: 'NONE', errorMessage: null, authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
    checkResponse(response, 2, 5, `00000005 00` + `0000 00 01 0000000000000000 00`);
  });

  it('unknown tags in a request header v2 and in a body are skipped', () => {
    // FindCoordinator v4 with a header tag 7 (2 bytes) and a body tag 3 (1 byte).
    const body = `000a 0004 00000004 ffff 01 07 02 abcd` + `00 02 02${ascii('g')} 01 03 01 ff`;
    expect(decodeRequest(unhex(body)).request).toEqual({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: ['g'] });
  });
});

describe('defaults an in-process request leaves out', () => {
  it('CreateTopics without numPartitions or replicationFactor asks for the broker defaults (-1), not 0', () => {
    const frame = encodeRequest({ apiKey: ApiKey.CreateTopics, topics: [{ name: 't' }], timeoutMs: 1000 }, { apiVersion: 7, correlationId: 1, clientId: null });
    // header v2 | 1 topic: name, numPartitions -1, replicationFactor -1, no assignments, no configs, tags | timeout | validateOnly | tags
    expect(hex(frame.subarray(4))).toBe(clean(`0013 0007 00000001 ffff 00 02 02${ascii('t')} ffffffff ffff 01 01 00 000003e8 00 00`));
  });
});
