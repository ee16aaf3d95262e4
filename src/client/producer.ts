import { ApiKey } from '../protocol/api-keys.js';
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData } from '../protocol/produce.js';
import { batchHeaderBytes } from '../record/batch.js';
import type { Transport } from '../transport/transport.js';
import { assert } from '../util/assert.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  BufferPool,
  PartitionQueue,
  ProducerBatch,
  SendOp,
  fieldBytes,
  measureHeaders,
  recordOverheadBytesMax,
  utf8Bytes,
  type ProducerRecord,
  type RecordFields,
  type RecordMetadata,
} from './accumulator.js';
import { ProducerCounts, type ProducerMetrics } from './client-metrics.js';
import { MetadataCache, type TopicInfo } from './metadata-cache.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js';
import { choosePartition, partitionForKey } from './partitioner.js';
import { checkSendArguments } from './send-arguments.js';
import { backoffMs, delay, isRetriable, isStaleMetadataError, withTimeout } from './retry.js';

export type { ProducerRecord, RecordMetadata, ProducerHeader } from './accumulator.js';

/** Sequence numbers wrap from 2^31 - 1 to 0, as Kafka's do. */
const sequenceModulo = 2 ** 31;

interface TopicState {
  readonly name: string;
  readonly queues: PartitionQueue[];
  /** The partition records without a key go to (KIP-480), or -1 before the first. */
  sticky: number;
  /** The metadata wait of the calls that came before the topic was known. */
  waiting: Promise<TopicInfo> | undefined;
}

/** What a drain decided to send to one node: one batch per partition, at most `maxRequestSize` bytes. */
interface Request {
  readonly node: number;
  readonly batches: ProducerBatch[];
  bytes: number;
  sentAtMs?: number;
}

/**
 * A Kafka producer: `send` records to topics, get back where each one was written.
 *
 * Semantics (Kafka's, see docs/design/clients.md):
 * - **Partitioning**: an explicit `partition` wins; else the `partitioner` option; else a
 *   keyed record goes to `murmur2(key) % partitions` exactly as the Java client, and
 *   records without a key stick to one partition until its batch fills (KIP-480).
 * - **Batching**: records are encoded into their partition's batch when `send` is called;
 *   a batch goes when it is full (`batchSize`), when `lingerMs` has passed, or (with
 *   `lingerMs` 0) as soon as fewer than `maxInFlight` requests are in flight for its
 *   partition, so records sent meanwhile gather in the next batch.
 * - **Ordering**: records of one partition are written in the order of the `send` calls
 *   and within a call; with idempotence (the default) this holds across retries, and the
 *   promises of one partition resolve in offset order.
 * - **Retries**: retriable errors (a leader that moved, a network error, a timeout) are
 *   retried after refreshing metadata, with exponential backoff from `retryBackoffMs`,
 *   until `deliveryTimeoutMs` after the send; idempotence makes a retry of a batch that
 *   was in fact written land once.
 * - **Backpressure**: at most `bufferMemory` bytes of batches wait for answers; `send`
 *   waits for room up to `maxBlockMs`, then rejects with `REQUEST_TIMED_OUT`.
 * - **Errors**: a call rejects with a `TributaryError` (`MESSAGE_TOO_LARGE` before
 *   sending anything, `CLIENT_CLOSED` after `close`, `UNKNOWN_TOPIC_OR_PARTITION` when the
 *   topic did not appear within `maxBlockMs`, the broker's error otherwise). A call of
 *   several records that fails may have had some of its records written.
 *
 * @example
 * ```ts
 * import { Producer, type Transport } from 'tributary-log';
 *
 * declare const transport: Transport;
 * const producer = new Producer(transport, { lingerMs: 5 });
 * const written = await producer.send('orders', { key: 'user-42', value: '{"total":9.5}' });
 * console.log(written.partition, written.offset);
 * const many = await producer.send('orders', [{ value: 'a' }, { value: 'b' }]);
 * console.log(many.length); // 2
 * await producer.close();
 * ```
 */
