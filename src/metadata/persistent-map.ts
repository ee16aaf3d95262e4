/**
 * An immutable hash map with structural sharing: a hash array mapped trie (Bagwell's HAMT,
 * as in Clojure's `PersistentHashMap` and Kafka's `ImmutableMap` from pcollections/vavr).
 *
 * Why the metadata image needs one: the image is immutable, and every record makes a new
 * image. With a plain `Map` of 100,000 topics, one PartitionChange would copy 100,000
 * entries (measured here: about 40 ms a copy); a broker failure that moves 30,000
 * leaders, applied one record at a time, would spend 20 minutes copying. A HAMT copies
 * only the path from the root to the changed entry: 32-way branching means at most 7
 * levels for 32-bit hashes and about 4 for 100,000 keys, so `set` copies about 4 arrays
 * of at most 32 slots (persistent-map.test.ts counts them).
 *
 * Bulk changes use a {@link PersistentMapBuilder} (Clojure's "transient"): nodes created by
 * the builder carry its edit token and are mutated in place by later changes through the
 * same builder, so building a map of n entries allocates O(n) rather than O(n log n).
 * `build()` retires the token, so the built map is never mutated afterwards.
 *
 * Keys are strings or numbers (topic ids and names, broker ids), compared with `===`.
 * Iteration order is the hash order: deterministic for a given set of keys, not insertion.
 */
import { assert } from '../util/assert.js';

export type MapKey = string | number;

/** A token identifying the builder allowed to mutate a node in place. */
interface Edit {
  readonly id: number;
}

let editIds = 0;
function newEdit(): Edit {
  return { id: ++editIds };
}

/**
 * A node of 1 to 32 slots, each a key and value pair or a child node. `array` holds the
 * slots as pairs: `[key, value]`, or `[undefined, child]` for a child node, so a slot
 * costs two array elements and no object of its own.
 */
export class BitmapNode {
  constructor(
    public edit: Edit | null,
    public bitmap: number,
    public array: unknown[],
  ) {}
}

/** The keys whose full 32-bit hashes are equal: a list of pairs, searched linearly. */
export class CollisionNode {
  constructor(
    public edit: Edit | null,
    readonly hash: number,
    public array: unknown[],
  ) {}
}

/** @internal */
export type Node = BitmapNode | CollisionNode;

const bitsPerLevel = 5;
const levelMask = 31;

