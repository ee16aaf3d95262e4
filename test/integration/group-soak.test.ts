/**
 * A consumer group soaked over many delivered batches keeps a flat heap: nothing of a
 * batch outlives its delivery. (Each delivery used to be raced against a promise that
 * never settled, which kept every batch, records and bytes, alive: +35 MiB per 100,000
 * small records.) Counted in rounds of records, measured after a full GC, never timed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

// On simulated time: heartbeats, long polls and the wait for deliveries in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

// The test worker does not run with --expose-gc: take the function from a fresh context.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap and buffers in use after full collections, in MiB. */
function usedMiB(): number {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 2 ** 20;
}

describe('consumer group soak', () => {
  it('20 rounds of 2,000 records of 1 KiB through eachBatch: memory after GC stays flat', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'soak', partitions: 4 }]);
    const producer = cluster.producer();
    const value = new Uint8Array(1024).fill(7);
    let delivered = 0;
    let batches = 0;
    const group = cluster.consumerGroup({ groupId: 'soak', topics: ['soak'], from: 'earliest', maxWaitMs: 20 });
    const running = group.run({
      eachBatch: (b) => {
        batches++;
        delivered += b.records.length;
      },
    });
    const rounds = 20;
    const perRound = 2000;
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perRound; i += 200) await producer.send('soak', Array.from({ length: 200 }, (_, j) => ({ key: `k${i + j}`, value })));
      const target = (round + 1) * perRound;
      await sim.until(`${target} records delivered`, () => delivered >= target);
      samples.push(usedMiB());
    }
    await group.close();
    await running;
    const settled = samples.slice(4); // after warm-up (caches, JIT, the first segments)
    const growth = settled[settled.length - 1]! - Math.min(...settled);
    console.log(`soak: ${delivered} records in ${batches} batches; MiB after GC per round: ${samples.map((s) => s.toFixed(1)).join(' ')}; growth after warm-up ${growth.toFixed(1)} MiB`);
    // The batches delivered after warm-up hold 32 MiB of values: a leak of them shows many times over this bound.
    expect(growth).toBeLessThan(8);
  }, 300_000);
});
