import { describe, expect, it } from 'vitest';
import { ProcessedOffsets } from './processed-offsets.js';

describe('ProcessedOffsets', () => {
  it('a noted offset is seen by every read, and every write comes after it, as a set a record would', () => {
    const m = new ProcessedOffsets();
    m.note('a', 1);
    m.note('a', 2);
    expect(m.get('a')).toBe(2);
    m.note('a', 3);
    expect([...m]).toEqual([['a', 3]]);
    m.note('a', 4);
    m.set('a', 10); // a seek after records were processed: the seek's offset wins
    expect(m.get('a')).toBe(10);
    m.note('a', 11);
    m.note('b', 5); // another partition: the first one's offset is taken in
    expect(Object.fromEntries(m.entries())).toEqual({ a: 11, b: 5 });
    m.note('b', 6);
    expect(m.delete('b')).toBe(true); // a revoke after records were processed: gone, not brought back
    expect(m.has('b')).toBe(false);
    expect(m.size).toBe(1);
    m.note('c', 1);
    const seen: string[] = [];
    m.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual(['a=11', 'c=1']);
    m.note('c', 2);
    m.clear();
    expect(m.size).toBe(0);
    expect([...m.keys(), ...m.values()]).toEqual([]);
  });
});
