/**
 * Static membership (KIP-345) with librdkafka (confluent-kafka-python 1.7) against one
 * node: a second live consumer with the same `group.instance.id` takes the first's place
 * and partitions; the first is fenced (Kafka's FENCED_INSTANCE_ID, which librdkafka makes a
 * fatal error: "Static consumer fenced by other consumer with same group.instance.id"), so
 * its commits fail while the second's are kept. The replacement of a closed static member
 * without a rebalance is in python-behaviours.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 1 }, (c) => (cluster = c), requireClients);

describe('static membership with librdkafka, 1 node', { timeout: 300_000 }, () => {
  it('a second live member with the same group.instance.id fences the first: FENCED_INSTANCE_ID, fatal in librdkafka; the second owns the partitions and commits', async () => {
    await cluster.admin().createTopics([{ name: 'gst-topic', partitions: 2, replicationFactor: 1 }]);
    type Out = { first_owns: boolean; first: number[]; second_owns: boolean; first_fenced: boolean; second: number[]; first_commit: string; committed: number[]; errors: { first: [string, boolean, string][]; second: unknown[] } };
    const out = await runPython<Out>('static_fencing.py', [cluster.bootstrapServers, 'gst-topic', 'gst-group'], { timeoutMs: 280_000 });
    expect(out.first_owns).toBe(true);
    expect(out.first).toEqual([0, 1]);
    // The replacement takes the same partitions.
    expect(out.second_owns).toBe(true);
    expect(out.second).toEqual([0, 1]);
    // The first learns at its next request to the coordinator, and stops for good.
    expect(out.first_fenced).toBe(true);
    expect(out.errors.first[0]![0]).toBe('_FATAL');
    expect(out.errors.first[0]![2]).toContain('Static consumer fenced by other consumer with same group.instance.id');
    expect(out.first_commit).toBe('_FATAL');
    expect(out.errors.second).toEqual([]);
    expect(out.committed).toEqual([2]);
  });
});
