import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { StickyPartitioner, partitionForKey } from './partitioner.js';
import { serdes } from './serde.js';

describe('partitionForKey', () => {
  // toPositive(murmur2(utf8(key))) % 100, from the Java values of murmur2 for these keys.
  it.each([
    ['1', (-1993445489 & 0x7fffffff) % 100],
    ['12', 126087238 % 100],
    ['0', 971027396 % 100],
  ])('puts %j where the Java client does', (key, expected) => {
    expect(partitionForKey(Buffer.from(key), 100)).toBe(expected);
  });
  it('is always within range', () => {
    fc.assert(fc.property(fc.uint8Array(), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
      const p = partitionForKey(key, n);
      expect(Number.isInteger(p) && p >= 0 && p < n).toBe(true);
    }));
  });
});

describe('StickyPartitioner', () => {
  it('keeps null-key records on one partition for a batch, then moves', () => {
    const p = new StickyPartitioner(new Rng(1), 1000);
    const first = p.partition('t', null, 6, 100);
    for (let i = 0; i < 9; i++) expect(p.partition('t', null, 6, 100)).toBe(first);
    expect(p.partition('t', null, 6, 100)).not.toBe(first);
  });
  it('sends keyed records by murmur2 regardless of stickiness', () => {
    const p = new StickyPartitioner(new Rng(1));
    expect(p.partition('t', Buffer.from('12'), 100, 10)).toBe(38);
  });
  it('spreads null-key records over every partition in the long run', () => {
    const p = new StickyPartitioner(new Rng(9), 100);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(p.partition('t', null, 5, 100));
    expect(seen.size).toBe(5);
  });
});

describe('serdes', () => {
  it('round-trip JSON, strings and bytes', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const s = serdes.json<unknown>();
      expect(s.deserialize(s.serialize(v))).toEqual(JSON.parse(JSON.stringify(v)));
    }));
    expect(serdes.string().deserialize(serdes.string().serialize('héllo'))).toBe('héllo');
    const b = new Uint8Array([1, 2, 3]);
    expect(serdes.bytes().deserialize(serdes.bytes().serialize(b))).toBe(b);
  });
  it('raise typed errors on bad input', () => {
    expect(() => serdes.json().serialize(undefined)).toThrowError(expect.objectContaining({ code: 'INVALID_RECORD' }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => serdes.json().serialize(cyclic)).toThrowError(expect.objectContaining({ code: 'INVALID_RECORD' }));
    expect(() => serdes.json().deserialize(Buffer.from('{nope'))).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
    expect(() => serdes.string().deserialize(new Uint8Array([0xff, 0xfe]))).toThrowError(expect.objectContaining({ code: 'CORRUPT_MESSAGE' }));
  });
});
