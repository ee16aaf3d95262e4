/**
 * Durable pub/sub inside a service (`npx tsx examples/pubsub-service.ts`): one node
 * with its data in a folder that outlives the process. The first run publishes order
 * events; a "restart" (close, start again on the same folder) finds them all and reads
 * on from where the reader stopped, because a reader's position is just an offset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, serdes } from 'tributary-log';

interface OrderPlaced {
  readonly orderId: string;
  readonly customer: string;
  readonly totalCents: number;
}

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-service-'));
try {
  // First run of the service: publish.
  {
    await using cluster = await Cluster.start({ dataDir });
    await cluster.admin().createTopics([{ name: 'orders', partitions: 4, configs: { 'retention.ms': String(7 * 24 * 3600 * 1000) } }]);
    const orders = cluster.topic('orders', { key: serdes.string, value: serdes.json<OrderPlaced>() });
    const written = await orders.send(
      Array.from({ length: 100 }, (_, i) => ({ key: `customer-${i % 10}`, value: { orderId: `o-${i}`, customer: `customer-${i % 10}`, totalCents: 1000 + i } })),
    );
    console.log(`published ${written.length} orders over ${new Set(written.map((w) => w.partition)).size} partitions`);
  }
  // The service restarts on the same folder: everything is still there.
  {
    await using cluster = await Cluster.start({ dataDir });
    const orders = cluster.topic('orders', { key: serdes.string, value: serdes.json<OrderPlaced>() });
    let total = 0;
    let count = 0;
    const stream = orders.consume({ from: 'earliest' });
    for await (const order of stream) {
      total += order.value!.totalCents;
      if (++count === 100) break;
    }
    await stream.close();
    console.log(`after a restart: read ${count} orders, ${(total / 100).toFixed(2)} in all`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
