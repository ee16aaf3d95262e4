/**
 * Produce with acks=all through `connect()` while the cluster's nodes are killed and
 * restarted: every acknowledged record is there afterwards, once, and nothing else.
 * The cluster runs in this process (so the test can kill its nodes), but the producer
 * reaches it only over TCP.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, connect } from '../../src/index.js';
import { readAll } from '../helpers/read-all.js';

describe('connect() while nodes are killed and restarted', () => {
  it('loses nothing acknowledged', async () => {
    await using served = await Cluster.start({ nodes: 3, listen: { port: 0 } });
    await served.admin().createTopics([{ name: 'ledger', partitions: 3, replicationFactor: 3 }]);
    await using cluster = connect({ bootstrapServers: served.bootstrapServers, reconnectBackoffMs: 20, reconnectBackoffMaxMs: 200 });
    const producer = cluster.producer({ acks: 'all', deliveryTimeoutMs: 120_000 });
    const acked = new Set<string>();
    const failed: unknown[] = [];
    let stop = false;
    let next = 0;
    const produce = async (): Promise<void> => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => ({ key: `k${next % 7}`, value: `r-${next++}` }));
        try {
          await producer.send('ledger', batch);
          for (const r of batch) acked.add(r.value);
        } catch (err) {
          failed.push(err);
        }
      }
    };
    const running = produce();
    const waitAcked = async (n: number): Promise<void> => {
      const target = acked.size + n;
      await expect.poll(() => acked.size, { timeout: 120_000, interval: 50 }).toBeGreaterThanOrEqual(target);
    };
    await waitAcked(100);
    for (const id of [1, 2, 3]) {
      served.killNode(id);
      await waitAcked(100); // the others take over its leaderships
      await served.restartNode(id);
      await waitAcked(100);
    }
    stop = true;
    await running;
    await producer.close();

    // Read everything back in this process: every acknowledged record, each exactly once.
    const found = await readAll(served, 'ledger', 3);
    for (const v of acked) expect(found.get(v), v).toBe(1);
    // Idempotence: no record twice, even the ones retried across a kill.
    for (const [v, n] of found) expect(n, v).toBe(1);
    expect(acked.size).toBeGreaterThanOrEqual(700);
  }, 300_000);
});
