/**
 * KIP-664's transaction admin APIs over a real socket, in raw frames (no client on this
 * machine asks them; Kafka's Java admin `describeProducers`, `listTransactions` and
 * `describeTransactions` do):
 *
 * - DescribeProducers lists the idempotent producers KafkaJS used, per partition leader,
 *   with the epoch and last sequence they wrote; an unknown partition is
 *   UNKNOWN_TOPIC_OR_PARTITION;
 * - ListTransactions (v0, v1) is empty, naming the state filters Kafka does not know;
 * - DescribeTransactions answers every id TRANSACTIONAL_ID_NOT_FOUND.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { Request } from '../../src/protocol/requests.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/wire/codec.js';
import { clusterForFile, nodeAddress, type WireCluster } from './helpers/cluster.js';
import { RawConnection } from './helpers/raw-client.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c));

async function ask(request: Request, apiVersion: number): Promise<unknown> {
  const conn = await RawConnection.open(nodeAddress(cluster, 1));
  try {
    conn.write(encodeRequest(request, { apiVersion, correlationId: 9, clientId: 'raw-txn-admin' }));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
    return decodeResponse(request.apiKey, apiVersion, frame).response;
  } finally {
    conn.close();
  }
}

describe('transaction admin APIs over the wire', { timeout: 180_000 }, () => {
  it('DescribeProducers lists the idempotent producers of each partition, with epoch and last sequence', async () => {
    await cluster.admin().createTopics([{ name: 'orders', partitions: 2 }]);
    const kafka = new Kafka({ clientId: 'producers', brokers: [cluster.bootstrapServers], logLevel: logLevel.NOTHING });
    const a = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const b = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await a.connect();
    await b.connect();
    try {
      for (let i = 0; i < 3; i++) await a.send({ topic: 'orders', messages: [{ partition: 0, value: `a${i}` }, { partition: 0, value: `a${i}'` }] });
      await b.send({ topic: 'orders', messages: [{ partition: 0, value: 'b' }, { partition: 1, value: 'b' }] });
    } finally {
      await a.disconnect();
      await b.disconnect();
    }
    const r = (await ask({ apiKey: ApiKey.DescribeProducers, topics: [{ name: 'orders', partitionIndexes: [0, 1, 9] }, { name: 'missing', partitionIndexes: [0] }] }, 0)) as {
      topics: { name: string; partitions: { partitionIndex: number; errorCode: string; activeProducers: { producerId: number; producerEpoch: number; lastSequence: number; lastTimestamp: number; coordinatorEpoch: number; currentTxnStartOffset: number }[] }[] }[];
    };
    const [orders, missing] = r.topics;
    expect(orders!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.activeProducers.length])).toEqual([
      [0, 'NONE', 2],
      [1, 'NONE', 1],
      [9, 'UNKNOWN_TOPIC_OR_PARTITION', 0],
    ]);
    expect(missing!.partitions).toEqual([expect.objectContaining({ partitionIndex: 0, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' })]);
    // Producer a wrote 6 records to partition 0 (sequences 0-5), b one (sequence 0).
    const bySequence = orders!.partitions[0]!.activeProducers.map((p) => p.lastSequence).sort();
    expect(bySequence).toEqual([0, 5]);
    for (const p of orders!.partitions[0]!.activeProducers) {
      expect(p.producerId).toBeGreaterThanOrEqual(0);
      expect(p.producerEpoch).toBe(0);
      expect(p.lastTimestamp).toBeGreaterThan(0);
      expect([p.coordinatorEpoch, p.currentTxnStartOffset]).toEqual([-1, -1]);
    }
    const idOnOne = orders!.partitions[1]!.activeProducers[0]!.producerId;
    expect(orders!.partitions[0]!.activeProducers.find((p) => p.lastSequence === 0)!.producerId).toBe(idOnOne);
  });

  it('ListTransactions is empty and names unknown state filters; DescribeTransactions is TRANSACTIONAL_ID_NOT_FOUND', async () => {
    for (const v of [0, 1]) {
      expect(await ask({ apiKey: ApiKey.ListTransactions, stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [7], durationFilter: -1 }, v)).toMatchObject({
        errorCode: 'NONE',
        unknownStateFilters: ['Bogus'],
        transactionStates: [],
      });
    }
    expect(await ask({ apiKey: ApiKey.DescribeTransactions, transactionalIds: ['tx-1', 'tx-2'] }, 0)).toMatchObject({
      transactionStates: [
        { transactionalId: 'tx-1', errorCode: 'TRANSACTIONAL_ID_NOT_FOUND' },
        { transactionalId: 'tx-2', errorCode: 'TRANSACTIONAL_ID_NOT_FOUND' },
      ],
    });
  });
});
