import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexEntries, ceilingSlot, floorSlot, parseSegmentFileName, segmentFileStem } from './offset-index.js';

describe('floorSlot and ceilingSlot', () => {
  it('match a linear scan for every sorted array and target', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), (raw, target) => {
        const keys = [...new Set(raw)].sort((a, b) => a - b);
        let floor = -1;
        keys.forEach((k, i) => {
          if (k <= target) floor = i;
        });
        const ceiling = keys.findIndex((k) => k >= target);
        expect(floorSlot(keys, keys.length, target)).toBe(floor);
        expect(ceilingSlot(keys, keys.length, target)).toBe(ceiling === -1 ? keys.length : ceiling);
      }),
    );
  });
  it('handle the worked examples', () => {
    expect(floorSlot([0, 10, 20], 3, 15)).toBe(1);
    expect(floorSlot([0, 10, 20], 3, 20)).toBe(2);
    expect(floorSlot([0, 10, 20], 3, -1)).toBe(-1);
    expect(floorSlot([], 0, 5)).toBe(-1);
    expect(ceilingSlot([0, 10, 20], 3, 21)).toBe(3);
  });
});

describe('IndexEntries', () => {
  it('grows and truncates', () => {
    const e = new IndexEntries(2);
    for (let i = 0; i < 100; i++) e.push(i * 10, i * 100);
    expect(e.length).toBe(100);
    e.truncateFromKey(505);
    expect(e.lastKey()).toBe(500);
    e.truncateFromKey(500);
    expect(e.lastKey()).toBe(490);
    e.truncateFromValue(4000);
    expect(e.lastValue()).toBe(3900);
  });
});

describe('segment file names', () => {
  it('round-trip', () => {
    expect(segmentFileStem(42)).toBe('00000000000000000042');
    expect(parseSegmentFileName('00000000000000000042.log')).toEqual({ baseOffset: 42, suffix: 'log' });
    expect(parseSegmentFileName('00000000000000000042.log.cleaned')).toEqual({ baseOffset: 42, suffix: 'log.cleaned' });
    expect(parseSegmentFileName('0042.log')).toBeUndefined();
    expect(parseSegmentFileName('.lock')).toBeUndefined();
  });
});
