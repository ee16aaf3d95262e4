/**
 * `threads: 'per-node'`: a worker whose node closed cleanly runs a later node (the pool of
 * idle workers, `src/cluster/worker-pool.ts`) with nothing of its last run left; a killed
 * node's worker is never reused. Counted through the pool's size, never timed.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { idleWorkerCount, idleWorkersMax } from '../../src/cluster/worker-pool.js';

async function roundTrip(cluster: Cluster, topic: string, n: number): Promise<string[]> {
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
  await cluster.producer({ acks: 'all' }).send(topic, Array.from({ length: n }, (_, i) => ({ value: `${topic}-${i}` })));
  return readAll(cluster, topic, n);
}

async function readAll(cluster: Cluster, topic: string, n: number): Promise<string[]> {
  const consumer = cluster.consumer();
  consumer.assign([{ topic, partition: 0 }]);
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  const values: string[] = [];
  for await (const r of consumer) {
    values.push(Buffer.from(r.value as Uint8Array).toString());
    if (values.length === n) break;
  }
  await consumer.close();
  return values;
}

describe("threads: 'per-node': idle node workers", () => {
  it('runs the next cluster and a restarted node on the workers of nodes that closed cleanly, never on a killed one', async () => {
    expect(idleWorkersMax).toBeGreaterThanOrEqual(3);
    expect(idleWorkerCount()).toBe(0);
    const first = await Cluster.start({ nodes: 3, threads: 'per-node' });
    expect(await roundTrip(first, 'one', 5)).toEqual(['one-0', 'one-1', 'one-2', 'one-3', 'one-4']);
    await first.close();
    expect(idleWorkerCount()).toBe(3);

    // A second cluster takes all three: it works as a fresh one (its own folder, ids, topics).
    await using second = await Cluster.start({ nodes: 3, threads: 'per-node' });
    expect(idleWorkerCount()).toBe(0);
    expect(second.metadata.topic('one')).toBeUndefined();
    expect(await roundTrip(second, 'two', 4)).toEqual(['two-0', 'two-1', 'two-2', 'two-3']);

    // A stopped node's worker waits idle and runs the node again on its own files.
    await second.stopNode(2);
    expect(idleWorkerCount()).toBe(1);
    await second.restartNode(2);
    expect(idleWorkerCount()).toBe(0);
    expect(second.metrics().runningNodes).toBe(3);
    // Every node stopped and restarted in turn (each on its own files, in a reused worker): the records are all there.
    await second.stopNode(1);
    await second.stopNode(3);
    await second.restartNode(1);
    await second.restartNode(3);
    expect(await readAll(second, 'two', 4)).toEqual(['two-0', 'two-1', 'two-2', 'two-3']);

    // A killed node's worker is terminated, never reused.
    second.killNode(3);
    await second.close();
    expect(idleWorkerCount()).toBe(2);
  }, 240_000);
});
