/**
 * The producer's record accumulator (Kafka's `RecordAccumulator`): records are encoded
 * into their partition's open batch the moment `send` is called, straight into the bytes
 * that will travel (`ProducerBatch`), under a memory bound (`BufferPool`). The sender
 * (`sender.ts`) drains the queues this fills.
 */
import { batchHeaderBytes } from '../record/batch.js';
import { assert } from '../util/assert.js';
import type { Clock } from '../util/clock.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { BufferPool } from './buffer-pool.js';
import type { MetadataCache, TopicInfo } from './metadata-cache.js';
import type { ResolvedProducerOptions } from './options.js';
import { murmur2Ascii, toPositive } from '../util/murmur2.js';
import { choosePartition, partitionForKey } from './partitioner.js';
import { ProducerBatch, fieldBytes, measureHeaders, recordOverheadBytesMax, utf8Bytes, type RecordFields, type ResolveOne } from './producer-batch.js';
import { RecordMetadataList } from './record-metadata-list.js';
import { ReadyQueues } from './core/ready-queues.js';

/**
 * A header of a record to send: a name and a value (text is sent as UTF-8).
 *
 * @example
 * ```ts
 * import { Cluster, type ProducerHeader } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * // A list, unlike an object, may repeat a name.
 * const headers: ProducerHeader[] = [
 *   { key: 'trace-id', value: '4bf92f3577b34da6' },
 *   { key: 'hop', value: 'gateway' },
 *   { key: 'hop', value: 'billing' },
 * ];
 * await cluster.producer().send('events', { value: 'charged', headers });
 * ```
 */
export interface ProducerHeader {
  readonly key: string;
  readonly value: Uint8Array | string | null;
}

/**
 * A record to send. `key` and `value` are bytes, text (sent as UTF-8) or null. Without a
 * `partition`, a keyed record goes where Kafka's Java client would put it (murmur2 of the
 * key) and a record without a key joins the topic's current sticky partition.
 *
 * @example
 * ```ts
 * import type { ProducerRecord } from 'tributary-log';
 *
 * const record: ProducerRecord = { key: 'user-42', value: '{"clicks":3}', headers: { source: 'web' } };
 * console.log(record.key); // user-42
 * ```
 */
export interface ProducerRecord {
  /** The key, or null/absent for none. */
  readonly key?: Uint8Array | string | null;
  /** The value, or null (a tombstone on a compacted topic). */
  readonly value: Uint8Array | string | null;
  /** Headers, as an object (one value per name) or a list (names may repeat). */
  readonly headers?: Readonly<Record<string, Uint8Array | string | null>> | readonly ProducerHeader[];
  /** The partition, overriding the partitioner. */
  readonly partition?: number;
  /** The record's timestamp in ms since the epoch (CreateTime). Default: when `send` was called. */
  readonly timestamp?: number;
}

/**
 * Where a record was written: its topic, partition and offset, and the timestamp the log
 * keeps (the producer's, or the broker's for a LogAppendTime topic). With `acks: 0` the
 * offset is -1: nobody said.
 *
 * @example
 * ```ts
 * import type { RecordMetadata } from 'tributary-log';
 *
 * const written: RecordMetadata = { topic: 'orders', partition: 0, offset: 41, timestamp: 1_700_000_000_000 };
 * console.log(`${written.topic}-${written.partition}@${written.offset}`); // orders-0@41
 * ```
 */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}


// ----------------------------------------------------------------------- send calls

/** What a call answers with: one record's `RecordMetadata`, an array's `RecordMetadata[]`, or `sendBatch`'s `RecordMetadataList`. */
export const SendShape = { One: 0, Array: 1, List: 2 } as const;
export type SendShape = (typeof SendShape)[keyof typeof SendShape];

/** Where `capture` leaves a new promise's resolve function, for the line after `new Promise(capture)` (a failure resolves it with a rejected promise: `SendOp.fail`). */
export const captured = {
  resolve: undefined as unknown as (v: RecordMetadata | RecordMetadata[] | RecordMetadataList | Promise<never>) => void,
};
/** The one executor of every send's promise: no closure and context a call. */
export function capture(resolve: (v: RecordMetadata | RecordMetadata[] | RecordMetadataList | Promise<never>) => void): void {
  captured.resolve = resolve;
}

