import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { SimulatedClock } from '../util/clock.js';
import { Producer } from './producer.js';

/** A simulated clock that counts its monotonic readings. */
class CountingClock extends SimulatedClock {
  monotonicReads = 0;
  override monotonic(): number {
    this.monotonicReads++;
    return super.monotonic();
  }
}

describe('Producer: metadata age checked once per synchronous run of sends', () => {
  it('reads the monotonic clock a few times, not once a send, for 1,000 sends in one run', async () => {
    const clock = new CountingClock();
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { randomSeed: 3 }, clock);
    await producer.send('t', { value: 'warm' });
    const before = clock.monotonicReads;
    const sends = Array.from({ length: 1_000 }, (_, i) => producer.send('t', { value: `v${i}` }));
    const sendReads = clock.monotonicReads - before;
    const results = await Promise.all(sends);
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(sendReads).toBeLessThan(20);
    await producer.close();
  });

  it('refreshes metadata older than metadataMaxAgeMs at the first send of a later run', async () => {
    const clock = new SimulatedClock();
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { randomSeed: 3, metadataMaxAgeMs: 60_000 }, clock);
    await producer.send('t', { value: 'a' });
    await producer.send('t', { value: 'b' });
    const before = cluster.stats.requests.Metadata;
    expect(cluster.stats.requests.Metadata).toBe(before);
    clock.advance(60_001);
    await producer.send('t', { value: 'c' });
    await producer.flush();
    expect(cluster.stats.requests.Metadata).toBe(before + 1);
    await producer.close();
  });
});
