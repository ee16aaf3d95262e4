/**
 * Sparse index math, pure. An index is a pair of parallel arrays sorted by key: for the
 * offset index, (relative offset of a batch's base offset -> byte position of the batch);
 * for the time index, (max timestamp so far -> relative offset). Both only ever grow at
 * the end, so a lookup is a binary search for the last slot whose key is <= the target.
 *
 * Why sparse: one entry per `index.interval.bytes` (4096) of log keeps a 1 GiB segment's
 * index at 262,144 entries (2 MiB), small enough to hold in memory, while a lookup lands
 * within 4 KiB plus one batch of the target, which one read covers.
 * @internal
 */

/** The arrays of an index with no capacity yet (never written: a push first grows them). */
const noEntries = new Float64Array(0);

/** A growable sorted array of (key, value) int pairs, with the last slot cached. */
export class IndexEntries {
  keys: Float64Array;
  values: Float64Array;
  length = 0;

  /**
   * `capacity` 0 (the default) allocates nothing until the first push: most segments a
   * broker opens (one per partition) never get an entry in this process, and four typed
   * arrays per segment cost about 20 us each open (a 10,000-partition restart).
   */
  constructor(capacity = 0) {
    this.keys = capacity === 0 ? noEntries : new Float64Array(capacity);
    this.values = capacity === 0 ? noEntries : new Float64Array(capacity);
  }

  push(key: number, value: number): void {
    if (this.length === this.keys.length) {
      const capacity = Math.max(16, this.keys.length * 2);
      const keys = new Float64Array(capacity);
      keys.set(this.keys);
      const values = new Float64Array(capacity);
      values.set(this.values);
      this.keys = keys;
      this.values = values;
    }
    this.keys[this.length] = key;
    this.values[this.length] = value;
    this.length++;
  }

  lastKey(): number | undefined {
    return this.length === 0 ? undefined : this.keys[this.length - 1];
  }

  lastValue(): number | undefined {
    return this.length === 0 ? undefined : this.values[this.length - 1];
  }

  /** Drops every slot whose key is >= `key`. */
  truncateFromKey(key: number): void {
    const slot = floorSlot(this.keys, this.length, key - 1e-9);
    this.length = slot + 1;
  }

  /** Drops every slot whose value is >= `value` (values are increasing too). */
  truncateFromValue(value: number): void {
    let n = this.length;
    while (n > 0 && this.values[n - 1]! >= value) n--;
    this.length = n;
  }

  clear(): void {
    this.length = 0;
  }
}

/**
 * The last slot in `keys[0, length)` whose key is <= `target`, or -1 if every key is
 * greater (or there are none). `keys` must be sorted ascending.
 *
 * Example: keys [0, 10, 20], target 15 -> 1; target 20 -> 2; target -1 -> -1.
 */
export function floorSlot(keys: ArrayLike<number>, length: number, target: number): number {
  let lo = 0;
  let hi = length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * The first slot in `keys[0, length)` whose key is >= `target`, or `length` if none is.
 *
 * Example: keys [0, 10, 20], target 15 -> 2; target 20 -> 2; target 21 -> 3.
 */
export function ceilingSlot(keys: ArrayLike<number>, length: number, target: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bytes an offset index entry takes on disk: relative offset (int32) + position (int32). */
export const offsetIndexEntryBytes = 8;
/** Bytes a time index entry takes on disk: timestamp (int64) + relative offset (int32). */
export const timeIndexEntryBytes = 12;

/** The 20-digit, zero-padded file name stem Kafka gives a segment with this base offset. */
export function segmentFileStem(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

/** The base offset a segment file name encodes, or undefined if the name is not a segment file. */
export function parseSegmentFileName(name: string): { baseOffset: number; suffix: string } | undefined {
  const m = /^(\d{20})\.(log|index|timeindex)(\.cleaned|\.swap|\.deleted)?$/.exec(name);
  if (!m) return undefined;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return undefined;
  return { baseOffset, suffix: m[2]! + (m[3] ?? '') };
}
