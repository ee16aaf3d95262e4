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

describe('Producer: single-record calls on the light path (no SendOp)', () => {
  it('answers in call order with offsets and timestamps (own or the send’s), interleaved with array calls; the log holds the same records', async () => {
    const clock = new SimulatedClock();
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { randomSeed: 3 }, clock);
    await producer.send('t', { value: 'warm' });
    const now = clock.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 10 === 5) calls.push(producer.send('t', [{ value: `a${i}` }, { value: `b${i}`, timestamp: 7 }]));
      else calls.push(producer.send('t', i % 3 === 0 ? { value: `v${i}`, timestamp: 1_000 + i } : { value: `v${i}` }));
    }
    const answers = await Promise.all(calls);
    const offsets = answers.flatMap((a) => (Array.isArray(a) ? a : [a]).map((m: { offset: number }) => m.offset));
    expect(offsets).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    const singles = answers.filter((a) => !Array.isArray(a)) as { topic: string; partition: number; offset: number; timestamp: number }[];
    expect(singles[0]).toEqual({ topic: 't', partition: 0, offset: 1, timestamp: 1_000 });
    expect(singles[1]).toEqual({ topic: 't', partition: 0, offset: 2, timestamp: now });
    expect((answers[5] as { timestamp: number }[]).map((m) => m.timestamp)).toEqual([now, 7]);
    const values = (await cluster.records('t', 0)).map((r) => Buffer.from(r.value!).toString());
    expect(values.slice(1, 8)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'a5', 'b5']);
    await producer.close();
  });

  it('a failed batch rejects every single-record call in it with the error, and later calls go on', async () => {
    const clock = new SimulatedClock();
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { randomSeed: 3, acks: 1 }, clock);
    await producer.send('t', { value: 'warm' });
    cluster.inject({ api: 'Produce', kind: 'error', code: 'INVALID_RECORD' });
    const failed = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => producer.send('t', { value: `x${i}` })));
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'fulfilled'))).toEqual(Array(5).fill('INVALID_RECORD'));
    const ok = await producer.send('t', { value: 'after' });
    expect(ok.offset).toBe(1);
    await producer.close();
  });

  it('acks 0: offset -1', async () => {
    const clock = new SimulatedClock();
    const cluster = new FakeCluster({ topics: { t: 1 }, clock });
    const producer = new Producer(cluster, { randomSeed: 3, acks: 0 }, clock);
    const answers = await Promise.all([producer.send('t', { value: 'a' }), producer.send('t', { value: 'b' })]);
    expect(answers.map((a) => a.offset)).toEqual([-1, -1]);
    await producer.close();
  });
});
