import { describe, expect, it } from 'vitest';
import { runClientSimulation, type ClientSimResult } from './client-sim.js';

/**
 * 200 seeded runs of the real `ConsumerGroup` (membership, delivery, its consumer) and the
 * real idempotent `Producer` against the real coordinator core and in-memory logs over a
 * simulated network and clock (47 s on the shared machine at load 20). A failure names its seed and prints the command that replays it;
 * CLIENT_SIM_SEED=<n> runs that one seed alone.
 */
const only = process.env['CLIENT_SIM_SEED'];
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: 200 }, (_, i) => i + 1);

describe('consumer group client simulation', () => {
  it(`${seeds.length} seeds: one owner per partition and generation, commits only of processed records, no record written twice, then every send acknowledged and every record processed and committed`, async () => {
    const results: ClientSimResult[] = [];
    for (const seed of seeds) {
      try {
        results.push(await runClientSimulation(seed));
      } catch (err) {
        console.error(String(err instanceof Error ? err.message : err));
        throw err;
      }
    }
    if (only !== undefined) return;
    // The runs must exercise what the invariants are about, or passing proves little.
    const sum = (f: (r: ClientSimResult) => number): number => results.reduce((n, r) => n + f(r), 0);
    expect(new Set(results.map((r) => r.assignor))).toEqual(new Set(['range', 'roundrobin', 'cooperative-sticky']));
    expect(sum((r) => r.records)).toBeGreaterThan(50_000);
    expect(sum((r) => r.commitsSent)).toBeGreaterThan(10_000);
    expect(sum((r) => r.kills)).toBeGreaterThan(200);
    expect(sum((r) => r.closes)).toBeGreaterThan(200);
    expect(sum((r) => r.failovers)).toBeGreaterThan(100);
    expect(sum((r) => r.lost)).toBeGreaterThan(20);
    expect(sum((r) => r.redelivered)).toBeGreaterThan(0);
    // The producer lost sequences (batches expired while it was cut off) and started them over under new epochs.
    expect(sum((r) => r.epochBumps)).toBeGreaterThan(50);
    expect(sum((r) => r.failedSends)).toBeGreaterThan(0);
    expect(sum((r) => r.staticMembers)).toBeGreaterThan(0);
    expect(Math.min(...results.map((r) => r.rebalances))).toBeGreaterThan(0);
  }, 900_000);

  // Seeds past the 200 above that once failed on the group's side: 3801 and six more
  // (cooperative-sticky) left members without partitions when one that missed a generation
  // dropped what its JoinGroup still claimed and did not rejoin; 2189 (roundrobin, static)
  // had an auto-commit queued behind a slow one carry a partition given up meanwhile, under
  // the new generation, moving its new owner's committed offset back.
  it('seeds that once failed after a rebalance: 1122 1616 2169 2189 2566 3709 3801 4503', async () => {
    for (const seed of [1122, 1616, 2169, 2189, 2566, 3709, 3801, 4503]) await runClientSimulation(seed);
  }, 300_000);

  it('a seed replays exactly: the same requests at the same simulated times', async () => {
    for (const seed of [1, 7, 9]) {
      const [a, b] = [await runClientSimulation(seed), await runClientSimulation(seed)];
      expect(b).toEqual(a);
    }
  }, 300_000);
});