export class Producer {
  /** The options in force, defaults filled in. @internal */
  readonly options: ResolvedProducerOptions;
  /** @internal */
  readonly metadata: MetadataCache;
  private readonly pool: BufferPool;
  private readonly rng: Rng;
  private readonly topics = new Map<string, TopicState>();
  /** Queues with batches waiting to be sent. */
  private readonly ready = new Set<PartitionQueue>();
  /** Batches not yet finished, for `flush`. */
  private readonly incomplete = new Set<ProducerBatch>();
  /** Calls whose records are not all in batches yet (waiting for metadata or memory). */
  private readonly appending = new Set<SendOp>();
  private readonly appendWaiters = new Map<SendOp, (() => void)[]>();
  /** Calls waiting for an earlier call that waits for memory: records are appended in call order. */
  private readonly blockedOps: SendOp[] = [];
  private blocking = false;
  private readonly scratch: RecordFields = { key: null, keyBytes: -1, value: null, valueBytes: -1, headers: undefined, headersBytes: 1, timestamp: 0 };

  private producerId = -1;
  private producerEpoch = -1;
  private producerIdPromise: Promise<void> | undefined;
  /** A batch with a sequence number failed: new sequences need a new producer epoch. */
  private resetNeeded = false;
  private requestsInFlight = 0;
  private readonly counts = new ProducerCounts();
  private sendOrder = 0;

  /** Buffers of `batchSize` bytes whose batches are finished, for the next batches (Kafka's BufferPool free list). */
  private freeBuffers: Buffer[] = [];
  private drainScheduled = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeAtMs = Infinity;
  private flushing = 0;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private readonly drainFn = (): void => this.drain();

  constructor(
    private readonly transport: Transport,
    options: ProducerOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveProducerOptions(options);
    this.rng = new Rng(this.options.randomSeed ?? (clock.now() ^ Math.floor(clock.monotonic() * 1000)));
    this.pool = new BufferPool(this.options.bufferMemory);
    this.metadata = new MetadataCache(transport, this.options, clock, this.rng.fork());
  }

  /** Bytes of batches open or waiting for an answer (at most `bufferMemory`). */
  get bufferedBytes(): number {
    return this.pool.used;
  }

  /** Records and bytes acknowledged, failed batch attempts, Produce request latency, what is buffered. */
  metrics(): ProducerMetrics {
    return this.counts.snapshot(this.options.clientId, this.bufferedBytes, this.requestsInFlight);
  }

  /** Produce requests sent and not yet answered. */
  get requestsOutstanding(): number {
    return this.requestsInFlight;
  }

