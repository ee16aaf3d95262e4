import { describe, expect, it } from 'vitest';
import { Cluster, connect } from '../../src/index.js';

describe('connect() to an in-process cluster with listeners', () => {
  it('produces, consumes and lists topics over TCP', async () => {
    await using served = await Cluster.start({ nodes: 3, listen: { port: 0 } });
    await using cluster = connect({ bootstrapServers: served.bootstrapServers });
    await cluster.admin().createTopics([{ name: 'orders', partitions: 3 }]);
    const producer = cluster.producer({ acks: 'all' });
    const metas = await producer.send('orders', Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    expect(metas).toHaveLength(30);
    expect(await cluster.admin().listTopics()).toContain('orders');
    const consumer = cluster.consumer();
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition })));
    for (const p of [0, 1, 2]) await consumer.seek({ topic: 'orders', partition: p }, 'earliest');
    const seen: string[] = [];
    for await (const r of consumer) {
      seen.push(Buffer.from(r.value!).toString());
      if (seen.length === 30) break;
    }
    expect(new Set(seen).size).toBe(30);
  }, 60_000);
});
