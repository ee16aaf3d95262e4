/**
 * A fetch that waits for data (Kafka's delayed fetch) never misses an append made while
 * it was reading its partitions. The read spans several microtasks; an append that landed
 * between the read and the wait found no waiter to wake, and the fetch slept out its whole
 * `maxWaitMs` with the data there (a follower: `replica.fetch.wait.max.ms`, and every
 * acks=all produce behind it waited as long). src/broker/wakeups.ts has the fix.
 *
 * Load-proof: the cluster runs on a simulated clock that moves only when the process is
 * idle, so a fetch that waited out its timeout shows as 10 simulated seconds passed, not as
 * a wall-clock bound. The produce is started 0 to 79 microtasks after the fetch, which
 * walks it across the fetch's read (before the fix, 2 to 6 of the 80 landed in the gap,
 * which ones varying from run to run).
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { FetchRequest } from '../../src/protocol/index.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';

const maxWaitMs = 10_000;

function fetchFrom(offset: number): FetchRequest {
  return {
    apiKey: ApiKey.Fetch,
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  };
}

it('a waiting fetch is answered by an append made while it read, at any interleaving', async () => {
  const clock = new SimulatedTimerClock(1_000_000);
  const driver = driveClock(clock);
  const waitedOut: number[] = [];
  try {
    await using cluster = await Cluster.start({ nodes: 1, clock });
    await cluster.admin().createTopics([{ name: 't', partitions: 1 }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    let next = (await producer.send('t', [{ value: 'first' }]))[0]!.offset + 1;
    for (let d = 0; d < 80; d++) {
      const t0 = clock.now();
      const fetched = cluster.transport.send(1, fetchFrom(next));
      for (let i = 0; i < d; i++) await Promise.resolve();
      const [res, sent] = await Promise.all([fetched, producer.send('t', [{ value: `v${d}` }])]);
      expect(sent[0]!.offset).toBe(next);
      next++;
      // The answer holds the record: the fetch woke (at once, or when its timeout fired).
      expect(res.responses[0]!.partitions[0]!.records?.length ?? 0).toBeGreaterThan(0);
      if (clock.now() - t0 >= maxWaitMs) waitedOut.push(d);
    }
    await producer.close();
  } finally {
    await driver.stop();
  }
  expect(waitedOut).toEqual([]);
}, 120_000);