  /**
   * Sends one record, or an array of records, to a topic. Resolves with where each was
   * written (an array for an array), once acknowledged as `acks` says.
   */
  send(topic: string, record: ProducerRecord): Promise<RecordMetadata>;
  send(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  send(topic: string, input: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.closed) return Promise.reject(new TributaryError('CLIENT_CLOSED', 'the producer is closed', { topic }));
    const single = !Array.isArray(input);
    const records = single ? [input as ProducerRecord] : (input as readonly ProducerRecord[]);
    try {
      // A topic this producer already sends to was validated the first time.
      if (!this.topics.has(topic)) checkSendArguments(topic, input);
      if (!single) this.validate(topic, records);
    } catch (err) {
      return Promise.reject(err);
    }
    if (records.length === 0) return Promise.resolve([]);
    let resolve!: (v: RecordMetadata | RecordMetadata[]) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<RecordMetadata | RecordMetadata[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const op = new SendOp(topic, records, this.clock.now(), single, resolve, reject);
    const info = this.metadata.topic(topic);
    const state = this.topics.get(topic);
    if (info === undefined || info.partitions.length === 0 || state === undefined || state.waiting) {
      this.appendWhenKnown(op);
    } else if (this.blocking) {
      this.appending.add(op);
      this.blockedOps.push(op);
    } else {
      this.appendFrom(op, 0, info, 0);
    }
    return promise;
  }

  /**
   * Resolves once every record sent before the call has its answer (written or failed):
   * batches are sent at once, without waiting for `lingerMs`. It never rejects; the
   * answers are the `send` promises'.
   */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      // Calls still appending (waiting for metadata or memory) first: their records are
      // part of "everything sent so far".
      for (const op of [...this.appending]) await this.appendedOf(op);
      const batches = [...this.incomplete];
      this.wake();
      for (const b of batches) await new Promise<void>((resolve) => b.onDone(resolve));
    } finally {
      this.flushing--;
    }
  }

  /**
   * Refuses further sends (`CLIENT_CLOSED`), then flushes. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closed = true;
      await this.flush();
      this.freeBuffers = [];
      if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    })();
    return this.closePromise;
  }

  // ------------------------------------------------------------------ appending

  /** Checks every record of an array call before any is appended: types, and sizes against `maxRequestSize`. */
  private validate(topic: string, records: readonly ProducerRecord[]): void {
    const limit = this.options.maxRequestSize - batchHeaderBytes - recordOverheadBytesMax;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (typeof r !== 'object' || r === null) throw new TributaryError('INVALID_RECORD', `record ${i} must be an object, got ${r === null ? 'null' : typeof r}`, { topic });
      const bound = boundOf(r.key, 'key', i, topic) + boundOf(r.value, 'value', i, topic);
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
      throw new TributaryError('MESSAGE_TOO_LARGE', `record ${index} is ${size} bytes with its batch header, more than maxRequestSize (${this.options.maxRequestSize})`, { topic });
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
  private appendFrom(op: SendOp, start: number, info: TopicInfo, reserved: number): void {
    const records = op.records;
    const f = this.scratch;
    const state = this.stateOf(op.topic);
    const partitionCount = info.partitions.length;
    const o = this.options;
    const now = this.clock.monotonic();
    const fieldsMax = o.maxRequestSize - recordOverheadBytesMax - batchHeaderBytes;
    let lastPartition = -1;
    let lastQueue: PartitionQueue | undefined;
    try {
      for (let i = start; i < records.length; i++) {
        if (op.settled) break; // a batch of this call already failed
        const r = records[i]!;
        this.measure(r, f, op.topic, op.now);
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
          if (typeof f.key === 'string') f.key = Buffer.from(f.key, 'utf8');
          partition = partitionForKey(f.key, partitionCount);
        } else {
          sticky = true;
          if (state.sticky < 0 || state.sticky >= partitionCount) state.sticky = this.pickSticky(info, -1);
          partition = state.sticky;
        }
        let q = partition === lastPartition ? lastQueue! : this.queueOf(state, partition);
        let tail = q.tail();
        // The common case costs one sizeIn: the open batch has room.
        if (tail === undefined || tail.sizeIn(f, fields) < 0) {
          if (sticky && partitionCount > 1 && tail !== undefined) {
            // KIP-480: the sticky partition's batch is full; records without a key move on.
            state.sticky = this.pickSticky(info, partition);
            partition = state.sticky;
            q = this.queueOf(state, partition);
            tail = q.tail();
          }
          if (tail === undefined || tail.sizeIn(f, fields) < 0) {
            if (tail !== undefined) tail.full = true;
            const capacity = Math.max(o.batchSize, batchHeaderBytes + recordOverheadBytesMax + fields);
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
            tail = new ProducerBatch(op.topic, partition, this.allocate(capacity), capacity, now);
            q.push(tail);
            this.incomplete.add(tail);
            // A queue holding a batch is in `ready` until the drain empties it.
            this.ready.add(q);
            const size = tail.sizeIn(f, fields);
            assert(size > 0, 'a new batch holds any record that passed checkSize');
          }
        }
        lastPartition = partition;
        lastQueue = q;
        tail.append(f, op, i);
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
   * A batch buffer: one of `batchSize` bytes from the free list when there is one (as
   * Kafka's `BufferPool` keeps one), else a new one. Why reuse: every new 16 KiB buffer
   * is memory the garbage collector is told about, and at a few hundred MB a second of
   * new batches V8 ran a full collection every few milliseconds. Worked example, 3,000,000
   * records of 100 bytes to a broker that answers at once: 25% of the CPU profile was the
   * collector with a new buffer per batch (about 1 µs of CPU a record in all); with the
   * free list, see docs/design/clients.md for the numbers.
   *
   * This relies on a transport contract: once a request is answered, neither the
   * transport nor the broker holds on to its bytes (the log copies what it appends; a
   * socket has sent them before an answer can come). A buffer that was transferred away
   * (detached, length 0) is not reused, nor is the buffer of a batch with an attempt that
   * timed out or lost its connection: that request may still be read late.
   */
  private allocate(capacity: number): Buffer {
    if (capacity === this.options.batchSize) {
      const free = this.freeBuffers.pop();
      if (free !== undefined) return free;
    }
    return Buffer.allocUnsafeSlow(capacity);
  }

  /** Gives a finished batch's buffer back to the free list. */
  private recycle(b: ProducerBatch): void {
    const buf = b.buffer;
    if (!b.outcomeUnknown && buf.length === this.options.batchSize && buf.buffer.byteLength === buf.length && this.freeBuffers.length * buf.length < this.options.bufferMemory) {
      this.freeBuffers.push(buf);
    }
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

  // -------------------------------------------------------------------- sending

  /** Schedules a drain on the next microtask: records sent in the same turn share batches. */
  private wake(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drainFn);
  }

  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAtMs = Infinity;
      this.drain();
    }, Math.max(0, atMs - this.clock.monotonic()));
  }

  /**
   * Moves sendable batches into Produce requests, one batch per partition per request (as
   * Kafka's clients do, and as the broker requires of an idempotent producer), up to
   * `maxInFlight` requests per partition, grouped by leader.
   */
  private drain(): void {
    this.drainScheduled = false;
    if (this.ready.size === 0) return;
    const o = this.options;
    if (o.idempotent) {
      if (this.producerId < 0 || this.resetNeeded) {
        if (!this.resetNeeded || this.requestsInFlight === 0) this.initProducerId();
        this.expireWaiting();
        return;
      }
    }
    const now = this.clock.monotonic();
    let wakeAt = Infinity;
    let needMetadata = false;
    const requests: Request[] = [];
    const byNode = new Map<number, Request[]>();
    const compress: Promise<void>[] = [];
    for (const q of this.ready) {
      let slot = 0;
      while (q.size > 0) {
        const limit = q.retries > 0 ? 1 : o.maxInFlight;
        if (q.inFlight >= limit) break;
        const b = q.peek()!;
        if (now - b.createdMs >= o.deliveryTimeoutMs) {
          q.shift();
          if (b.attempts > 0) q.retries--;
          this.expire(q, b, now);
          continue;
        }
        if (b.state === 'open' && !b.full && o.lingerMs > 0 && this.flushing === 0 && now - b.createdMs < o.lingerMs) {
          wakeAt = Math.min(wakeAt, b.createdMs + o.lingerMs);
          break;
        }
        if (b.retryAtMs > now) {
          wakeAt = Math.min(wakeAt, b.retryAtMs);
          break;
        }
        // A retry after a stale-metadata error waits for the refresh it asked for, or it
        // would go straight back to the node that just said it does not lead.
        const leader = b.awaitingMetadata && this.metadata.isStale ? undefined : this.metadata.leader(q.topic, q.partition);
        if (leader === undefined) {
          needMetadata = true;
          wakeAt = Math.min(wakeAt, b.createdMs + o.deliveryTimeoutMs);
          break;
        }
        q.shift();
        if (b.attempts > 0) q.retries--;
        q.inFlight++;
        if (b.state === 'open') {
          b.sendOrder = this.sendOrder++;
          q.pending.push(b);
          if (o.compression === 'none') b.close();
          else compress.push(b.closeCompressed(o.compression));
        }
        b.state = 'in-flight';
        b.attempts++;
        b.leaderEpoch = leader.leaderEpoch;
        // Find (or open) the request for this node at this slot: a partition's k-th batch
        // goes into the node's k-th request, so each request holds one batch per partition.
        let list = byNode.get(leader.leaderId);
        if (list === undefined) byNode.set(leader.leaderId, (list = []));
        let req: Request | undefined;
        for (let k = slot; k < list.length; k++) {
          const candidate = list[k]!;
          if (candidate.bytes + b.capacity <= o.maxRequestSize && !candidate.batches.some((x) => x.topic === b.topic && x.partition === b.partition)) {
            req = candidate;
            slot = k + 1;
            break;
          }
        }
        if (req === undefined) {
          req = { node: leader.leaderId, batches: [], bytes: 0 };
          list.push(req);
          requests.push(req);
          slot = list.length;
        }
        req.batches.push(b);
        req.bytes += b.pos;
      }
      if (q.size === 0) this.ready.delete(q);
    }
    if (needMetadata) {
      this.metadata.refresh().then(
        // Drain again at once only if the refresh asked the cluster; a cache that was
        // fresh and still has no leader waits a backoff (draining again at once would
        // chain microtasks forever and starve the event loop).
        (asked) => (asked ? this.wake() : this.wakeAt(this.clock.monotonic() + o.retryBackoffMs)),
        () => this.wakeAt(this.clock.monotonic() + o.retryBackoffMs),
      );
    }
    if (wakeAt !== Infinity) this.wakeAt(wakeAt);
    if (requests.length === 0) return;
    if (compress.length === 0) {
      for (const r of requests) this.sendRequest(r);
    } else {
      Promise.all(compress).then(
        () => {
          for (const r of requests) this.sendRequest(r);
        },
        (err: unknown) => {
          for (const r of requests) this.requestFailed(r, err, false);
        },
      );
    }
  }

  private sendRequest(r: Request): void {
    const o = this.options;
    const topicData: TopicProduceData[] = [];
    for (const b of r.batches) {
      const q = this.topics.get(b.topic)!.queues[b.partition]!;
      if (o.idempotent && (b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || b.baseSequence < 0)) {
        b.stamp(this.producerId, this.producerEpoch, q.nextSequence);
        q.nextSequence = (q.nextSequence + b.recordCount) % sequenceModulo;
      }
      let t = topicData.find((x) => x.name === b.topic);
      if (t === undefined) topicData.push((t = { name: b.topic, partitionData: [] }));
      (t.partitionData as { index: number; records: Uint8Array | null }[]).push({ index: b.partition, records: b.bytes! });
    }
    const request: ProduceRequest = { apiKey: ApiKey.Produce, transactionalId: null, acks: o.acks, timeoutMs: o.requestTimeoutMs, topicData };
    this.requestsInFlight++;
    r.sentAtMs = performance.now();
    withTimeout(this.transport.send(r.node, request), o.requestTimeoutMs, `Produce request to node ${r.node}`).then(
      (response) => this.handleResponse(r, response),
      (err: unknown) => this.requestFailed(r, err, true),
    );
  }

  private handleResponse(r: Request, response: ProduceResponse): void {
    this.requestsInFlight--;
    this.counts.latency.record(performance.now() - r.sentAtMs!);
    for (const b of r.batches) {
      let p: PartitionProduceResponse | undefined;
      for (const t of response.responses) {
        if (t.name !== b.topic) continue;
        for (const x of t.partitionResponses) if (x.index === b.partition) p = x;
      }
      if (p === undefined) {
        if (this.options.acks === 0) this.succeed(b, -1, -1);
        else this.failed(b, 'UNKNOWN_SERVER_ERROR', 'the response did not answer for this partition', false);
        continue;
      }
      if (p.errorCode === 'NONE' || p.errorCode === 'DUPLICATE_SEQUENCE_NUMBER') this.succeed(b, this.options.acks === 0 ? -1 : p.baseOffset, p.logAppendTimeMs);
      else this.failed(b, p.errorCode, p.errorMessage ?? undefined, false);
    }
    this.wake();
  }

  private requestFailed(r: Request, err: unknown, sent: boolean): void {
    if (sent) this.requestsInFlight--;
    const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
    if (!isTributaryError(err) && sent) {
      // Not a TributaryError: a bug in a transport. Fail the records rather than retry forever.
      for (const b of r.batches) this.failed(b, 'UNKNOWN_SERVER_ERROR', String(err), false);
    } else {
      for (const b of r.batches) this.failed(b, code, isTributaryError(err) ? err.message : String(err), sent);
    }
    this.wake();
  }

  private queueFor(b: ProducerBatch): PartitionQueue {
    return this.topics.get(b.topic)!.queues[b.partition]!;
  }

  private succeed(b: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const q = this.queueFor(b);
    q.inFlight--;
    this.counts.sent(b.recordCount, b.bytes?.length ?? 0);
    b.result = { baseOffset, logAppendTime };
    this.settle(q);
  }

  /**
   * A batch's attempt failed with `code`. Retriable errors send it back to the front of its
   * queue (after a backoff) until its delivery timeout; OUT_OF_ORDER_SEQUENCE_NUMBER is
   * retriable when an earlier batch of the partition is unanswered or failed (the broker
   * is waiting for that batch's sequence); otherwise the batch fails.
   */
  private failed(b: ProducerBatch, code: ErrorCode, message: string | undefined, unknownOutcome: boolean): void {
    const q = this.queueFor(b);
    q.inFlight--;
    this.counts.errors++;
    this.metadata.invalidate(code);
    const now = this.clock.monotonic();
    const o = this.options;
    let retriable = isRetriable(code);
    if (o.idempotent && (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || code === 'UNKNOWN_PRODUCER_ID')) {
      const earlier = q.pending.indexOf(b) > 0;
      const stale = b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || this.resetNeeded;
      if (earlier || stale) {
        retriable = true;
      } else {
        // The broker lost this producer's sequence (a leader that lost data): this batch
        // fails and the rest start over under a new epoch.
        this.resetNeeded = true;
      }
    }
    b.storageError = code === 'KAFKA_STORAGE_ERROR' ? (message ?? code) : undefined;
    if (retriable && now - b.createdMs < o.deliveryTimeoutMs) {
      b.outcomeUnknown ||= unknownOutcome;
      b.awaitingMetadata = isStaleMetadataError(code);
      b.state = 'retry';
      b.retryAtMs = now + backoffMs(b.attempts - 1, o.retryBackoffMs, o.retryBackoffMaxMs, this.rng);
      q.requeue(b);
      this.ready.add(q);
      return;
    }
    if (o.idempotent && b.baseSequence >= 0 && (retriable || unknownOutcome || code !== 'NONE')) {
      // A sequence number that will never be written: later batches need a new epoch.
      this.resetNeeded = true;
    }
    const why = retriable ? `${message ?? code} (gave up after ${now - b.createdMs} ms, deliveryTimeoutMs ${o.deliveryTimeoutMs})` : (message ?? errorMessageOf(code));
    b.result = { error: new TributaryError(retriable && code !== 'KAFKA_STORAGE_ERROR' ? 'REQUEST_TIMED_OUT' : code, `${b.topic}-${b.partition}: ${why}`, { topic: b.topic, partition: b.partition }) };
    this.settle(q);
  }

  /** A batch that waited too long to be sent at all: `REQUEST_TIMED_OUT`, or `KAFKA_STORAGE_ERROR` if its last attempt failed on storage (a full disk says so). */
  private expire(q: PartitionQueue, b: ProducerBatch, now: number): void {
    if (b.state === 'open') {
      b.state = 'closed';
      q.pending.push(b);
    }
    if (this.options.idempotent && b.baseSequence >= 0) this.resetNeeded = true;
    const why = b.storageError !== undefined ? `: the last attempt failed: ${b.storageError}` : '';
    b.result = { error: new TributaryError(b.storageError !== undefined ? 'KAFKA_STORAGE_ERROR' : 'REQUEST_TIMED_OUT', `expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation (deliveryTimeoutMs ${this.options.deliveryTimeoutMs})${why}`, { topic: b.topic, partition: b.partition }) };
    this.settle(q);
  }

  /** Expires batches while the producer waits for its id (a cluster that does not answer). */
  private expireWaiting(): void {
    const now = this.clock.monotonic();
    for (const q of this.ready) {
      while (q.size > 0 && q.inFlight === 0 && now - q.peek()!.createdMs >= this.options.deliveryTimeoutMs) {
        const b = q.shift();
        if (b.attempts > 0) q.retries--;
        this.expire(q, b, now);
      }
      if (q.size === 0) this.ready.delete(q);
    }
  }

  /** Finishes the partition's batches that have answers, in order: a later batch waits for an earlier retry. */
  private settle(q: PartitionQueue): void {
    const pending = q.pending;
    let n = 0;
    while (n < pending.length && pending[n]!.result !== undefined) n++;
    if (n === 0) return;
    const done = pending.splice(0, n);
    for (const b of done) {
      this.incomplete.delete(b);
      this.pool.release(b.reservedBytes);
      b.finish();
      this.recycle(b);
    }
  }

  /** Gets a producer id (and epoch) with InitProducerId, again after a sequence was lost. */
  private initProducerId(): void {
    if (this.producerIdPromise !== undefined) return;
    const o = this.options;
    const bump = this.resetNeeded;
    const attempt = async (): Promise<void> => {
      for (let attempts = 0; ; attempts++) {
        const nodes = this.metadata.nodes();
        const node = nodes[attempts % Math.max(1, nodes.length)];
        try {
          if (node === undefined) throw new TributaryError('NETWORK_EXCEPTION', 'no node to ask for a producer id');
          const response = await withTimeout(
            this.transport.send(node, { apiKey: ApiKey.InitProducerId, transactionalId: null, transactionTimeoutMs: 60_000, producerId: bump ? this.producerId : -1, producerEpoch: bump ? this.producerEpoch : -1 }),
            o.requestTimeoutMs,
            `InitProducerId request to node ${node}`,
          );
          if (response.errorCode === 'NONE') {
            this.producerId = response.producerId;
            this.producerEpoch = response.producerEpoch;
            return;
          }
          if (!isRetriable(response.errorCode)) throw new TributaryError(response.errorCode, `InitProducerId failed: ${response.errorCode}`);
        } catch (err) {
          if (!isTributaryError(err) || !err.retriable) throw err;
          if (this.closed && this.incomplete.size === 0) throw err;
        }
        this.expireWaiting();
        await delay(backoffMs(attempts, o.retryBackoffMs, o.retryBackoffMaxMs, this.rng));
      }
    };
    this.producerIdPromise = attempt().then(
      () => {
        this.producerIdPromise = undefined;
        if (bump) {
          this.resetNeeded = false;
          // New epoch, new sequences from 0 in every partition; batches to retry are
          // stamped again when they are sent.
          for (const state of this.topics.values()) for (const q of state.queues) if (q !== undefined) q.nextSequence = 0;
        }
        this.wake();
      },
      (err: unknown) => {
        this.producerIdPromise = undefined;
        // The cluster refused to give a producer id: nothing can be sent idempotently.
        const error = isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
        for (const q of [...this.ready]) {
          while (q.size > 0) {
            const b = q.shift();
            if (b.state === 'open') q.pending.push(b);
            b.result = { error };
          }
          this.ready.delete(q);
          this.settle(q);
        }
      },
    );
  }
}

function errorMessageOf(code: ErrorCode): string {
  return new TributaryError(code).message;
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
