/** The fixed conversation recorded against librdkafka's mock (see record-mock-fixtures.ts). */
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request } from '../../src/protocol/requests.js';
import { encodeBatch } from '../../src/record/codecs/index.js';

export const fixtureRecords = [
  { key: 'k1', value: 'hello' },
  { key: 'k2', value: 'world' },
];

export async function conversation(): Promise<{ apiVersion: number; request: Request }[]> {
  const batch = await encodeBatch(
    fixtureRecords.map((r) => ({ key: Buffer.from(r.key), value: Buffer.from(r.value), headers: [{ key: 'h', value: Buffer.from('v') }] })),
    { now: 1_700_000_000_000 },
  );
  return [
    { apiVersion: 0, request: { apiKey: ApiKey.ApiVersions } },
    { apiVersion: 7, request: { apiKey: ApiKey.Produce, transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'fixture', partitionData: [{ index: 0, records: batch }] }] } },
    {
      apiVersion: 11,
      request: { apiKey: ApiKey.Fetch, replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fixture', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' } as unknown as Request,
    },
  ];
}