/** A 32-bit hash of a key: FNV-1a over the UTF-16 code units, then murmur3's finalizer to spread the bits. */
export function hashKey(key: MapKey): number {
  let h: number;
  if (typeof key === 'number' && Number.isInteger(key) && key >= -0x80000000 && key <= 0xffffffff) {
    h = key | 0;
  } else {
    // Strings, and numbers that are not 32-bit integers (hashed as their decimal text).
    const text = typeof key === 'string' ? key : String(key);
    h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function bitCount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function editable(node: Node, edit: Edit | null): boolean {
  return edit !== null && node.edit === edit;
}

/** Sets `array[i] = v` in place if the node is the builder's, else in a copy. */
function withSlot(node: BitmapNode, edit: Edit | null, i: number, v: unknown): BitmapNode {
  if (editable(node, edit)) {
    node.array[i] = v;
    return node;
  }
  const array = node.array.slice();
  array[i] = v;
  return new BitmapNode(edit, node.bitmap, array);
}

function get(root: Node | null, hash: number, key: MapKey): unknown {
  let node = root;
  let shift = 0;
  while (node !== null) {
    if (node instanceof CollisionNode) {
      if (node.hash !== hash) return undefined;
      const a = node.array;
      for (let i = 0; i < a.length; i += 2) if (a[i] === key) return a[i + 1];
      return undefined;
    }
    const bit = 1 << ((hash >>> shift) & levelMask);
    if ((node.bitmap & bit) === 0) return undefined;
    const i = 2 * bitCount(node.bitmap & (bit - 1));
    const k = node.array[i];
    if (k === undefined) {
      node = node.array[i + 1] as Node;
      shift += bitsPerLevel;
      continue;
    }
    return k === key ? node.array[i + 1] : undefined;
  }
  return undefined;
}

interface Change {
  /** Set when the operation added or removed a key (as opposed to replacing a value or doing nothing). */
  sizeChanged: boolean;
}

function pairNode(edit: Edit | null, shift: number, k1: MapKey, v1: unknown, h2: number, k2: MapKey, v2: unknown): Node {
  const h1 = hashKey(k1);
  if (h1 === h2) return new CollisionNode(edit, h1, [k1, v1, k2, v2]);
  const change: Change = { sizeChanged: false };
  const empty = new BitmapNode(edit, 0, []);
  const one = assoc(empty, edit, shift, h1, k1, v1, change);
  return assoc(one, edit, shift, h2, k2, v2, change);
}

function assoc(node: Node, edit: Edit | null, shift: number, hash: number, key: MapKey, value: unknown, change: Change): Node {
  if (node instanceof CollisionNode) {
    if (node.hash === hash) {
      const a = node.array;
      for (let i = 0; i < a.length; i += 2) {
        if (a[i] === key) {
          if (a[i + 1] === value) return node;
          if (editable(node, edit)) {
            a[i + 1] = value;
            return node;
          }
          const copy = a.slice();
          copy[i + 1] = value;
          return new CollisionNode(edit, hash, copy);
        }
      }
      change.sizeChanged = true;
      if (editable(node, edit)) {
        a.push(key, value);
        return node;
      }
      return new CollisionNode(edit, hash, [...a, key, value]);
    }
    // A different hash reached this collision node: nest it one level down in a bitmap node.
    const wrapper = new BitmapNode(edit, 1 << ((node.hash >>> shift) & levelMask), [undefined, node]);
    return assoc(wrapper, edit, shift, hash, key, value, change);
  }

  const bit = 1 << ((hash >>> shift) & levelMask);
  const i = 2 * bitCount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) !== 0) {
    const k = node.array[i];
    const v = node.array[i + 1];
    if (k === undefined) {
      const child = assoc(v as Node, edit, shift + bitsPerLevel, hash, key, value, change);
      return child === v ? node : withSlot(node, edit, i + 1, child);
    }
    if (k === key) return v === value ? node : withSlot(node, edit, i + 1, value);
    change.sizeChanged = true;
    const child = pairNode(edit, shift + bitsPerLevel, k as MapKey, v, hash, key, value);
    if (editable(node, edit)) {
      node.array[i] = undefined;
      node.array[i + 1] = child;
      return node;
    }
    const array = node.array.slice();
    array[i] = undefined;
    array[i + 1] = child;
    return new BitmapNode(edit, node.bitmap, array);
  }
  change.sizeChanged = true;
  if (editable(node, edit)) {
    node.array.splice(i, 0, key, value);
    node.bitmap |= bit;
    return node;
  }
  const a = node.array;
  const array = new Array<unknown>(a.length + 2);
  for (let j = 0; j < i; j++) array[j] = a[j];
  array[i] = key;
  array[i + 1] = value;
  for (let j = i; j < a.length; j++) array[j + 2] = a[j];
  return new BitmapNode(edit, node.bitmap | bit, array);
}

/** Removes `key`; returns null when the node becomes empty. */
function dissoc(node: Node, edit: Edit | null, shift: number, hash: number, key: MapKey, change: Change): Node | null {
  if (node instanceof CollisionNode) {
    if (node.hash !== hash) return node;
    const a = node.array;
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] !== key) continue;
      change.sizeChanged = true;
      if (a.length === 2) return null;
      if (editable(node, edit)) {
        a.splice(i, 2);
        return node;
      }
      const copy = a.slice();
      copy.splice(i, 2);
      return new CollisionNode(edit, hash, copy);
    }
    return node;
  }
  const bit = 1 << ((hash >>> shift) & levelMask);
  if ((node.bitmap & bit) === 0) return node;
  const i = 2 * bitCount(node.bitmap & (bit - 1));
  const k = node.array[i];
  if (k === undefined) {
    const child = node.array[i + 1] as Node;
    const next = dissoc(child, edit, shift + bitsPerLevel, hash, key, change);
    if (next === child) return node;
    if (next !== null) return withSlot(node, edit, i + 1, next);
  } else if (k !== key) {
    return node;
  } else {
    change.sizeChanged = true;
  }
  // Remove slot i (an entry, or a child that became empty).
  if (node.bitmap === bit) return null;
  if (editable(node, edit)) {
    node.array.splice(i, 2);
    node.bitmap ^= bit;
    return node;
  }
  const array = node.array.slice();
  array.splice(i, 2);
  return new BitmapNode(edit, node.bitmap ^ bit, array);
}

