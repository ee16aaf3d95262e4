import { describe, expect, it } from 'vitest';
import { replayCommand, runReplicationSimulation } from './replication-sim.js';

/**
 * Seeded replication simulations (see replication-sim.ts). `REPLICATION_SIM_SEED=<n>`
 * runs that one seed (the replay command a failure prints); `REPLICATION_SIM_SEEDS=<n>`
 * runs that many.
 */
const only = process.env.REPLICATION_SIM_SEED;
const seedCount = Number(process.env.REPLICATION_SIM_SEEDS ?? 100);
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: seedCount }, (_, i) => i + 1);

describe('replication simulation', () => {
  it(`keeps every acknowledged record and converges (${seeds.length} seeds)`, () => {
    const totals = { acked: 0, crashes: 0, truncations: 0, leaderChanges: 0, consumed: 0, power: 0, sizes: new Set<number>() };
    for (const seed of seeds) {
      let r;
      try {
        r = runReplicationSimulation(seed);
      } catch (err) {
        console.error(`replication simulation seed ${seed} failed; replay with: ${replayCommand(seed)}`);
        throw err;
      }
      totals.acked += r.acked;
      totals.crashes += r.crashes;
      totals.truncations += r.truncations;
      totals.leaderChanges += r.leaderChanges;
      totals.consumed += r.consumed;
      totals.power += r.crashModel === 'power' ? 1 : 0;
      totals.sizes.add(r.brokers);
    }
    if (only === undefined && seeds.length >= 50) {
      // The seeds exercise what they claim to: crashes, both crash models, every cluster
      // size, leader changes and divergent tails truncated.
      expect(totals.sizes).toEqual(new Set([1, 3, 5]));
      expect(totals.power).toBeGreaterThan(0);
      expect(totals.power).toBeLessThan(seeds.length);
      expect(totals.crashes).toBeGreaterThan(0);
      expect(totals.truncations).toBeGreaterThan(0);
      expect(totals.leaderChanges).toBeGreaterThan(seeds.length);
      expect(totals.acked).toBeGreaterThan(seeds.length * 20);
      expect(totals.consumed).toBeGreaterThan(0);
    }
  });

  it('fixed sizes: 1, 3 and 5 brokers, under both crash models', () => {
    for (const brokers of [1, 3, 5]) {
      for (const crashModel of ['process', 'power'] as const) {
        const r = runReplicationSimulation(1000 + brokers, { brokers, crashModel });
        expect(r.brokers).toBe(brokers);
        expect(r.acked).toBeGreaterThan(0);
      }
    }
  });
});
