/**
 * Cross-checks the wire codec against KafkaJS 2.2.4, an independent implementation of the
 * same protocol: its request encoders (`src/protocol/request.js` plus
 * `requests/{apiVersions,metadata}/v*\/request.js`) must produce exactly our bytes, our
 * decoder must read its bytes, and its response decoders must read the responses we encode.
 * KafkaJS stops at ApiVersions v2 and Metadata v6 (it never uses flexible versions); the
 * flexible versions are checked against bytes written out by hand from Kafka's schemas in
 * `wire.test.ts`.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroUuid } from '../../util/uuid.js';
import { ApiKey } from '../api-keys.js';
import type { ApiVersionsResponse, MetadataRequest, MetadataResponse } from '../cluster.js';
import { decodeRequest, encodeRequest, encodeResponse } from './codec.js';

const require = createRequire(import.meta.url);

interface KafkaEncoder {
  readonly buffer: Buffer;
}
interface KafkaRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<KafkaEncoder>;
}
interface KafkaResponseCodec {
  decode(raw: Buffer): Promise<unknown>;
}
interface KafkaProtocol {
  protocol(args: { version: number }): (args: { topics?: string[]; allowAutoTopicCreation?: boolean }) => { request: KafkaRequest; response: KafkaResponseCodec };
}
type KafkaApiVersionsProtocol = { protocol(args: { version: number }): () => { request: KafkaRequest; response: KafkaResponseCodec } };

const kafkaFrame = require('kafkajs/src/protocol/request') as (args: { correlationId: number; clientId: string; request: KafkaRequest }) => Promise<KafkaEncoder>;
const kafkaMetadata = require('kafkajs/src/protocol/requests/metadata') as KafkaProtocol;
const kafkaApiVersions = require('kafkajs/src/protocol/requests/apiVersions') as KafkaApiVersionsProtocol;

const clientId = 'kafkajs-cross-check';

async function kafkaRequestBytes(request: KafkaRequest, correlationId: number): Promise<Uint8Array> {
  const frame = await kafkaFrame({ correlationId, clientId, request });
  return new Uint8Array(frame.buffer);
}

/** The body of a response frame: after the 4-byte size and the 4-byte correlation id (response header v0). */
function responseBody(frame: Uint8Array): Buffer {
  return Buffer.from(frame.subarray(8));
}

const topicName = fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/);

describe('ApiVersions against KafkaJS', () => {
  for (const version of [0, 1, 2]) {
    it(`v${version}: the same request bytes, both ways`, async () => {
      const kafka = kafkaApiVersions.protocol({ version })();
      const theirs = await kafkaRequestBytes(kafka.request, 7);
      const ours = encodeRequest({ apiKey: ApiKey.ApiVersions }, { apiVersion: version, correlationId: 7, clientId });
      expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
      const decoded = decodeRequest(theirs.subarray(4));
      expect(decoded.header).toEqual({ apiKey: ApiKey.ApiVersions, apiVersion: version, correlationId: 7, clientId });
      expect(decoded.request).toEqual({ apiKey: ApiKey.ApiVersions, clientSoftwareName: '', clientSoftwareVersion: '' });
    });

    it(`v${version}: KafkaJS reads our response`, async () => {
      const response: ApiVersionsResponse = {
        apiKey: ApiKey.ApiVersions,
        errorCode: 'NONE',
        apiKeys: [
          { apiKey: 3, minVersion: 0, maxVersion: 12 },
          { apiKey: 18, minVersion: 0, maxVersion: 3 },
        ],
        throttleTimeMs: 25,
      };
      const frame = encodeResponse(response, { apiVersion: version, correlationId: 7 });
      const decoded = (await kafkaApiVersions.protocol({ version })().response.decode(responseBody(frame))) as Record<string, unknown>;
      expect(decoded['errorCode']).toBe(0);
      expect(decoded['apiVersions']).toEqual(response.apiKeys);
      if (version >= 1) expect(decoded['throttleTime'] ?? decoded['clientSideThrottleTime']).toBeDefined();
      if (version === 1) expect(decoded['throttleTime']).toBe(25);
      if (version === 2) expect(decoded['clientSideThrottleTime']).toBe(25);
    });
  }
});

