/**
 * The ACL and partition reassignment APIs through KafkaJS's admin, over real sockets, and
 * through raw frames where KafkaJS cannot send the request (a cancel, a bad header):
 *
 * - DescribeAcls, CreateAcls and DeleteAcls: Tributary has no authorizer, so each answers
 *   SECURITY_DISABLED as Kafka's broker does with none configured ("No Authorizer is
 *   configured"); KafkaJS reports it as a non-retriable SECURITY_DISABLED error instead of
 *   "not supported", and the connection stays usable;
 * - ListPartitionReassignments: the empty list, no error (nothing ever moves);
 * - AlterPartitionReassignments: per partition, Kafka's checks (unknown partition,
 *   unregistered broker), NONE for the current replicas, and INVALID_REPLICA_ASSIGNMENT
 *   with a message for any real move, which Tributary does not make: the replicas stay.
 */
import { Kafka, logLevel, type Admin as KafkaAdmin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request } from '../../src/protocol/requests.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/wire/codec.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';
import { RawConnection } from './helpers/raw-client.js';
import { everyNodeKnows } from '../helpers/node-image.js';

let cluster: WireCluster;
clusterForFile({ nodes: 2 }, (c) => (cluster = c));

let kafka: Kafka;
let admin: KafkaAdmin;
beforeAll(async () => {
  kafka = new Kafka({ clientId: 'acls', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 30_000, requestTimeout: 60_000, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 } });
  admin = kafka.admin();
  await admin.connect();
}, 120_000);
afterAll(async () => {
  await admin?.disconnect();
}, 60_000);

interface KafkaJsError {
  type?: string;
  message?: string;
  retriable?: boolean;
  errors?: { type?: string; topic?: string; partition?: number; message?: string }[];
}

/** One request on a raw connection, its answer decoded (the connection must not close on it). */
async function roundTrip(conn: RawConnection, request: Request, apiVersion: number, correlationId: number): Promise<unknown> {
  conn.write(encodeRequest(request, { apiVersion, correlationId, clientId: 'raw-admin' }));
  const frame = await conn.next(60_000);
  if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
  const decoded = decodeResponse(request.apiKey, apiVersion, frame);
  expect(decoded.correlationId).toBe(correlationId);
  return decoded.response;
}

const failure = (p: Promise<unknown>): Promise<KafkaJsError> =>
  p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e: KafkaJsError) => e,
  );

// Kafka's numbers (org.apache.kafka.common.acl / resource): TOPIC 2, ANY 1, LITERAL 3, READ 3, ALLOW 3.
const anyAcl = { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 } as never;
const readOrders = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 } as never;

describe('ACL APIs with no authorizer, through KafkaJS', { timeout: 180_000 }, () => {
  it('describeAcls, createAcls and deleteAcls fail with SECURITY_DISABLED, not as unsupported, and the admin keeps working', async () => {
    const described = await failure(admin.describeAcls(anyAcl));
    expect([described.type, described.retriable]).toEqual(['SECURITY_DISABLED', false]);
    const created = await failure(admin.createAcls({ acl: [readOrders] }));
    expect(created.type).toBe('SECURITY_DISABLED');
    const deleted = await failure(admin.deleteAcls({ filters: [anyAcl] }));
    expect(deleted.type).toBe('SECURITY_DISABLED');
    // Nothing was stored: asking again is the same answer, and other admin calls go on.
    expect((await failure(admin.describeAcls(readOrders))).type).toBe('SECURITY_DISABLED');
    expect((await admin.describeCluster()).brokers).toHaveLength(2);
  });

  it('the answers carry Kafka message texts, one result per creation and per filter (raw frames, v1 and flexible v2-v3)', async () => {
    const address = cluster.bootstrapServers.split(',')[0]!;
    const conn = await RawConnection.open(address);
    try {
      let correlationId = 1;
      const ask = async (request: Request, apiVersion: number): Promise<unknown> => {
        const id = correlationId++;
        return roundTrip(conn, request, apiVersion, id);
      };
      for (const v of [1, 2, 3]) {
        expect(await ask({ apiKey: ApiKey.DescribeAcls, resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }, v)).toMatchObject({
          errorCode: 'SECURITY_DISABLED',
          errorMessage: 'No Authorizer is configured on the broker',
          resources: [],
        });
        const two = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 };
        expect(await ask({ apiKey: ApiKey.CreateAcls, creations: [two, { ...two, principal: 'User:b' }] }, v)).toMatchObject({
          results: [
            { errorCode: 'SECURITY_DISABLED', errorMessage: 'No Authorizer is configured.' },
            { errorCode: 'SECURITY_DISABLED', errorMessage: 'No Authorizer is configured.' },
          ],
        });
        const filter = { resourceTypeFilter: 2, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
        expect(await ask({ apiKey: ApiKey.DeleteAcls, filters: [filter] }, v)).toMatchObject({ filterResults: [{ errorCode: 'SECURITY_DISABLED', matchingAcls: [] }] });
      }
    } finally {
      conn.close();
    }
  });
});

