import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey, PersistentMap, type MapKey } from './persistent-map.js';

type Op = { kind: 'set'; key: MapKey; value: number } | { kind: 'delete'; key: MapKey } | { kind: 'build' };

// Few distinct keys, so that sets, replacements and deletes of the same key interleave.
// A number that is not a 32-bit integer hashes as its decimal text, so 2**40 + k and
// String(2**40 + k) are distinct keys with equal hashes: full collisions on demand.
const colliding = fc.integer({ min: 0, max: 3 }).chain((k) => fc.constantFrom<MapKey>(2 ** 40 + k, String(2 ** 40 + k)));
const key: fc.Arbitrary<MapKey> = fc.oneof(fc.integer({ min: -5, max: 60 }), fc.string({ maxLength: 3 }), colliding);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.constant({ kind: 'build' as const }),
);

function expectSame(map: PersistentMap<MapKey, number>, model: Map<MapKey, number>): void {
  expect(map.size).toBe(model.size);
  for (const [k, v] of model) expect(map.get(k)).toBe(v);
  const seen = new Map<MapKey, number>();
  map.forEach((v, k) => seen.set(k, v));
  expect(seen).toEqual(model);
  expect(new Map(map.entries())).toEqual(model);
}

describe('PersistentMap', () => {
  it('behaves like a Map, and never changes a map already made', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let map = PersistentMap.empty<MapKey, number>();
        const model = new Map<MapKey, number>();
        const history: [PersistentMap<MapKey, number>, Map<MapKey, number>][] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            map = map.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            map = map.delete(o.key);
            model.delete(o.key);
          }
          history.push([map, new Map(model)]);
        }
        expectSame(map, model);
        for (const [m, snapshot] of history) expectSame(m, snapshot);
      }),
    );
  });

  it('builders mutate only their own nodes: every built map keeps its contents', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const start = PersistentMap.from<MapKey, number>([['a', 1], [2, 2], ['c', 3]]);
        const builder = start.asMutable();
        const model = new Map<MapKey, number>([['a', 1], [2, 2], ['c', 3]]);
        const built: [PersistentMap<MapKey, number>, Map<MapKey, number>][] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            builder.set(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            builder.delete(o.key);
            model.delete(o.key);
          } else {
            built.push([builder.build(), new Map(model)]);
          }
          expect(builder.size).toBe(model.size);
        }
        built.push([builder.build(), new Map(model)]);
        for (const [m, snapshot] of built) expectSame(m, snapshot);
        expectSame(start, new Map<MapKey, number>([['a', 1], [2, 2], ['c', 3]]));
      }),
    );
  });

  it('handles full 32-bit hash collisions', () => {
    // A number key outside the int32/uint32 range hashes as its decimal text.
    const a = 2 ** 40;
    const b = String(2 ** 40);
    expect(hashKey(a)).toBe(hashKey(b));
    let m = PersistentMap.empty<MapKey, string>().set(a, 'num').set(b, 'str').set('x', 'x');
    expect(m.get(a)).toBe('num');
    expect(m.get(b)).toBe('str');
    expect(m.size).toBe(3);
    m = m.set(a, 'num2');
    expect(m.get(a)).toBe('num2');
    expect(m.size).toBe(3);
    const n = m.delete(b);
    expect(n.get(b)).toBeUndefined();
    expect(n.get(a)).toBe('num2');
    expect(n.size).toBe(2);
    expect(m.get(b)).toBe('str');
    const e = n.delete(a).delete('x');
    expect(e.size).toBe(0);
    expect([...e]).toEqual([]);
  });

  it('returns the same map when nothing changes', () => {
    const m = PersistentMap.from<string, number>([['a', 1]]);
    expect(m.set('a', 1)).toBe(m);
    expect(m.delete('zz')).toBe(m);
  });

  it('copies only a path: setting one key in a map of 100,000 shares almost every node', () => {
    const b = PersistentMap.empty<number, number>().asMutable();
    for (let i = 0; i < 100_000; i++) b.set(i, i);
    const m = b.build();
    const m2 = m.set(5, -5);
    // Count nodes of m2 not shared with m.
    const nodesOf = (map: PersistentMap<number, number>): Set<unknown> => {
      const out = new Set<unknown>();
      const walk = (node: { array: unknown[] }): void => {
        out.add(node);
        for (let i = 0; i < node.array.length; i += 2) if (node.array[i] === undefined) walk(node.array[i + 1] as { array: unknown[] });
      };
      if (map.root) walk(map.root);
      return out;
    };
    const before = nodesOf(m);
    const fresh = [...nodesOf(m2)].filter((n) => !before.has(n));
    expect(fresh.length).toBeLessThanOrEqual(5);
    expect(m.get(5)).toBe(5);
    expect(m2.get(5)).toBe(-5);
  });
});
