/**
 * Tributary's clients over TCP against a Tributary cluster in another process: `tributary
 * serve --nodes 3 --port 0` as a child process, reached only through `connect()`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConsumerGroup } from '../../src/index.js';
import { startServe, type Served } from './mock-harness.js';

let served: Served;
beforeAll(async () => {
  served = await startServe();
}, 150_000);
afterAll(async () => {
  await served?.stop();
});

describe('connect() to `tributary serve` in a child process', () => {
  it('admin calls, acks=all produce and a consumer group of two in this process', async () => {
    await using cluster = connect({ bootstrapServers: served.bootstrapServers, clientId: 'serve-test' });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'payments', partitions: 4, replicationFactor: 3 }]);
    expect(await admin.listTopics()).toContain('payments');
    const [described] = await admin.describeTopics(['payments']);
    expect(described!.partitions).toHaveLength(4);
    for (const p of described!.partitions) expect(p.replicas).toHaveLength(3);
    const clusterInfo = await admin.describeCluster();
    expect(clusterInfo.nodes.map((n) => n.id).sort()).toEqual([1, 2, 3]);

    const producer = cluster.producer({ acks: 'all' });
    const total = 200;
    const metas = await producer.send('payments', Array.from({ length: total }, (_, i) => ({ key: `user-${i % 17}`, value: `payment-${i}` })));
    expect(metas).toHaveLength(total);
    const latest = await admin.listOffsets('payments', 'latest');
    expect(latest.reduce((n, p) => n + p.offset, 0)).toBe(total);

    const seen = new Map<string, number>();
    const consume = async (g: ConsumerGroup): Promise<void> => {
      for await (const r of g) {
        const v = Buffer.from(r.value!).toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        if (seen.size === total) break;
      }
    };
    const a = cluster.consumerGroup({ groupId: 'ledger', topics: ['payments'], autoOffsetReset: 'earliest' });
    const b = cluster.consumerGroup({ groupId: 'ledger', topics: ['payments'], autoOffsetReset: 'earliest' });
    await Promise.all([a.whenJoined(), b.whenJoined()]);
    // Two members share the four partitions once both have joined.
    await expect.poll(async () => (await admin.describeGroup('ledger')).members.length, { timeout: 60_000, interval: 200 }).toBe(2);
    expect((await admin.listGroups()).map((g) => g.groupId)).toContain('ledger');
    // Each member reads its share; the first to see the last record ends both loops.
    const done = Promise.race([consume(a), consume(b)]);
    await done;
    expect(seen.size).toBe(total);
    // Both members took part: the partitions were shared.
    expect(a.assignment().length + b.assignment().length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  }, 180_000);
});
