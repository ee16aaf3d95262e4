/**
 * `cluster.metadata` and `cluster.metrics()`, the synchronous views, in every `threads`
 * mode: with nodes in workers they are read from the nodes' threads at the call (the
 * calling thread waits for the answer), so they say the same as inline and as their async
 * forms, right after the operation that changed them.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';

describe('the synchronous views in every threads mode', () => {
  it.each(['inline', 'per-node', 'worker'] as const)("threads: '%s': metadata and metrics() as of the call, equal to readMetadata() and readMetrics()", async (threads) => {
    await using cluster = await Cluster.start({ nodes: 3, threads });

    // Metadata: the committed image as the active controller has it, once createTopics answered.
    expect(cluster.metadata.topic('orders')).toBeUndefined();
    await cluster.admin().createTopics([{ name: 'orders', partitions: 3, replicationFactor: 3 }]);
    const image = cluster.metadata;
    expect(image.topic('orders')?.partitions).toHaveLength(3);
    expect(image.topic('orders')?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    expect(image.brokerList().map((b) => [b.id, b.fenced])).toEqual([[1, false], [2, false], [3, false]]);
    // Unchanged, the same image object (no copy made per read), in every mode.
    expect(cluster.metadata).toBe(image);
    expect((await cluster.readMetadata()).offset).toBe(image.offset);
    await cluster.admin().createTopics([{ name: 'audit' }]);
    expect(cluster.metadata).not.toBe(image);
    expect(cluster.metadata.offset).toBeGreaterThan(image.offset);
    expect(cluster.metadata.topic('audit')?.partitions).toHaveLength(1);

    // Metrics: the brokers' counts at the call, right after the send was acknowledged.
    expect(cluster.metrics().recordsIn).toBe(0);
    const producer = cluster.producer({ acks: 'all' });
    for (let i = 0; i < 4; i++) await producer.send('orders', Array.from({ length: 5 }, (_, k) => ({ key: `k${k}`, value: `v${i}.${k}` })));
    const m = cluster.metrics();
    expect(m.recordsIn).toBe(20);
    expect(m.topics.orders?.recordsIn).toBe(20);
    expect(m.requestLatencyMs.Produce?.count).toBeGreaterThanOrEqual(4);
    expect([m.runningNodes, m.fencedNodes, m.partitions, m.offlinePartitions]).toEqual([3, 0, 4, 0]);
    expect(m.activeControllerId).toBe(cluster.describe().find((n) => n.activeController)?.id);
    const r = await cluster.readMetrics();
    expect([r.recordsIn, r.bytesIn, r.partitions, r.runningNodes, r.activeControllerId]).toEqual([m.recordsIn, m.bytesIn, m.partitions, m.runningNodes, m.activeControllerId]);

    // A stopped node: not running, its counts kept (counters stay monotonic); the image still reads.
    await cluster.stopNode(3);
    const stopped = cluster.metrics();
    expect(stopped.runningNodes).toBe(2);
    expect(stopped.recordsIn).toBe(20);
    expect(cluster.metadata.broker(3)?.fenced).toBe(true);
    await cluster.restartNode(3);
    expect(cluster.metrics().runningNodes).toBe(3);
  }, 180_000);
});
