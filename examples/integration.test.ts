/**
 * An integration test against a real cluster, the way a user writes one: no Docker, no
 * container to wait for. Runs with the project's tests (`npx vitest run examples`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serdes } from 'tributary-log';
import { useCluster, waitFor } from 'tributary-log/testing';

const cluster = useCluster({ nodes: 1 }, { before: beforeAll, after: afterAll });

it('an order placed by the service under test comes out on the topic', async () => {
  await cluster().admin().createTopics([{ name: 'orders', partitions: 2 }]);
  const orders = cluster().topic('orders', { key: serdes.string, value: serdes.json<{ id: string }>() });

  // The code under test would publish here.
  await orders.send({ key: 'customer-1', value: { id: 'o-1' } });

  const received: string[] = [];
  const stream = orders.consume({ from: 'earliest' });
  for await (const r of stream) {
    received.push(r.value!.id);
    break;
  }
  await stream.close();
  expect(received).toEqual(['o-1']);
  await waitFor(async () => (await cluster().admin().listOffsets('orders', 'latest')).some((p) => p.offset === 1));
});
