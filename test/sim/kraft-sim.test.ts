import { describe, expect, it } from 'vitest';
import { kraftSimMode, runKraftSimulation } from './kraft-sim.js';

// 500 seeds per test run, every tenth in metadata mode (about 3 s together);
// `npm run sim -- --seeds 100000` for long runs (both modes, by seed), and
// `npm run sim -- --seed N` replays one. A failure names its seed.
describe('raft simulation', () => {
  it('keeps every safety invariant and makes progress once faults stop, over 500 seeds', () => {
    let committed = 0;
    let elections = 0;
    let requests = 0;
    let answeredOk = 0;
    let metadataSeeds = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const r = runKraftSimulation(seed);
      committed += r.committed;
      elections += r.leaderElections;
      requests += r.requests;
      answeredOk += r.answeredOk;
      if (r.mode === 'metadata') metadataSeeds++;
    }
    // The runs did something: entries committed and leaders elected across the seeds,
    // and in metadata mode most requests were answered with their response.
    expect(committed).toBeGreaterThan(500 * 10);
    expect(elections).toBeGreaterThan(500);
    expect(metadataSeeds).toBe(50);
    expect(requests).toBeGreaterThan(50 * 20);
    expect(answeredOk).toBeGreaterThan(requests / 2);
  });

  it('runs the metadata composition on every tenth seed', () => {
    expect([1, 9, 10, 20, 21].map(kraftSimMode)).toEqual(['hash', 'hash', 'metadata', 'metadata', 'hash']);
    expect(runKraftSimulation(7, { mode: 'metadata' }).mode).toBe('metadata');
  });

  it('replays a seed exactly, in both modes', () => {
    expect(runKraftSimulation(4242)).toEqual(runKraftSimulation(4242));
    expect(runKraftSimulation(4240)).toEqual(runKraftSimulation(4240));
  });
});
