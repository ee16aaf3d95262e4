/**
 * A broker now refuses a Produce with more than one record batch for a partition
 * (INVALID_RECORD, as Kafka does). Tributary's own producer must never send one: it puts
 * a partition's k-th ready batch into the node's k-th request. Many small batches of one
 * partition ready at once (a tiny batch.size, a linger that lets them pile up, five
 * requests in flight) all land, with and without idempotence, each record once and in
 * order; the group coordinator's commits (its own leader appends) still land too.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';

describe('Tributary’s clients send one batch per partition per request', () => {
  it.each([false, true])('a producer (idempotent: %s) with many small batches of one partition ready at once', async (idempotent) => {
    await using cluster = await Cluster.start();
    const topic = `one-batch-${idempotent}`;
    await cluster.admin().createTopics([{ name: topic, partitions: 1 }]);
    const producer = cluster.producer({ idempotent, batchSize: 64, lingerMs: 20, maxInFlight: 5 });
    const sends = Array.from({ length: 300 }, (_, i) => producer.send(topic, { value: `r${i}`, partition: 0 }));
    const results = await Promise.all(sends);
    await producer.close();
    // Each record once, in the order sent.
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const [end] = await cluster.admin().listOffsets(topic, 'latest');
    expect(end!.offset).toBe(300);
  });
});