/**
 * One call to `send`: the records it was given, where their results go, and how many are
 * still unanswered. One of these per call, not per record: an array of a million records
 * costs one promise.
 *
 * Results are kept as runs (first index, count, partition, base offset, append time), one
 * per batch the call's records went into, and turned into `RecordMetadata` objects only
 * when the last run arrives, in one loop, so that the objects are made young and stored
 * into a young array rather than trickling in while 32 MiB of other records are in
 * flight. Measured on 2,000,000 records of 100 bytes in calls of 10,000 against the fake
 * broker: completing went from about 12% of the CPU profile to about 9%.
 */
export class SendOp {
  /** Records not yet answered (appended or not); -1 once the call is settled. */
  remaining: number;
  /** Whether the call has its answer (results or error): `remaining` is then -1. */
  get settled(): boolean {
    return this.remaining < 0;
  }
  /**
   * Runs of results (5 numbers each), made only when a call's results come in more than
   * one run, sized at once for the call's records spread as thinly as its first run (a
   * keyed call over 1,000 partitions answers a record a run: the array grown by pushes was
   * copied a dozen times over, about 80 bytes a batch); `runsUsed` slots are filled.
   */
  private runs: number[] | undefined;
  private runsUsed = 0;
  /** Whether some record of the call carries its own timestamp (else every CreateTime result is `now`, and the answer reads no record). */
  timestamped = false;

  constructor(
    readonly topic: string,
    /**
     * The record of a single-record call, or the records of an array call: a single record
     * is not wrapped in an array of its own (two objects a call less, for the collector
     * to copy while the call is in flight).
     */
    readonly input: ProducerRecord | readonly ProducerRecord[],
    /** The timestamp of records that carry none. */
    readonly now: number,
    readonly shape: SendShape,
    /**
     * The call's promise's resolve function. Its reject function is not kept: a failure
     * resolves the promise with a rejected one, which rejects it the same way (two
     * microtasks later). Why: a call in flight is live in the young generation until its
     * answer, and with 32,000 single-record calls in flight the collector copied each
     * call's objects at every scavenge (46% of a profile): one function object (64
     * bytes) and one field less a call.
     */
    private readonly resolveFn: (value: RecordMetadata[] | RecordMetadata | RecordMetadataList | Promise<never>) => void,
  ) {
    this.remaining = shape === SendShape.One ? 1 : (input as readonly ProducerRecord[]).length;
  }

  /** Whether the call is of one record (not wrapped in an array). */
  get single(): boolean {
    return this.shape === SendShape.One;
  }

  /** Records in the call. (A getter, not a field: every field is 8 bytes a call in flight.) */
  get count(): number {
    return this.single ? 1 : (this.input as readonly ProducerRecord[]).length;
  }

  /** The call's record at `index`. */
  record(index: number): ProducerRecord {
    return this.single ? (this.input as ProducerRecord) : (this.input as readonly ProducerRecord[])[index]!;
  }

  /**
   * Records `count` results from index `first`; resolves the call when it has them all.
   * The common cases make nothing but the results: a single record's one object, and a
   * call answered in one run (all its records in one batch) its array, in one loop.
   */
  complete(first: number, count: number, partition: number, baseOffset: number, logAppendTime: number): void {
    if (this.settled) return;
    if (count === this.remaining && this.runs === undefined) {
      this.remaining = -1;
      if (this.shape === SendShape.List) {
        this.resolveFn(this.list([first, count, partition, baseOffset, logAppendTime]));
      } else if (this.single) {
        const timestamp = logAppendTime >= 0 ? logAppendTime : ((this.input as ProducerRecord).timestamp ?? this.now);
        this.resolveFn({ topic: this.topic, partition, offset: baseOffset < 0 ? -1 : baseOffset, timestamp });
      } else {
        const results = new Array<RecordMetadata>(this.count);
        this.fill(results, first, count, partition, baseOffset, logAppendTime);
        this.resolveFn(results);
      }
      return;
    }
    const runs = (this.runs ??= new Array<number>(5 * Math.ceil(this.remaining / count)));
    const at = this.runsUsed;
    runs[at] = first;
    runs[at + 1] = count;
    runs[at + 2] = partition;
    runs[at + 3] = baseOffset;
    runs[at + 4] = logAppendTime;
    this.runsUsed = at + 5;
    this.remaining -= count;
    if (this.remaining === 0) {
      this.remaining = -1;
      runs.length = this.runsUsed;
      if (this.shape === SendShape.List) {
        const runs = this.runs;
        // Batches of different partitions may answer in any order: the list wants index order.
        const order = Array.from({ length: runs.length / 5 }, (_, r) => r * 5).sort((a, b) => runs[a]! - runs[b]!);
        this.resolveFn(this.list(order.flatMap((r) => runs.slice(r, r + 5))));
      } else {
        this.resolveFn(this.single ? this.results()[0]! : this.results());
      }
    }
  }

