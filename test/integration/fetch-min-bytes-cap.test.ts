/**
 * A Fetch's `min_bytes` is capped at what one answer may hold, min(its `max_bytes`, the
 * broker's `fetch.max.bytes`), as Kafka's `KafkaApis.handleFetchRequest` caps it
 * (`fetchMinBytes = Math.min(fetchRequest.minBytes, fetchMaxBytes)`). Without the cap a
 * consumer whose `fetch.min.bytes` is above that limit waits out its whole `max_wait_ms`
 * on every fetch, with the data there: an answer can never hold `min_bytes`.
 *
 * Load-proof: the cluster runs on a simulated clock that moves only when the process is
 * idle, so a fetch that waited out its timeout shows as 10 simulated seconds passed.
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { FetchRequest } from '../../src/protocol/index.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';

const maxWaitMs = 10_000;

const fetch = (minBytes: number, maxBytes: number): FetchRequest => ({
  apiKey: ApiKey.Fetch,
  replicaId: -1,
  maxWaitMs,
  minBytes,
  maxBytes,
  isolationLevel: 0,
  topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
});

it('a fetch whose min_bytes is over fetch.max.bytes or its own max_bytes is answered at once when that much is there', async () => {
  const clock = new SimulatedTimerClock(1_000_000);
  const driver = driveClock(clock);
  try {
    await using cluster = await Cluster.start({ nodes: 1, clock, broker: { fetchMaxBytes: 2048 } });
    await cluster.admin().createTopics([{ name: 't', partitions: 1 }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    // Ten batches of about 1 KB: 10 KB there, more than either cap below.
    for (let i = 0; i < 10; i++) await producer.send('t', [{ value: Buffer.alloc(1000, i) }]);
    await producer.close();
    for (const [minBytes, maxBytes] of [
      [100_000, 1 << 20], // over fetch.max.bytes (2048)
      [100_000, 4096], // over both
      [5000, 3000], // over the request's own max_bytes, under nothing else
    ] as const) {
      const t0 = clock.now();
      const res = await cluster.transport.send(1, fetch(minBytes, maxBytes));
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe('NONE');
      expect(p.records?.length ?? 0).toBeGreaterThan(1000);
      expect([minBytes, maxBytes, clock.now() - t0 < maxWaitMs]).toEqual([minBytes, maxBytes, true]);
    }
  } finally {
    await driver.stop();
  }
}, 120_000);