function forEachIn(node: Node, fn: (value: unknown, key: MapKey) => void): void {
  const a = node.array;
  if (node instanceof CollisionNode) {
    for (let i = 0; i < a.length; i += 2) fn(a[i + 1], a[i] as MapKey);
    return;
  }
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i];
    if (k === undefined) forEachIn(a[i + 1] as Node, fn);
    else fn(a[i + 1], k as MapKey);
  }
}

function* entriesIn(node: Node): Generator<[MapKey, unknown]> {
  const a = node.array;
  if (node instanceof CollisionNode) {
    for (let i = 0; i < a.length; i += 2) yield [a[i] as MapKey, a[i + 1]];
    return;
  }
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i];
    if (k === undefined) yield* entriesIn(a[i + 1] as Node);
    else yield [k as MapKey, a[i + 1]];
  }
}

/** An immutable map. Every "change" returns a new map sharing all untouched structure with this one. */
export class PersistentMap<K extends MapKey, V> implements Iterable<[K, V]> {
  private static readonly emptyMap = new PersistentMap<never, never>(null, 0);

  /** @internal */
  constructor(
    /** @internal */ readonly root: Node | null,
    readonly size: number,
  ) {}

  static empty<K extends MapKey, V>(): PersistentMap<K, V> {
    return PersistentMap.emptyMap as PersistentMap<K, V>;
  }

  static from<K extends MapKey, V>(entries: Iterable<readonly [K, V]>): PersistentMap<K, V> {
    const b = new PersistentMapBuilder<K, V>();
    for (const [k, v] of entries) b.set(k, v);
    return b.build();
  }

  get(key: K): V | undefined {
    return get(this.root, hashKey(key), key) as V | undefined;
  }

  has(key: K): boolean {
    return get(this.root, hashKey(key), key) !== undefined;
  }

  set(key: K, value: V): PersistentMap<K, V> {
    assert(value !== undefined, 'a PersistentMap value may not be undefined');
    const change: Change = { sizeChanged: false };
    const root = assoc(this.root ?? new BitmapNode(null, 0, []), null, 0, hashKey(key), key, value, change);
    if (root === this.root) return this;
    return new PersistentMap(root, this.size + (change.sizeChanged ? 1 : 0));
  }

  delete(key: K): PersistentMap<K, V> {
    if (this.root === null) return this;
    const change: Change = { sizeChanged: false };
    const root = dissoc(this.root, null, 0, hashKey(key), key, change);
    if (!change.sizeChanged) return this;
    return root === null ? PersistentMap.empty() : new PersistentMap(root, this.size - 1);
  }

  /** A builder that starts from this map's entries; this map is not changed by it. */
  asMutable(): PersistentMapBuilder<K, V> {
    return new PersistentMapBuilder<K, V>(this.root, this.size);
  }

  forEach(fn: (value: V, key: K) => void): void {
    if (this.root !== null) forEachIn(this.root, fn as (value: unknown, key: MapKey) => void);
  }

  *entries(): IterableIterator<[K, V]> {
    if (this.root !== null) yield* entriesIn(this.root) as Generator<[K, V]>;
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

/**
 * A mutable view that shares structure with the map it started from and mutates in place
 * only the nodes it created itself. Iterating it while changing it is not supported.
 */
export class PersistentMapBuilder<K extends MapKey, V> {
  private edit: Edit = newEdit();

  constructor(
    private root: Node | null = null,
    private count = 0,
  ) {}

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return get(this.root, hashKey(key), key) as V | undefined;
  }

  has(key: K): boolean {
    return get(this.root, hashKey(key), key) !== undefined;
  }

  set(key: K, value: V): this {
    assert(value !== undefined, 'a PersistentMap value may not be undefined');
    const change: Change = { sizeChanged: false };
    this.root = assoc(this.root ?? new BitmapNode(this.edit, 0, []), this.edit, 0, hashKey(key), key, value, change);
    if (change.sizeChanged) this.count++;
    return this;
  }

  delete(key: K): this {
    if (this.root === null) return this;
    const change: Change = { sizeChanged: false };
    this.root = dissoc(this.root, this.edit, 0, hashKey(key), key, change);
    if (change.sizeChanged) this.count--;
    return this;
  }

  forEach(fn: (value: V, key: K) => void): void {
    if (this.root !== null) forEachIn(this.root, fn as (value: unknown, key: MapKey) => void);
  }

  /** The map as it is now. The builder stays usable; its later changes copy rather than touch the built map. */
  build(): PersistentMap<K, V> {
    this.edit = newEdit();
    return this.root === null || this.count === 0 ? PersistentMap.empty() : new PersistentMap(this.root, this.count);
  }
}