describe('partition reassignment APIs, through KafkaJS', { timeout: 180_000 }, () => {
  // Both tests read 'orders' through whichever broker KafkaJS picks: created once, known to every node.
  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await everyNodeKnows(cluster, 'orders');
  }, 120_000);

  it('listPartitionReassignments is empty; alterPartitionReassignments moves nothing and says why per partition', async () => {
    expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
    expect(await admin.listPartitionReassignments({ topics: [{ topic: 'orders', partitions: [0, 1] }, { topic: 'missing', partitions: [0] }] })).toEqual({ topics: [] });

    const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
    const replicasOf = (p: number): number[] => meta.topics[0]!.partitions.find((x) => x.partitionId === p)!.replicas;
    const here = replicasOf(0);
    const brokers = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
    const elsewhere = brokers.find((b) => !here.includes(b))!;
    const unknownBroker = Math.max(...brokers) + 100;

    // The current replicas: nothing to do, no error.
    await admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: here }] }] });

    const e = await failure(
      admin.alterPartitionReassignments({
        topics: [
          { topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [elsewhere] }, { partition: 1, replicas: [unknownBroker] }, { partition: 7, replicas: here }] },
          { topic: 'missing', partitionAssignment: [{ partition: 0, replicas: here }] },
        ],
      }),
    );
    const byPartition = Object.fromEntries((e.errors ?? []).map((x) => [`${x.topic}-${x.partition}`, x.type]));
    expect(byPartition).toEqual({
      'orders-0': 'INVALID_REPLICA_ASSIGNMENT',
      'orders-1': 'INVALID_REPLICA_ASSIGNMENT',
      'orders-7': 'UNKNOWN_TOPIC_OR_PARTITION',
      'missing-0': 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    // Nothing moved.
    const after = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(after.topics[0]!.partitions.find((x) => x.partitionId === 0)!.replicas).toEqual(here);
    expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
  });

  it('a cancel (null replicas), which KafkaJS cannot send, is NO_REASSIGNMENT_IN_PROGRESS; the move names the reason', async () => {
    const conn = await RawConnection.open(cluster.bootstrapServers.split(',')[0]!);
    try {
      const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
      const here = meta.topics[0]!.partitions.find((x) => x.partitionId === 0)!.replicas;
      const other = (await admin.describeCluster()).brokers.map((b) => b.nodeId).find((b) => !here.includes(b))!;
      const request = { apiKey: ApiKey.AlterPartitionReassignments, timeoutMs: 30_000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: null }, { partitionIndex: 1, replicas: [other, other] }, { partitionIndex: 0, replicas: [other] }] }] } as const;
      const response = await roundTrip(conn, request, 0, 5);
      expect(response).toMatchObject({
        errorCode: 'NONE',
        responses: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, errorCode: 'NO_REASSIGNMENT_IN_PROGRESS' },
              { partitionIndex: 1, errorCode: 'INVALID_REPLICA_ASSIGNMENT' },
              { partitionIndex: 0, errorCode: 'INVALID_REPLICA_ASSIGNMENT', errorMessage: expect.stringContaining('does not move replicas') },
            ],
          },
        ],
      });
    } finally {
      conn.close();
    }
  });
});
