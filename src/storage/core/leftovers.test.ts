import { describe, expect, it } from 'vitest';
import { orphanIndexFiles, planLeftovers, segmentsReplacedBySwap } from './leftovers.js';

const seg = (base: number, suffix: string) => `${String(base).padStart(20, '0')}.${suffix}`;

describe('planLeftovers', () => {
  it('discards unfinished cleans and writes, completes committed swaps, leaves everything else', () => {
    const names = [
      seg(0, 'log'),
      seg(0, 'index'),
      seg(0, 'log.cleaned'),
      seg(0, 'index.cleaned'),
      seg(100, 'log'),
      seg(100, 'log.swap'),
      seg(100, 'timeindex.swap'),
      seg(50, 'log.swap'),
      seg(200, 'log.deleted'),
      seg(200, 'index.deleted'),
      'leader-epoch-checkpoint',
      'leader-epoch-checkpoint.tmp',
      '.lock',
      '.lock.4242.tmp',
      'unrelated.txt',
    ];
    const plan = planLeftovers(names);
    expect([...plan.remove].sort()).toEqual(
      [seg(0, 'log.cleaned'), seg(0, 'index.cleaned'), seg(100, 'timeindex.swap'), seg(200, 'log.deleted'), seg(200, 'index.deleted'), 'leader-epoch-checkpoint.tmp'].sort(),
    );
    expect(plan.swaps).toEqual([50, 100]);
  });

  it('is the same whatever order the folder lists its files in', () => {
    const names = [seg(7, 'log.swap'), seg(3, 'log.swap'), seg(3, 'log.cleaned'), 'x.tmp', seg(3, 'log')];
    const a = planLeftovers(names);
    const b = planLeftovers([...names].reverse());
    expect(a.swaps).toEqual(b.swaps);
    expect([...a.remove].sort()).toEqual([...b.remove].sort());
  });
});

describe('segmentsReplacedBySwap', () => {
  it('follows the worked example', () => {
    expect(segmentsReplacedBySwap([0, 100, 250, 400], 100, 400)).toEqual([100, 250]);
    expect(segmentsReplacedBySwap([0, 100, 250, 400], 100, 401)).toEqual([100, 250, 400]);
    expect(segmentsReplacedBySwap([0, 400], 100, 400)).toEqual([]);
  });
});

describe('orphanIndexFiles', () => {
  it('finds indexes whose log is gone', () => {
    expect(orphanIndexFiles([seg(0, 'log'), seg(0, 'index'), seg(0, 'timeindex'), seg(5, 'index'), seg(9, 'timeindex'), seg(9, 'log.swap')])).toEqual([
      seg(5, 'index'),
      seg(9, 'timeindex'),
    ]);
  });
});