describe('Metadata against KafkaJS', () => {
  it('v0..v6: the same request bytes and the same decoded request, for any topics (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.uniqueArray(topicName, { maxLength: 5 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0x7fffffff }),
        async (version, topics, allowAutoTopicCreation, correlationId) => {
          const kafka = kafkaMetadata.protocol({ version })({ topics, allowAutoTopicCreation });
          const theirs = await kafkaRequestBytes(kafka.request, correlationId);
          // KafkaJS sends "all topics" for an empty list (null from v1).
          const request: MetadataRequest = {
            apiKey: ApiKey.Metadata,
            topics: topics.length === 0 ? null : topics.map((name) => ({ name })),
            allowAutoTopicCreation: version >= 4 ? allowAutoTopicCreation : true,
          };
          const ours = encodeRequest(request, { apiVersion: version, correlationId, clientId });
          expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
          const decoded = decodeRequest(theirs.subarray(4));
          expect(decoded.header).toEqual({ apiKey: ApiKey.Metadata, apiVersion: version, correlationId, clientId });
          expect(decoded.request).toEqual({
            ...request,
            topics: request.topics === null ? null : request.topics.map((t) => ({ ...t, topicId: zeroUuid })),
            includeClusterAuthorizedOperations: false,
            includeTopicAuthorizedOperations: false,
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  for (const version of [0, 1, 2, 3, 4, 5, 6]) {
    it(`v${version}: KafkaJS reads our response`, async () => {
      const response: MetadataResponse = {
        apiKey: ApiKey.Metadata,
        throttleTimeMs: 0,
        brokers: [
          { nodeId: 1, host: 'localhost', port: 9092, rack: 'rack-a' },
          { nodeId: 2, host: '127.0.0.1', port: 9093, rack: null },
        ],
        clusterId: 'tributary-cluster',
        controllerId: 1,
        topics: [
          {
            errorCode: 'NONE',
            name: 'orders',
            topicId: zeroUuid,
            isInternal: false,
            topicAuthorizedOperations: -2147483648,
            partitions: [
              { errorCode: 'NONE', partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2], isrNodes: [1, 2], offlineReplicas: [] },
              { errorCode: 'LEADER_NOT_AVAILABLE', partitionIndex: 1, leaderId: -1, leaderEpoch: 0, replicaNodes: [2, 1], isrNodes: [2], offlineReplicas: [1] },
            ],
          },
          { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', name: 'missing', topicId: zeroUuid, isInternal: false, topicAuthorizedOperations: -2147483648, partitions: [] },
        ],
      };
      const frame = encodeResponse(response, { apiVersion: version, correlationId: 9 });
      expect(new DataView(frame.buffer, frame.byteOffset).getInt32(4)).toBe(9);
      const decoded = (await kafkaMetadata.protocol({ version })({ topics: [] }).response.decode(responseBody(frame))) as {
        brokers: { nodeId: number; host: string; port: number; rack?: string | null }[];
        clusterId?: string;
        controllerId?: number;
        topicMetadata: {
          topicErrorCode: number;
          topic: string;
          isInternal?: boolean;
          partitionMetadata: { partitionErrorCode: number; partitionId: number; leader: number; replicas: number[]; isr: number[]; offlineReplicas?: number[] }[];
        }[];
      };
      expect(decoded.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual([
        [1, 'localhost', 9092],
        [2, '127.0.0.1', 9093],
      ]);
      if (version >= 1) expect(decoded.brokers.map((b) => b.rack)).toEqual(['rack-a', null]);
      if (version >= 1) expect(decoded.controllerId).toBe(1);
      if (version >= 2) expect(decoded.clusterId).toBe('tributary-cluster');
      expect(decoded.topicMetadata.map((t) => [t.topicErrorCode, t.topic])).toEqual([
        [0, 'orders'],
        [3, 'missing'],
      ]);
      if (version >= 1) expect(decoded.topicMetadata[0]!.isInternal).toBe(false);
      const ps = decoded.topicMetadata[0]!.partitionMetadata;
      expect(ps.map((p) => [p.partitionErrorCode, p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
        [0, 0, 1, [1, 2], [1, 2]],
        [5, 1, -1, [2, 1], [2]],
      ]);
      if (version >= 5) expect(ps.map((p) => p.offlineReplicas)).toEqual([[], [1]]);
    });
  }
});