  /**
   * The compact answer of `sendBatch`: the runs, and each record's own timestamp only when
   * some record of a CreateTime run carried one (read when the answer comes, as the
   * array's results are).
   */
  private list(runs: number[]): RecordMetadataList {
    const records = this.input as readonly ProducerRecord[];
    let timestamps: Float64Array | undefined;
    for (let r = 0; r < runs.length && this.timestamped; r += 5) {
      if (runs[r + 4]! >= 0) continue;
      for (let i = runs[r]!, end = i + runs[r + 1]!; i < end; i++) {
        const ts = records[i]!.timestamp;
        if (ts !== undefined) {
          if (timestamps === undefined) timestamps = new Float64Array(records.length).fill(this.now);
          timestamps[i] = ts;
        }
      }
    }
    for (let r = 4; r < runs.length; r += 5) if (runs[r]! < 0) runs[r] = -1;
    return new RecordMetadataList(this.topic, records.length, runs, this.now, timestamps);
  }

  private results(): RecordMetadata[] {
    const results = new Array<RecordMetadata>(this.count);
    const runs = this.runs!;
    for (let r = 0; r < runs.length; r += 5) this.fill(results, runs[r]!, runs[r + 1]!, runs[r + 2]!, runs[r + 3]!, runs[r + 4]!);
    return results;
  }

  private fill(results: RecordMetadata[], first: number, count: number, partition: number, baseOffset: number, logAppendTime: number): void {
    const topic = this.topic;
    const now = this.now;
    const own = this.timestamped && logAppendTime < 0;
    for (let i = 0; i < count; i++) {
      const index = first + i;
      const timestamp = logAppendTime >= 0 ? logAppendTime : own ? (this.record(index).timestamp ?? now) : now;
      results[index] = { topic, partition, offset: baseOffset < 0 ? -1 : baseOffset + i, timestamp };
    }
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.remaining = -1;
    this.resolveFn(Promise.reject(err));
  }
}

/** One partition's batches: those waiting to be sent, and those sent and not yet answered, in order. */
export class PartitionQueue {
  /** Batches to send, oldest first; the last may be open. `head` indexes the first. */
  private items: ProducerBatch[] = [];
  private head = 0;
  /** Batches handed to the sender and not yet finished, in send (= sequence) order. */
  readonly pending: ProducerBatch[] = [];
  inFlight = 0;
  /** Batches waiting in `items` to be sent again. While there are any, one request at a time. */
  retries = 0;
  nextSequence = 0;
  /**
   * The producer id under which the partition's leader acknowledged a batch (-1: none yet).
   * Until it does, the leader may not know the producer, and a leader that does not know
   * it takes any sequence (Kafka's rule since KIP-360): so the sender sends the partition's
   * first batch under an id alone, lest a later batch be written before an earlier one that
   * was lost on the way.
   */
  ackedProducerId = -1;
  /** Bytes the partition's last batch held when it was sent: its next batch starts that big (a busy partition's batches start big, a quiet one's small). */
  lastBatchBytes = 0;
  /** Its place in the accumulator's `ready` (`ReadyQueues`), -1 while it is not there. */
  readySlot = -1;
  readyParked = false;
  readyDueMs = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }
  peek(): ProducerBatch | undefined {
    return this.items[this.head];
  }
  /** The open batch records go into, if any. */
  tail(): ProducerBatch | undefined {
    const last = this.items[this.items.length - 1];
    return last !== undefined && last.state === 'open' && !last.full && this.items.length > this.head ? last : undefined;
  }
  push(b: ProducerBatch): void {
    this.items.push(b);
  }
  shift(): ProducerBatch {
    const b = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as ProducerBatch;
    this.head++;
    // Compact now and then, so the array does not grow without bound.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return b;
  }
  /** Puts a batch to retry back in front of the unsent ones, in the order the batches were first sent. */
  requeue(b: ProducerBatch): void {
    let i = this.head;
    while (i < this.items.length && this.items[i]!.attempts > 0 && this.items[i]!.sendOrder < b.sendOrder) i++;
    if (i === this.head && this.head > 0) {
      this.head--;
      this.items[this.head] = b;
    } else {
      this.items.splice(i, 0, b);
    }
    this.retries++;
  }
  /** Every batch waiting to be sent, oldest first. */
  unsent(): ProducerBatch[] {
    return this.items.slice(this.head);
  }
}

