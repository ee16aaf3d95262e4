import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaderEpochCache } from './leader-epoch-cache.js';

const cacheOf = (...pairs: [number, number][]): LeaderEpochCache => new LeaderEpochCache(pairs.map(([epoch, startOffset]) => ({ epoch, startOffset })));
const pairsOf = (c: LeaderEpochCache): [number, number][] => c.entries.map((e) => [e.epoch, e.startOffset]);

describe('LeaderEpochCache.endOffsetFor (Kafka LeaderEpochFileCache semantics)', () => {
  // Epoch 0 wrote 0-4, epoch 2 wrote 5-9, epoch 5 writes from 10; the log ends at 14.
  const c = cacheOf([0, 0], [2, 5], [5, 10]);

  it('answers the end of an epoch with the start of the next one', () => {
    expect(c.endOffsetFor(0, 14)).toEqual({ epoch: 0, endOffset: 5 });
    expect(c.endOffsetFor(2, 14)).toEqual({ epoch: 2, endOffset: 10 });
  });

  it('answers the latest epoch with the log end offset', () => {
    expect(c.endOffsetFor(5, 14)).toEqual({ epoch: 5, endOffset: 14 });
    expect(c.endOffsetFor(5, 99)).toEqual({ epoch: 5, endOffset: 99 });
  });

  it('answers an epoch that never wrote here with the largest epoch below it', () => {
    expect(c.endOffsetFor(1, 14)).toEqual({ epoch: 0, endOffset: 5 });
    expect(c.endOffsetFor(3, 14)).toEqual({ epoch: 2, endOffset: 10 });
    expect(c.endOffsetFor(4, 14)).toEqual({ epoch: 2, endOffset: 10 });
  });

  it('answers an epoch older than the earliest with that epoch and the earliest start (KIP-279)', () => {
    const trimmed = cacheOf([3, 20], [4, 30]);
    expect(trimmed.endOffsetFor(1, 40)).toEqual({ epoch: 1, endOffset: 20 });
    expect(trimmed.endOffsetFor(2, 40)).toEqual({ epoch: 2, endOffset: 20 });
  });

  it('answers undefined (-1, -1) for an unknown epoch, a newer epoch or an empty cache', () => {
    expect(c.endOffsetFor(-1, 14)).toEqual({ epoch: -1, endOffset: -1 });
    expect(c.endOffsetFor(6, 14)).toEqual({ epoch: -1, endOffset: -1 });
    expect(new LeaderEpochCache().endOffsetFor(0, 0)).toEqual({ epoch: -1, endOffset: -1 });
  });

  it('knows the epoch of each offset', () => {
    expect([0, 4, 5, 9, 10, 13].map((o) => c.epochForOffset(o))).toEqual([0, 0, 2, 2, 5, 5]);
    expect(cacheOf([1, 5]).epochForOffset(4)).toBeUndefined();
  });
});

describe('LeaderEpochCache.assign', () => {
  it('appends a newer epoch and ignores the same epoch at a later offset', () => {
    const c = new LeaderEpochCache();
    expect(c.assign(0, 0)).toBe(true);
    expect(c.assign(0, 3)).toBe(false);
    expect(c.assign(2, 5)).toBe(true);
    expect(pairsOf(c)).toEqual([
      [0, 0],
      [2, 5],
    ]);
    expect(c.latestEpoch).toBe(2);
  });

  it('moves the latest epoch back to an earlier start', () => {
    const c = cacheOf([0, 0], [2, 5]);
    expect(c.assign(2, 3)).toBe(true);
    expect(pairsOf(c)).toEqual([
      [0, 0],
      [2, 3],
    ]);
  });

  it('drops entries that would break monotonicity', () => {
    // A newer epoch that started later is removed by an older epoch starting earlier.
    const c = cacheOf([1, 0], [3, 10]);
    expect(c.assign(2, 5)).toBe(true);
    expect(pairsOf(c)).toEqual([
      [1, 0],
      [2, 5],
    ]);
    // A newer epoch at an offset at or below existing starts removes those entries.
    const d = cacheOf([1, 0], [3, 10]);
    expect(d.assign(4, 10)).toBe(true);
    expect(pairsOf(d)).toEqual([
      [1, 0],
      [4, 10],
    ]);
  });

  it('keeps entries increasing in epoch and start offset, whatever is assigned (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(100))), (assigns) => {
        const c = new LeaderEpochCache();
        for (const [e, o] of assigns) {
          c.assign(e, o);
          const list = c.entries;
          for (let i = 1; i < list.length; i++) {
            expect(list[i]!.epoch).toBeGreaterThan(list[i - 1]!.epoch);
            expect(list[i]!.startOffset).toBeGreaterThan(list[i - 1]!.startOffset);
          }
          // The entry just assigned is always the latest.
          expect(c.latestEntry).toEqual({ epoch: e, startOffset: list[list.length - 1]!.startOffset });
        }
      }),
    );
  });
});

describe('LeaderEpochCache truncation', () => {
  it('truncateFromEnd removes entries starting at or after the offset', () => {
    const c = cacheOf([0, 0], [2, 5], [5, 10]);
    expect(c.truncateFromEnd(11)).toBe(false);
    expect(c.truncateFromEnd(10)).toBe(true);
    expect(pairsOf(c)).toEqual([
      [0, 0],
      [2, 5],
    ]);
    expect(c.truncateFromEnd(6)).toBe(false);
    expect(c.truncateFromEnd(0)).toBe(true);
    expect(c.isEmpty).toBe(true);
  });

  it('truncateFromStart keeps the epoch in force at the new start, starting there', () => {
    const c = cacheOf([0, 0], [2, 5], [5, 10]);
    expect(c.truncateFromStart(0)).toBe(false);
    expect(c.truncateFromStart(7)).toBe(true);
    expect(pairsOf(c)).toEqual([
      [2, 7],
      [5, 10],
    ]);
    expect(c.truncateFromStart(10)).toBe(true);
    expect(pairsOf(c)).toEqual([[5, 10]]);
    expect(c.truncateFromStart(12)).toBe(true);
    expect(pairsOf(c)).toEqual([[5, 12]]);
    expect(cacheOf([3, 20]).truncateFromStart(10)).toBe(false);
  });

  it('answers endOffsetFor like a reference built from the epoch of every offset (property)', () => {
    // A log as a list of per-offset epochs (non-decreasing); the cache built from it must
    // answer every query as a direct scan of the offsets does.
    fc.assert(
      fc.property(fc.array(fc.nat(3), { maxLength: 40 }), fc.nat(12), (steps, asked) => {
        const epochs: number[] = [];
        let e = 0;
        for (const s of steps) {
          e += s === 3 ? 1 : 0;
          epochs.push(e * 2);
        }
        const c = new LeaderEpochCache();
        epochs.forEach((ep, offset) => c.assign(ep, offset));
        const leo = epochs.length;
        const got = c.endOffsetFor(asked, leo);
        const floor = epochs.filter((x) => x <= asked);
        if (leo === 0 || asked > epochs[leo - 1]!) {
          expect(got).toEqual({ epoch: -1, endOffset: -1 });
        } else if (floor.length === 0) {
          expect(got).toEqual({ epoch: asked, endOffset: 0 });
        } else {
          const ep = Math.max(...floor);
          const end = epochs.findIndex((x) => x > ep);
          expect(got).toEqual({ epoch: ep, endOffset: end < 0 ? leo : end });
        }
      }),
    );
  });
});
