/**
 * A request the broker refuses whole (it fails validation) gets the API's error answer over
 * the wire, per partition for Produce, as Kafka's getErrorResponse gives it, and the
 * connection stays open.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ProduceRequest } from '../../protocol/produce.js';
import { TcpClientTransport } from './client.js';

describe('error answers over the wire', () => {
  it('a Produce that fails validation gets its error per partition, and the connection stays open', async () => {
    await using cluster = await Cluster.start({ listen: { port: 0 } });
    await cluster.admin().createTopics([{ name: 'acks', partitions: 2 }]);
    const t = new TcpClientTransport({ bootstrapServers: cluster.bootstrapServers });
    try {
      const meta = await t.send(-1, { apiKey: ApiKey.Metadata, topics: [{ name: 'acks' }], allowAutoTopicCreation: false });
      const leader = meta.topics[0]!.partitions[0]!.leaderId;
      const bad: ProduceRequest = { apiKey: ApiKey.Produce, transactionalId: null, acks: 2, timeoutMs: 1000, topicData: [{ name: 'acks', partitionData: [{ index: 0, records: new Uint8Array(70) }, { index: 1, records: new Uint8Array(70) }] }] };
      const answer = await t.send(leader, bad);
      // acks 2 passes validation (Kafka answers it per partition, after the record checks): 70 zero
      // bytes are a batch length of 0, below the 14 Kafka's batch reader takes: CORRUPT_MESSAGE
      // (`ByteBufferLogInputStream.nextBatchSize`; s12, it was INVALID_RECORD).
      expect(answer.responses.flatMap((r) => r.partitionResponses.map((p) => [r.name, p.index, p.errorCode, p.baseOffset]))).toEqual([
        ['acks', 0, 'CORRUPT_MESSAGE', -1],
        ['acks', 1, 'CORRUPT_MESSAGE', -1],
      ]);
      const negative = await t.send(leader, { ...bad, acks: 1, topicData: [{ name: 'acks', partitionData: [{ index: -1, records: new Uint8Array(70) }] }] });
      expect(negative.responses[0]!.partitionResponses[0]!.errorCode).not.toBe('NONE');
      // An admin request refused whole: the error per topic, as Kafka's CreateTopics answer has it.
      const created = await t.send(leader, { apiKey: ApiKey.CreateTopics, topics: [{ name: 'never-made', numPartitions: 1, replicationFactor: 1 }], timeoutMs: -5 });
      expect(created.topics.map((x) => [x.name, x.errorCode !== 'NONE'])).toEqual([['never-made', true]]);
      expect(created.topics[0]!.errorMessage).toContain('timeoutMs');
      expect(await cluster.admin().listTopics()).not.toContain('never-made');
      // Still the same connections: nothing was closed.
      const opened = t.connectionsOpened;
      await t.send(leader, { apiKey: ApiKey.Metadata, topics: [], allowAutoTopicCreation: false });
      expect(t.connectionsOpened).toBe(opened);
      expect(await t.openConnections()).toBe(2);
    } finally {
      await t.close();
    }
  }, 60_000);
});