// ------------------------------------------------------------------ the accumulator

interface TopicState {
  readonly name: string;
  readonly queues: PartitionQueue[];
  /** The partition records without a key go to (KIP-480), or -1 before the first. */
  sticky: number;
  /** The metadata wait of the calls that came before the topic was known. */
  waiting: Promise<TopicInfo> | undefined;
}

/**
 * Appends the records of `send` calls to their partitions' queues, in call order, under
 * the memory bound; keeps the queues that have batches to send (`ready`) and every batch
 * not yet finished (`incomplete`, for `flush`). Calls `wake` when there is something new
 * to send.
 */
export class RecordAccumulator {
  private readonly topics = new Map<string, TopicState>();
  /** Queues with batches waiting to be sent (core/ready-queues.ts says why not a `Set`). */
  readonly ready = new ReadyQueues<PartitionQueue>();
  /**
   * How many batches are not yet finished (`flush` finds them in the queues:
   * `unfinished`). A count, not a set of them as before: with keyed records over 10,000
   * partitions every record is a batch, and the set's insert and delete (and its table
   * growing past 8,000 batches in flight) were a cold hash slot twice a batch.
   */
  readonly incomplete = { size: 0 };
  /** Calls whose records are not all in batches yet (waiting for metadata or memory). */
  readonly appending = new Set<SendOp>();
  private readonly appendWaiters = new Map<SendOp, (() => void)[]>();
  /** Calls waiting for an earlier call that waits for memory: records are appended in call order. */
  private readonly blockedOps: SendOp[] = [];
  private blocking = false;
  private readonly scratch: RecordFields = { key: null, keyBytes: -1, value: null, valueBytes: -1, headers: undefined, headersBytes: 1, timestamp: 0 };

  constructor(
    private readonly options: ResolvedProducerOptions,
    private readonly metadata: MetadataCache,
    readonly pool: BufferPool,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly wake: () => void,
  ) {}

