/**
 * confluent-kafka-python 1.7.0 (Debian; librdkafka 2.0.2), run with /usr/bin/python3,
 * against a 3-node cluster with listeners: an idempotent Producer with delivery reports,
 * a Consumer in a group that commits, and the AdminClient (create and delete topics,
 * describe configs, list groups). The scripts are in test/wire/py/.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, readAll, text, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
let b: string;
clusterForFile(
  { nodes: 3 },
  (c) => {
    cluster = c;
    b = c.bootstrapServers;
  },
  requireClients,
);

interface Produced {
  acked: { partition: number; offset: number; value: string }[];
  failed: { value: string; error: string }[];
  unflushed: number;
}

interface Consumed {
  values: string[];
  errors: string[];
  committed: Record<string, number>;
  assignment: number[];
}

describe('confluent-kafka-python over the wire, 3 nodes', { timeout: 300_000 }, () => {
  it('an idempotent Producer gets a delivery report for every record, and a group Consumer reads and commits them', async () => {
    const topic = 'py-records';
    await cluster.admin().createTopics([{ name: topic, partitions: 3, replicationFactor: 3 }]);
    const produced = await runPython<Produced>('producer.py', [b, topic, 300, 'all', 'lz4'], { timeoutMs: 240_000 });
    expect(produced.failed).toEqual([]);
    expect(produced.unflushed).toBe(0);
    expect(produced.acked).toHaveLength(300);
    // Delivery reports name distinct offsets, dense from 0 in each partition.
    const byPartition = new Map<number, number[]>();
    for (const a of produced.acked) (byPartition.get(a.partition) ?? byPartition.set(a.partition, []).get(a.partition)!).push(a.offset);
    for (const offsets of byPartition.values()) expect([...offsets].sort((x, y) => x - y)).toEqual(offsets.map((_, i) => i));

    // Tributary's own Consumer finds every acknowledged record where the report said.
    const records = await readAll(cluster, topic);
    expect(records.map((r) => `${r.partition}:${r.offset}:${text(r.value)}`).sort()).toEqual(produced.acked.map((a) => `${a.partition}:${a.offset}:${a.value}`).sort());

    const consumed = await runPython<Consumed>('consumer.py', [b, topic, 'py-group', 300, 180], { timeoutMs: 240_000 });
    expect(consumed.errors).toEqual([]);
    expect([...consumed.values].sort()).toEqual(produced.acked.map((a) => a.value).sort());
    expect(consumed.assignment.sort()).toEqual([0, 1, 2]);
    const ends = Object.fromEntries([...byPartition].map(([p, o]) => [String(p), o.length]));
    expect(consumed.committed).toEqual(ends);
    // The commits are the group's, as Tributary's admin reads them.
    const { offsets } = await cluster.admin().describeGroup('py-group');
    expect(Object.fromEntries(offsets.map((o) => [String(o.partition), o.committed]))).toEqual(ends);

    // A second run of the group starts at the commits: nothing left to read.
    const again = await runPython<Consumed>('consumer.py', [b, topic, 'py-group', 1, 15], { timeoutMs: 120_000 });
    expect(again.values).toEqual([]);
  });

  it('AdminClient creates a topic, describes and alters its configs, lists groups and deletes the topic', async () => {
    // A group to be listed.
    await cluster.admin().createTopics([{ name: 'py-listed', partitions: 1, replicationFactor: 3 }]);
    await cluster.producer().send('py-listed', [{ value: 'x' }]);
    await runPython<Consumed>('consumer.py', [b, 'py-listed', 'py-listed-group', 1, 120], { timeoutMs: 180_000 });

    const out = await runPython<{ created_partitions: number; configs: Record<string, string>; altered: Record<string, [string, boolean]>; group_configs_error: string | null; groups: string[]; after_delete: boolean }>('admin.py', [b, 'py-admin', 4, 3], { timeoutMs: 180_000 });
    expect(out.created_partitions).toBe(4);
    expect(out.configs['retention.ms']).toBe('3600000');
    expect(out.configs['cleanup.policy']).toBe('delete');
    expect(out.altered).toEqual({ 'retention.ms': ['604800000', true], 'segment.ms': ['60000', false] });
    expect(out.group_configs_error).toBe('INVALID_REQUEST');
    expect(out.groups).toContain('py-listed-group');
    expect(out.after_delete).toBe(false);
    expect(await cluster.admin().listTopics()).not.toContain('py-admin');
  });
});
