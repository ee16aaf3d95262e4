import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsrState } from './isr.js';

describe('IsrState', () => {
  it('advances the high watermark to the smallest log end offset over the ISR', () => {
    const s = new IsrState(1, [1, 2, 3], [1, 2, 3], 0, 0, 0);
    expect(s.onFollowerFetch(2, 10, 1, 10)).toBe(false); // 3 has fetched nothing yet
    expect(s.onFollowerFetch(3, 7, 1, 10)).toBe(true);
    expect(s.highWatermark).toBe(7);
    s.onFollowerFetch(3, 10, 2, 12);
    expect(s.highWatermark).toBe(10);
    expect(s.acksAllComplete(9)).toBe(true);
    expect(s.acksAllComplete(10)).toBe(false);
  });

  it('counts a follower as caught up when it reaches what the leader had at its previous fetch', () => {
    const s = new IsrState(1, [1, 2], [1, 2], 0, 0, 0);
    s.onFollowerFetch(2, 0, 100, 50); // behind
    s.onFollowerFetch(2, 50, 200, 80); // reached the 50 the leader had at t=100
    expect(s.follower(2)!.lastCaughtUpMs).toBe(100);
    s.onFollowerFetch(2, 80, 300, 80);
    expect(s.follower(2)!.lastCaughtUpMs).toBe(300);
  });

  it('proposes to drop a lagging follower and to re-admit it once caught up', () => {
    const s = new IsrState(1, [1, 2, 3], [1, 2, 3], 0, 0, 0);
    s.onFollowerFetch(2, 100, 1_000, 100);
    s.onFollowerFetch(3, 10, 1_000, 100);
    expect(s.shrinkProposal(20_000, 30_000)).toBeUndefined();
    expect(s.shrinkProposal(31_000, 30_000)).toEqual([1, 2]);
    s.setIsr([1, 2], 100);
    expect(s.admitsAcksAll(3)).toBe(false);
    expect(s.admitsAcksAll(2)).toBe(true);
    expect(s.expandProposal(3)).toBeUndefined(); // log end 10 < high watermark 100
    s.onFollowerFetch(3, 100, 32_000, 100);
    expect(s.expandProposal(3)).toEqual([1, 2, 3]);
  });

  it('never moves the high watermark backwards, whatever the fetches (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ replica: fc.constantFrom(2, 3), offset: fc.nat(100), leo: fc.nat(100), shrink: fc.boolean() })), (steps) => {
        const s = new IsrState(1, [1, 2, 3], [1, 2, 3], 0, 0, 0);
        let prev = s.highWatermark;
        let now = 0;
        let leo = 0;
        for (const st of steps) {
          leo = Math.max(leo, st.leo);
          now += 100;
          s.onFollowerFetch(st.replica, Math.min(st.offset, leo), now, leo);
          if (st.shrink) {
            const p = s.shrinkProposal(now, 250);
            if (p) s.setIsr(p, leo);
          }
          expect(s.highWatermark).toBeGreaterThanOrEqual(prev);
          expect(s.highWatermark).toBeLessThanOrEqual(leo);
          prev = s.highWatermark;
        }
      }),
    );
  });
});
