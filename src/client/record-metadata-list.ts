/**
 * The compact answer of `Producer.sendBatch`: where each record of a call was written,
 * kept as one run a batch (first index, count, partition, base offset, timestamp)
 * instead of one `RecordMetadata` object a record.
 *
 * Why a separate type, and not a lazy `RecordMetadata[]`: `send(topic, records[])`
 * promises a real array of plain objects, which survives `{ ...r }`, `structuredClone`,
 * `postMessage` and `toEqual`; an array cannot make its entries on demand without a
 * `Proxy`, which `structuredClone` refuses. A call of 1,000 records answered with that
 * array allocates 1,000 objects (and the box of each `timestamp`): measured, 89% of the
 * bytes the producer allocated in calls of 1,000 (docs/design/clients.md, Performance).
 * This list allocates one object and one run array a call, and makes a `RecordMetadata`
 * only when one is asked for.
 */
import type { RecordMetadata } from './accumulator.js';

/** Slots of one run in `RecordMetadataList.runs`. */
const runSlots = 5;

/**
 * Where each record of a `sendBatch` call was written, in the order of the call's
 * records: record `i` is `list.at(i)` (or `offsetAt(i)`, `partitionAt(i)`,
 * `timestampAt(i)` without making an object). It is iterable, has `length`, `map` and
 * `forEach`, and serialises to JSON exactly as the `RecordMetadata[]` that `send` returns
 * for the same call. It is not an array: `list[i]` is undefined; use `at(i)`, or
 * `toArray()` for a real `RecordMetadata[]` (for example to `postMessage` it: a
 * `structuredClone` of the list keeps its data, not its methods).
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'clicks' }]);
 * const producer = cluster.producer();
 * const written = await producer.sendBatch('clicks', [{ value: 'a' }, { value: 'b' }]);
 * console.log(written.length, written.at(1)?.offset, written.offsetAt(0)); // 2 1 0
 * for (const r of written) console.log(`${r.topic}-${r.partition}@${r.offset}`);
 * console.log(JSON.stringify(written) === JSON.stringify(written.toArray())); // true
 * ```
 */
export class RecordMetadataList implements Iterable<RecordMetadata> {
  /** The topic every record was sent to. */
  readonly topic: string;
  /** Records in the call. */
  readonly length: number;
  /**
   * The runs, 5 numbers each, sorted by first index: first index, count, partition, base
   * offset (-1 with `acks: 0`), the broker's LogAppendTime or -1 (CreateTime). @internal
   */
  readonly runs: readonly number[];
  /** The timestamp of records sent without their own (when `send` was called). @internal */
  readonly createTime: number;
  /** Each record's CreateTime, when any record of the call carried its own; else undefined. @internal */
  readonly timestamps: Float64Array | undefined;

  /** @internal */
  constructor(topic: string, length: number, runs: readonly number[], createTime: number, timestamps: Float64Array | undefined) {
    this.topic = topic;
    this.length = length;
    this.runs = runs;
    this.createTime = createTime;
    this.timestamps = timestamps;
  }

  /** The slot in `runs` of the run holding record `index` (which is in range). */
  private runOf(index: number): number {
    const runs = this.runs;
    // One run (all records in one batch) is the common case.
    if (runs.length === runSlots) return 0;
    let lo = 0;
    let hi = runs.length / runSlots - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[mid * runSlots]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo * runSlots;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`index ${String(index)} is not in [0, ${this.length})`);
  }

  /** The offset record `index` was written at (-1 with `acks: 0`). */
  offsetAt(index: number): number {
    this.checkIndex(index);
    const r = this.runOf(index);
    const base = this.runs[r + 3]!;
    return base < 0 ? -1 : base + index - this.runs[r]!;
  }

  /** The partition record `index` went to. */
  partitionAt(index: number): number {
    this.checkIndex(index);
    return this.runs[this.runOf(index) + 2]!;
  }

  /** The timestamp the log keeps for record `index` (its own or the call's, or the broker's LogAppendTime). */
  timestampAt(index: number): number {
    this.checkIndex(index);
    return this.timestampIn(this.runOf(index), index);
  }

  private timestampIn(run: number, index: number): number {
    // A run's slot holds the broker's LogAppendTime, or -1 for CreateTime: then the
    // record's own timestamp (when some record of the call carried one) or the call's time.
    const logAppendTime = this.runs[run + 4]!;
    if (logAppendTime >= 0) return logAppendTime;
    const t = this.timestamps;
    return t === undefined ? this.createTime : t[index]!;
  }

  /** Record `index` as a `RecordMetadata` (a new object each call), or undefined out of range; a negative index counts from the end. */
  at(index: number): RecordMetadata | undefined {
    const i = index < 0 ? index + this.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.length) return undefined;
    const r = this.runOf(i);
    const base = this.runs[r + 3]!;
    return { topic: this.topic, partition: this.runs[r + 2]!, offset: base < 0 ? -1 : base + i - this.runs[r]!, timestamp: this.timestampIn(r, i) };
  }

  /** Each record's metadata in the order sent, as `at(0)`, `at(1)`, ...: `for (const m of list)` and `[...list]` work as on the array `send` answers. */
  *[Symbol.iterator](): Iterator<RecordMetadata> {
    const runs = this.runs;
    const topic = this.topic;
    for (let r = 0; r < runs.length; r += runSlots) {
      const first = runs[r]!;
      const count = runs[r + 1]!;
      const partition = runs[r + 2]!;
      const base = runs[r + 3]!;
      for (let i = first; i < first + count; i++) {
        yield { topic, partition, offset: base < 0 ? -1 : base + i - first, timestamp: this.timestampIn(r, i) };
      }
    }
  }

  /** Calls `fn` with each record's metadata and index, in order. */
  forEach(fn: (metadata: RecordMetadata, index: number) => void): void {
    let i = 0;
    for (const m of this) fn(m, i++);
  }

  /** The results of `fn` on each record's metadata, in order. */
  map<T>(fn: (metadata: RecordMetadata, index: number) => T): T[] {
    const out = new Array<T>(this.length);
    let i = 0;
    for (const m of this) {
      out[i] = fn(m, i);
      i++;
    }
    return out;
  }

  /** A real `RecordMetadata[]`, equal to what `send` returns for the same call. */
  toArray(): RecordMetadata[] {
    return this.map((m) => m);
  }

  /** JSON as the `RecordMetadata[]` of `send`. */
  toJSON(): RecordMetadata[] {
    return this.toArray();
  }
}
