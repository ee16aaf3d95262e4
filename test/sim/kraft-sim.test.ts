import { describe, expect, it } from 'vitest';
import { runKraftSimulation } from './kraft-sim.js';

// 500 seeds per test run (about 2 s); `npm run sim -- --seeds 100000` for long runs, and
// `npm run sim -- --seed N` replays one. A failure names its seed.
describe('raft simulation', () => {
  it('keeps every safety invariant and makes progress once faults stop, over 500 seeds', () => {
    let committed = 0;
    let elections = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const r = runKraftSimulation(seed);
      committed += r.committed;
      elections += r.leaderElections;
    }
    // The runs did something: entries committed and leaders elected across the seeds.
    expect(committed).toBeGreaterThan(500 * 10);
    expect(elections).toBeGreaterThan(500);
  });

  it('replays a seed exactly', () => {
    expect(runKraftSimulation(4242)).toEqual(runKraftSimulation(4242));
  });
});
