/**
 * Kafka's produce refusals as confluent-kafka-python (librdkafka) sees them, against a
 * 1-node cluster with a listener: a record two hours ahead of the broker's clock is
 * INVALID_TIMESTAMP (`message.timestamp.after.max.ms`, 1 hour by default as in Kafka
 * 4.0), one a minute ahead or a year back is taken; a record batch larger than the topic's
 * `segment.bytes` is RECORD_LIST_TOO_LARGE, a smaller one is taken. The script is
 * test/wire/py/produce_refusals.py.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c), requireClients);

describe('confluent-kafka-python and the produce refusals', { timeout: 300_000 }, () => {
  it('timestamps outside the bounds are INVALID_TIMESTAMP, a batch over segment.bytes RECORD_LIST_TOO_LARGE', async () => {
    await cluster.admin().createTopics([
      { name: 'py-ts', partitions: 1 },
      { name: 'py-small-segments', partitions: 1, configs: { 'segment.bytes': '1000' } },
    ]);
    const out = await runPython<Record<string, { error: string | null; offset: number | null }>>('produce_refusals.py', [cluster.bootstrapServers, 'py-ts', 'py-small-segments'], { timeoutMs: 240_000 });
    expect(out).toEqual({
      'ahead-2h': { error: 'INVALID_TIMESTAMP', offset: null },
      'ahead-1m': { error: null, offset: 0 },
      'back-1y': { error: null, offset: 1 },
      'over-segment': { error: 'RECORD_LIST_TOO_LARGE', offset: null },
      'under-segment': { error: null, offset: 0 },
    });
  });
});