  /** Whether the producer has sent to `topic` before (its arguments were checked then). */
  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  /**
   * The light path of a single-record call: appends the record now into its partition's
   * open batch, with no `SendOp` (the batch keeps `resolve` and the timestamp), and says
   * true; or does nothing and says false, and the caller takes the general path
   * (`append`), which waits, opens batches, reports bad records and applies a custom
   * partitioner. Taken only when the general path would append at once into an open
   * batch that has room: the topic is known, nothing is waiting for memory, the record is
   * plain and valid (no headers) and the default partitioner places it. So the records of
   * a partition stay in call order, and the bytes are those of the general path.
   */
  appendOne(topic: string, r: ProducerRecord, now: number, resolve: ResolveOne): boolean {
    if (this.blocking || this.options.partitioner !== undefined) return false;
    if (typeof r !== 'object' || r === null || r.headers !== undefined) return false;
    const info = this.metadata.topicInRun(topic);
    const state = this.topics.get(topic);
    if (info === undefined || state === undefined || state.waiting) return false;
    const partitionCount = info.partitions.length;
    if (partitionCount === 0) return false;
    const f = this.scratch;
    // measure() throws for a bad field: the general path measures again and says so.
    const key = r.key ?? null;
    if (key !== null && typeof key !== 'string' && !(key instanceof Uint8Array)) return false;
    const value = r.value;
    if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) return false;
    const ts = r.timestamp;
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)) return false;
    this.measure(r, f, topic, now);
    const fields = fieldBytes(f);
    if (fields > this.options.maxRequestSize - recordOverheadBytesMax - batchHeaderBytes) return false;
    let partition: number;
    if (r.partition !== undefined) {
      partition = r.partition;
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) return false;
    } else if (f.key !== null) {
      partition = keyedPartition(f, partitionCount);
    } else {
      if (state.sticky < 0 || state.sticky >= partitionCount) return false;
      partition = state.sticky;
    }
    const q = state.queues[partition];
    const tail = q?.tail();
    if (tail === undefined || !this.fits(tail, f, fields)) return false;
    tail.appendOne(f, resolve);
    this.wake();
    return true;
  }

  /** Appends a call's records now, or once its topic's metadata (or memory for an earlier call) is there. */
  append(op: SendOp): void {
    const info = this.metadata.topicInRun(op.topic);
    const state = this.topics.get(op.topic);
    if (info === undefined || info.partitions.length === 0 || state === undefined || state.waiting) {
      this.appendWhenKnown(op);
    } else if (this.blocking) {
      this.appending.add(op);
      this.blockedOps.push(op);
    } else {
      this.appendFrom(op, 0, info, 0, state);
    }
  }

  /** Resolves once every call still appending (waiting for metadata or memory) has its records in batches. */
  async appended(): Promise<void> {
    for (const op of [...this.appending]) await this.appendedOf(op);
  }

  /** The queue of a batch's partition. */
  queueFor(b: ProducerBatch): PartitionQueue {
    return b.queue;
  }

  /** Every batch not yet finished (what `flush` waits for): sent and unanswered, or waiting to be sent (a retry is both, listed once). */
  unfinished(): ProducerBatch[] {
    const out = new Set<ProducerBatch>();
    for (const q of this.queues()) {
      for (const b of q.pending) out.add(b);
      for (const b of q.unsent()) out.add(b);
    }
    return [...out];
  }

  /** Every partition queue (for a new producer epoch: sequences start again). */
  *queues(): Generator<PartitionQueue> {
    for (const state of this.topics.values()) for (const q of state.queues) if (q !== undefined) yield q;
  }

  /** A finished batch leaves: its memory goes back to the pool, its buffer to the free list when nobody may still read it. */
  deallocate(b: ProducerBatch): void {
    this.incomplete.size--;
    this.pool.release(b.reservedBytes);
    if (!b.outcomeUnknown) this.pool.deallocate(b.buffer);
  }
  /** Checks every record of an array call before any is appended: types, and sizes against `maxRequestSize`. */
  validate(topic: string, records: readonly ProducerRecord[]): void {
    const limit = this.options.maxRequestSize - batchHeaderBytes - recordOverheadBytesMax;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (typeof r !== 'object' || r === null) throw new TributaryError('INVALID_RECORD', `record ${i} must be an object, got ${r === null ? 'null' : typeof r}`, { topic });
      // The common record (a value of bytes, no key) without the calls.
      const value = r.value;
      const key = r.key;
      const bound = value instanceof Uint8Array && (key === undefined || key === null) ? value.length : boundOf(key, 'key', i, topic) + boundOf(value, 'value', i, topic);
      if (bound > limit || r.headers !== undefined) {
        // The cheap bound (3 bytes per UTF-16 unit) says it might not fit: measure exactly.
        const f = this.scratch;
        this.measure(r, f, topic, 0);
        this.checkSize(fieldBytes(f), topic, i);
      }
    }
  }

  private checkSize(fields: number, topic: string, index: number): void {
    const size = fields + recordOverheadBytesMax + batchHeaderBytes;
    if (size > this.options.maxRequestSize) {
      throw new TributaryError('MESSAGE_TOO_LARGE', `record ${index} is ${size} bytes with its batch header, more than maxRequestSize (${this.options.maxRequestSize}): raise the producer's maxRequestSize (max.request.size) and the topic's max.message.bytes, or send smaller records`, { topic });
    }
  }

  /** Fills `f` from a record; throws `INVALID_RECORD` for a bad field. Returns nothing: sizes are in `f`. */
  private measure(r: ProducerRecord, f: RecordFields, topic: string, now: number): void {
    if (typeof r !== 'object' || r === null) throw new TributaryError('INVALID_RECORD', `a record must be an object, got ${r === null ? 'null' : typeof r}`, { topic });
    const key = r.key ?? null;
    if (key === null) f.keyBytes = -1;
    else if (typeof key === 'string') f.keyBytes = utf8Bytes(key);
    else if (key instanceof Uint8Array) f.keyBytes = key.length;
    else throw new TributaryError('INVALID_RECORD', `a record key must be a string, bytes or null, got ${typeof key}`, { topic });
    f.key = key;
    const value = r.value;
    if (value === null) f.valueBytes = -1;
    else if (typeof value === 'string') f.valueBytes = utf8Bytes(value);
    else if (value instanceof Uint8Array) f.valueBytes = value.length;
    else throw new TributaryError('INVALID_RECORD', `a record value must be a string, bytes or null, got ${value === undefined ? 'undefined' : typeof value}`, { topic });
    f.value = value;
    if (r.headers === undefined) {
      f.headers = undefined;
      f.headersBytes = 1;
    } else {
      measureHeaders(f, r.headers);
    }
    const ts = r.timestamp;
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)) {
      throw new TributaryError('INVALID_RECORD', `a record timestamp must be a non-negative integer (ms since the epoch), got ${String(ts)}`, { topic });
    }
    f.timestamp = ts ?? now;
  }

  private stateOf(topic: string): TopicState {
    let s = this.topics.get(topic);
    if (s === undefined) {
      s = { name: topic, queues: [], sticky: -1, waiting: undefined };
      this.topics.set(topic, s);
    }
    return s;
  }

  private queueOf(state: TopicState, partition: number): PartitionQueue {
    let q = state.queues[partition];
    if (q === undefined) {
      while (state.queues.length <= partition) state.queues.push(new PartitionQueue(state.name, state.queues.length));
      q = state.queues[partition]!;
    }
    return q;
  }

  /** Waits for the topic's metadata (at most `maxBlockMs`), then appends. Calls for one topic keep their order. */
  private appendWhenKnown(op: SendOp): void {
    this.appending.add(op);
    const state = this.stateOf(op.topic);
    if (state.waiting === undefined) {
      state.waiting = this.metadata.waitForTopic(op.topic, this.clock.monotonic() + this.options.maxBlockMs).finally(() => {
        state.waiting = undefined;
      });
    }
    state.waiting.then(
      (info) => {
        if (this.blocking) this.blockedOps.push(op);
        else this.appendFrom(op, 0, info, 0);
      },
      (err: unknown) => {
        op.fail(err);
        this.doneAppending(op);
      },
    );
  }

  /**
   * Appends the records of `op` from index `start` into their partitions' batches. When a
   * new batch needs memory that is not free, the rest of the call (and every later call)
   * waits for it: records are appended in call order. `reserved` is memory already
   * reserved for the first new batch.
   */
  private appendFrom(op: SendOp, start: number, info: TopicInfo, reserved: number, known?: TopicState): void {
    const many = op.single ? undefined : (op.input as readonly ProducerRecord[]);
    const recordCount = op.count;
    const f = this.scratch;
    const state = known ?? this.stateOf(op.topic);
    const partitionCount = info.partitions.length;
    const o = this.options;
    const fieldsMax = o.maxRequestSize - recordOverheadBytesMax - batchHeaderBytes;
    let lastPartition = -1;
    let lastQueue: PartitionQueue | undefined;
    let createdMs = -1;
    try {
      for (let i = start; i < recordCount; i++) {
        if (op.settled) break; // a batch of this call already failed
        const r = many === undefined ? (op.input as ProducerRecord) : many[i]!;
        this.measure(r, f, op.topic, op.now);
        if (r.timestamp !== undefined) op.timestamped = true;
        const fields = fieldBytes(f);
        if (fields > fieldsMax) this.checkSize(fields, op.topic, i);
        let sticky = false;
        let partition: number;
        if (r.partition !== undefined) {
          partition = r.partition;
          if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
            throw new TributaryError('INVALID_ARGUMENT', `partition ${String(partition)} is not in [0, ${partitionCount}) for topic "${op.topic}"`, { topic: op.topic, option: 'partition' });
          }
        } else if (o.partitioner !== undefined) {
          partition = choosePartition(o.partitioner, op.topic, f.key === null ? null : typeof f.key === 'string' ? Buffer.from(f.key, 'utf8') : f.key, partitionCount);
        } else if (f.key !== null) {
          partition = keyedPartition(f, partitionCount);
        } else {
          sticky = true;
          if (state.sticky < 0 || state.sticky >= partitionCount) state.sticky = this.pickSticky(info, -1);
          partition = state.sticky;
        }
        let q = partition === lastPartition ? lastQueue! : this.queueOf(state, partition);
        let tail = q.tail();
        // The common case costs one sizeIn: the open batch has room.
        if (tail === undefined || !this.fits(tail, f, fields)) {
          if (sticky && partitionCount > 1 && tail !== undefined) {
            // KIP-480: the sticky partition's batch is full; records without a key move on.
            state.sticky = this.pickSticky(info, partition);
            partition = state.sticky;
            q = this.queueOf(state, partition);
            tail = q.tail();
          }
          if (tail === undefined || !this.fits(tail, f, fields)) {
            if (tail !== undefined) {
              tail.full = true;
              // A full batch does not linger: its queue, if parked, goes back to the drain now.
              this.ready.add(q);
            }
            const needed = batchHeaderBytes + recordOverheadBytesMax + fields;
            const limit = Math.max(o.batchSize, needed);
            // Memory reserved while this call waited was sized for this very record.
            // The rest of the call counts only when it goes here too (judged by its next record).
            const next = many?.[i + 1];
            const together =
              next !== undefined && typeof next === 'object' && next !== null && o.partitioner === undefined && (r.partition !== undefined ? next.partition === partition : next.partition === undefined && (partitionCount === 1 || (sticky && (next.key ?? null) === null)));
            const capacity = reserved > 0 ? Math.min(limit, Math.max(needed, reserved)) : this.firstCapacity(q, needed, limit, together ? (needed - batchHeaderBytes) * (recordCount - i) : 0);
            if (reserved >= capacity) {
              if (reserved > capacity) this.pool.release(reserved - capacity);
              reserved = 0;
            } else {
              if (reserved > 0) {
                this.pool.release(reserved);
                reserved = 0;
              }
              if (!this.pool.tryReserve(capacity)) {
                this.waitForMemory(op, i, info, capacity);
                return;
              }
            }
            // One clock reading a call, not a batch: its batches are made in one synchronous pass.
            if (createdMs < 0) createdMs = this.clock.monotonic();
            tail = new ProducerBatch(q, this.pool.allocate(capacity), capacity, createdMs, limit);
            q.push(tail);
            this.incomplete.size++;
            // A queue holding a batch is in `ready` until the drain empties it.
            this.ready.add(q);
            const size = tail.sizeIn(f, fields);
            assert(size > 0 && tail.pos + size <= tail.capacity, 'a new batch holds any record that passed checkSize');
          }
        }
        lastPartition = partition;
        lastQueue = q;
        tail.append(f, op, i);
        // The rest of an array call that goes to the same partition: one pass a record
        // (appendRun), while the records are plain, fit and the partition cannot change
        // (an explicit partition; or no partitioner, and no key or one partition).
        if (i + 1 < recordCount && o.partitioner === undefined) {
          const explicit = r.partition !== undefined;
          if (explicit || sticky || partitionCount === 1) {
            const keys = explicit || partitionCount === 1;
            for (;;) {
              i += tail.appendRun(op, i + 1, explicit, keys);
              if (tail.wantedBytes === 0 || !this.grow(tail, tail.wantedBytes)) break;
            }
          }
        }
      }
    } catch (err) {
      if (reserved > 0) this.pool.release(reserved);
      if (!isTributaryError(err)) throw err;
      op.fail(err);
    }
    this.doneAppending(op);
    this.wake();
  }

  /**
   * Whether the record measured in `f` fits in the open batch `b`, growing its buffer when
   * it has room under its limit but not in the buffer it has (and the pool has the memory).
   */
  private fits(b: ProducerBatch, f: RecordFields, fields: number): boolean {
    const size = b.sizeIn(f, fields);
    if (size < 0) return false;
    return b.pos + size <= b.capacity || this.grow(b, b.pos + size);
  }

  /**
   * Moves an open batch into a bigger buffer (at least `bytes`, at least 4x, at most its
   * limit), reserving the difference; false if the pool has not got it (the batch is then
   * full, and the next record waits for memory for a batch of its own, as Kafka's would).
   */
  private grow(b: ProducerBatch, bytes: number): boolean {
    const capacity = Math.min(b.limit, this.pool.sizeClass(Math.max(bytes, b.capacity * 4)));
    if (!this.pool.tryReserve(capacity - b.reservedBytes)) return false;
    const old = b.buffer;
    const next = this.pool.allocate(capacity);
    old.copy(next, batchHeaderBytes, batchHeaderBytes, b.pos);
    b.buffer = next;
    b.reservedBytes = capacity;
    this.pool.deallocate(old);
    return true;
  }

  /**
   * The first buffer of a new batch: big enough for the record (`needed` bytes), for the
   * rest of the call (`callBytes`, when it goes to this partition too) and for as much as the partition's
   * last batch held, rounded up to a size class of the pool (1 KiB up to `batchSize` in
   * steps of 4x), at most `limit`. Why not a whole `batchSize` each, as Kafka's clients
   * do: a batch reserves its buffer's bytes of `bufferMemory`, and with keyed records
   * spread over thousands of partitions most batches hold one record: 10,000 partitions ×
   * 16 KiB would be 160 MiB reserved for a megabyte of records, and sends would wait for
   * memory that holds nothing.
   */
  private firstCapacity(q: PartitionQueue, needed: number, limit: number, callBytes: number): number {
    return Math.min(limit, this.pool.sizeClass(Math.max(needed, q.lastBatchBytes, callBytes + batchHeaderBytes)));
  }

  private waitForMemory(op: SendOp, index: number, info: TopicInfo, bytes: number): void {
    this.blocking = true;
    this.appending.add(op);
    // Whatever is in batches goes now: that is what will free the memory.
    this.wake();
    this.pool.reserve(bytes, this.options.maxBlockMs).then(
      () => {
        this.blocking = false;
        const latest = this.metadata.topic(op.topic) ?? info;
        this.appendFrom(op, index, latest.partitions.length >= info.partitions.length ? latest : info, bytes);
        this.resumeBlocked();
      },
      (err: unknown) => {
        this.blocking = false;
        op.fail(err);
        this.doneAppending(op);
        this.resumeBlocked();
      },
    );
  }

  private resumeBlocked(): void {
    while (!this.blocking && this.blockedOps.length > 0) {
      const op = this.blockedOps.shift()!;
      const info = this.metadata.topic(op.topic);
      if (info === undefined) {
        this.appending.delete(op);
        this.appendWhenKnown(op);
      } else {
        this.appendFrom(op, 0, info, 0);
      }
    }
  }

  private doneAppending(op: SendOp): void {
    if (!this.appending.delete(op)) return;
    const waiters = this.appendWaiters.get(op);
    if (waiters !== undefined) {
      this.appendWaiters.delete(op);
      for (const w of waiters) w();
    }
  }

  private appendedOf(op: SendOp): Promise<void> {
    if (!this.appending.has(op)) return Promise.resolve();
    return new Promise((resolve) => {
      let list = this.appendWaiters.get(op);
      if (list === undefined) this.appendWaiters.set(op, (list = []));
      list.push(resolve);
    });
  }

  /** A partition for records without a key: one with a leader if any, not `avoid` when there is another. */
  private pickSticky(info: TopicInfo, avoid: number): number {
    const n = info.partitions.length;
    const candidates: number[] = [];
    for (const p of info.partitions) if (p.leaderId >= 0 && p.partition !== avoid) candidates.push(p.partition);
    if (candidates.length > 0) return candidates[this.rng.int(candidates.length)]!;
    if (n === 1) return 0;
    const next = this.rng.int(n - 1);
    return avoid >= 0 && next >= avoid ? next + 1 : next;
  }
}

/** An upper bound of a key's or value's UTF-8 bytes, checking its type. */
function boundOf(v: unknown, what: string, index: number, topic: string): number {
  if (v === null || v === undefined) {
    if (v === undefined && what === 'value') throw new TributaryError('INVALID_RECORD', `record ${index} has no value (use null for none)`, { topic });
    return 0;
  }
  if (typeof v === 'string') return v.length * 3;
  if (v instanceof Uint8Array) return v.length;
  throw new TributaryError('INVALID_RECORD', `record ${index}: a ${what} must be a string, bytes or null, got ${typeof v}`, { topic });
}

/**
 * The partition of a record with a key: Kafka's murmur2 of the key's bytes. An ASCII
 * string key is hashed from the string itself (its code units are its UTF-8); any other
 * string key is replaced by its UTF-8 bytes first.
 */
function keyedPartition(f: RecordFields, partitionCount: number): number {
  const key = f.key!;
  if (typeof key === 'string' && f.keyBytes === key.length) return toPositive(murmur2Ascii(key)) % partitionCount;
  const bytes = typeof key === 'string' ? (f.key = Buffer.from(key, 'utf8')) : key;
  return partitionForKey(bytes, partitionCount);
}
