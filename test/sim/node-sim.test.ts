import { describe, expect, it } from 'vitest';
import { runNodeSimulation, type NodeSimResult } from './node-sim.js';

/**
 * Seeded runs of three real `ClusterNode`s (Raft, controller, broker) with the real
 * `Admin`, idempotent `Producer` and `Consumer`, on a simulated clock and a lossy simulated
 * network, one node killed mid-production (and in some runs restarted): every acknowledged
 * record read back where it was acknowledged, per-key order kept, no record twice, no send
 * failed. A failure names its seed and the command that
 * replays it; NODE_SIM_SEED=<n> runs that one seed alone; `npm run sim -- --only nodes --seeds N`
 * runs any number (seeds 1-300 pass; about 0.35 s a seed idle). Mutation check:
 * acknowledging an acks=all produce at the leader's log end instead of the high watermark
 * (`Partition.completeAcks`) fails 6 of seeds 1-40 (seed 11: "acknowledged record 56 at
 * 2:56 is record 58 there"; seed 5: acknowledged offsets never readable).
 */
const only = process.env['NODE_SIM_SEED'];
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: 20 }, (_, i) => i + 1);

describe('node simulation', () => {
  it(`${seeds.length} seeds: an election, a topic, keyed acks=all sends over a lossy network with a node killed (and restarted), every acknowledged record read back in per-key order`, async () => {
    const results: NodeSimResult[] = [];
    for (const seed of seeds) {
      try {
        results.push(await runNodeSimulation(seed));
      } catch (err) {
        console.error(String(err instanceof Error ? err.message : err));
        throw err;
      }
    }
    if (only !== undefined) return;
    // The runs must exercise what the invariants are about.
    expect(results.reduce((n, r) => n + r.acked, 0)).toBeGreaterThan(2000);
    expect(new Set(results.map((r) => r.killed)).size).toBe(3);
    // Some runs kill the active controller (a new one is elected mid-production), some a follower.
    expect(results.filter((r) => r.killedController).length).toBeGreaterThan(0);
    expect(results.filter((r) => !r.killedController).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.restarted).length).toBeGreaterThan(0);
    expect(results.reduce((n, r) => n + r.lost, 0)).toBeGreaterThan(20);
  }, 600_000);

  it('a seed replays exactly: the same acknowledgements at the same simulated times', async () => {
    const [a, b] = [await runNodeSimulation(3), await runNodeSimulation(3)];
    expect(b).toEqual(a);
  }, 300_000);
});
