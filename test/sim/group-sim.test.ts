import { describe, expect, it } from 'vitest';
import { runGroupSimulation, type GroupSimResult } from './group-sim.js';

/**
 * 200 seeded runs of the group coordinator with members, faults and failovers (about 3 s).
 * A failure names its seed and prints the command that replays it; GROUP_SIM_SEED=<n>
 * runs that one seed alone.
 */
const only = process.env['GROUP_SIM_SEED'];
const seeds = only !== undefined ? [Number(only)] : Array.from({ length: 200 }, (_, i) => i + 1);

describe('group coordinator simulation', () => {
  it(`${seeds.length} seeds: safety under faults, then the group stabilises`, () => {
    const results: GroupSimResult[] = [];
    for (const seed of seeds) {
      try {
        results.push(runGroupSimulation(seed));
      } catch (err) {
        // The message carries the seed, the run's parameters and the replay command.
        console.error(String(err instanceof Error ? err.message : err));
        throw err;
      }
    }
    if (only !== undefined) return;
    // The runs must exercise what the invariants are about, or passing proves little.
    const sum = (f: (r: GroupSimResult) => number): number => results.reduce((n, r) => n + f(r), 0);
    expect(new Set(results.map((r) => r.assignor))).toEqual(new Set(['range', 'roundrobin', 'sticky', 'cooperative-sticky']));
    expect(sum((r) => r.failovers)).toBeGreaterThan(100);
    expect(sum((r) => r.crashes)).toBeGreaterThan(100);
    expect(sum((r) => r.commits)).toBeGreaterThan(10_000);
    expect(sum((r) => r.resets)).toBeGreaterThan(0);
    expect(sum((r) => r.fencedCommits.UNKNOWN_MEMBER_ID)).toBeGreaterThan(0);
    expect(sum((r) => r.fencedCommits.ILLEGAL_GENERATION + r.fencedCommits.FENCED_INSTANCE_ID)).toBeGreaterThan(0);
    expect(sum((r) => r.staticMembers)).toBeGreaterThan(0);
    expect(Math.min(...results.map((r) => r.generation))).toBeGreaterThan(0);
  });

  it('seeds that found two owners of a partition in one generation: parked followers expiring with the leader (12013), a group deleted and started again from generation 1 (9788, 14338), and a paused member reading a JoinGroup reply of a generation a failover lost (42609, 44782), a leader honouring a claim from a generation its member missed (90666), and a leader SyncGroup of a lost generation whose number came again (25056)', () => {
    for (const seed of [9788, 12013, 14338, 25056, 42609, 44782, 90666]) expect(runGroupSimulation(seed).seed).toBe(seed);
  });

  it('the same seed replays the same run', () => {
    expect(runGroupSimulation(7)).toEqual(runGroupSimulation(7));
  });
});
