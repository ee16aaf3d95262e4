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
 * 2:56 is record 58 there"; seed 5: acknowledged offsets never readable). The producer's
 * sequence rules (`sender.ts` `runOnce`): counting only batches in flight, not those from
 * the oldest unanswered one, writes records twice in 7 of seeds 1-100 (seed 75: 15);
 * sending a partition's first batch under a producer id with others behind it reorders a
 * key in seeds 6 and 29 ("key k0: record 0 (acknowledged) at 0:4 read after record 112").
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

  it('seeds that each found a bug: 6 (a lost first batch: OUT_OF_ORDER_SEQUENCE_NUMBER), 17 (a record written twice), 185 and 241 (a lost OpenReplica: acks=all stalled), 501, 972 and 806 (a follower never told to open by a new leader whose replica was already open: the group never settled; NOT_ENOUGH_REPLICAS for good)', async () => {
    for (const seed of [6, 17, 185, 241, 501, 972, 806]) {
      const r = await runNodeSimulation(seed);
      expect(r.failures).toEqual({});
      expect(r.duplicates).toBe(0);
    }
  }, 300_000);

  it('a seed replays exactly: the same acknowledgements at the same simulated times', async () => {
    const [a, b] = [await runNodeSimulation(3), await runNodeSimulation(3)];
    expect(b).toEqual(a);
  }, 300_000);
});
