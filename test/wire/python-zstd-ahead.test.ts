/**
 * zstd batches from confluent-kafka-python (librdkafka) through the leader's
 * decompress-ahead path (src/broker/decompressed-ahead.ts: the records of a zstd batch are
 * decompressed by the native codec before the append, under the recompression gates, for
 * Kafka's every-record timestamp check), against 3 nodes: an idempotent producer with 5
 * requests in flight gets dense offsets and every record reads back once with check.crcs;
 * a batch with a record two hours ahead is refused whole (INVALID_TIMESTAMP); producers
 * of three codecs into a `compression.type=zstd` topic land in order. The script is
 * test/wire/py/zstd_ahead.py.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 3 }, (c) => (cluster = c), requireClients);

describe('confluent-kafka-python zstd batches and the leader’s decompress-ahead', { timeout: 300_000 }, () => {
  it('idempotent, 5 in flight: dense offsets, every record once; a record out of range refuses its batch; conversions in order', async () => {
    await cluster.admin().createTopics([
      { name: 'py-zstd', partitions: 3, replicationFactor: 3 },
      { name: 'py-zstd-convert', partitions: 1, replicationFactor: 3, configs: { 'compression.type': 'zstd' } },
    ]);
    const n = 6000;
    const out = await runPython<{ ahead: (string | null)[] }>('zstd_ahead.py', [cluster.bootstrapServers, 'py-zstd', 'py-zstd-convert', n], { timeoutMs: 280_000 });
    // The three records share a batch (linger 200 ms): the one two hours ahead refuses it
    // whole, as Kafka does. Were librdkafka ever to send them apart, the others in a batch
    // of their own are taken.
    const ahead = out.ahead;
    expect(ahead).toHaveLength(3);
    expect(ahead[1]).toBe('INVALID_TIMESTAMP');
    for (const a of ahead) expect([null, 'INVALID_TIMESTAMP']).toContain(a);
    expect({ ...out, ahead: undefined }).toEqual({
      acked: n,
      errors: [],
      dense: true,
      read: n,
      distinct: n,
      ahead: undefined,
      converted: { gzip: 500, zstd: 500, none: 500 },
      in_order: true,
    });
  });
});
