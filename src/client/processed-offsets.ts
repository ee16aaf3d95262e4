/**
 * The next offset to commit for each owned partition of a group member (one past its last
 * processed record): a `Map` from the partition's key, whose latest write for the
 * partition in flight may wait in a field (`note`) until anything reads or writes the
 * map. Every `Map` method takes the waiting write in first, so whoever looks (a `commit()`
 * from inside a handler, the coordinator's commit, a seek, a revoke) sees exactly what a
 * `set` a record would have left, in the same order.
 *
 * Why: `run({ eachRecord })` marks a record processed after each handler call, and a
 * `Map.set` a record (hashing the key, a builtin call) was about 10 ns of the 20-30 ns a
 * record a group of 1's `eachRecord` cost over reading the log directly (paired runs,
 * bench/results/2026-12-07j-consumer.md); a field write is about 1 ns.
 * @internal
 */
export class ProcessedOffsets extends Map<string, number> {
  /** The partition whose last write waits in `waitingOffset`, if any. */
  private waitingKey: string | undefined = undefined;
  private waitingOffset = 0;

  /** `set(key, offset)`, to be applied when the map is next used. */
  note(key: string, offset: number): void {
    if (this.waitingKey !== key) {
      this.flush();
      this.waitingKey = key;
    }
    this.waitingOffset = offset;
  }

  /** Applies the waiting write, if any. */
  flush(): void {
    const key = this.waitingKey;
    if (key === undefined) return;
    this.waitingKey = undefined;
    super.set(key, this.waitingOffset);
  }

  override get(key: string): number | undefined {
    this.flush();
    return super.get(key);
  }
  override has(key: string): boolean {
    this.flush();
    return super.has(key);
  }
  override set(key: string, value: number): this {
    this.flush();
    return super.set(key, value);
  }
  override delete(key: string): boolean {
    this.flush();
    return super.delete(key);
  }
  override clear(): void {
    this.waitingKey = undefined;
    super.clear();
  }
  override get size(): number {
    this.flush();
    return super.size;
  }
  override forEach(f: (value: number, key: string, map: Map<string, number>) => void, thisArg?: unknown): void {
    this.flush();
    super.forEach(f, thisArg);
  }
  override entries(): MapIterator<[string, number]> {
    this.flush();
    return super.entries();
  }
  override keys(): MapIterator<string> {
    this.flush();
    return super.keys();
  }
  override values(): MapIterator<number> {
    this.flush();
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[string, number]> {
    this.flush();
    return super[Symbol.iterator]();
  }
}
