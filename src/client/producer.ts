import type { Transport } from '../transport/transport.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { RecordAccumulator, SendOp, SendShape, capture, captured, type ProducerRecord, type RecordMetadata } from './accumulator.js';
import { BufferPool } from './buffer-pool.js';
import type { ProducerMetrics } from './client-metrics.js';
import { MetadataCache } from './metadata-cache.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js';
import { SenderShell } from './sender-shell.js';
import { checkSendArguments } from './send-arguments.js';
import { SendClock } from './send-clock.js';
import { RecordMetadataList } from './record-metadata-list.js';

export type { ProducerRecord, RecordMetadata, ProducerHeader } from './accumulator.js';
export { RecordMetadataList } from './record-metadata-list.js';

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
 * const bulk = await producer.sendBatch('orders', [{ value: 'c' }, { value: 'd' }]);
 * console.log(bulk.offsetAt(1) - bulk.offsetAt(0)); // 1
 * await producer.close();
 * ```
 */
export class Producer {
  /** The options in force, defaults filled in. @internal */
  readonly options: ResolvedProducerOptions;
  /** @internal */
  readonly metadata: MetadataCache;
  private readonly pool: BufferPool;
  private readonly accumulator: RecordAccumulator;
  private readonly sender: SenderShell;
  private closed = false;
  /** What closed it when the user did not: its owner, as its errors name it (`the cluster`, `the connection`). @internal */
  closedWith: string | undefined;
  /** The records' default timestamp, read once per few sends of a synchronous run. */
  private readonly sendClock: SendClock;
  private closePromise: Promise<void> | undefined;

  constructor(
    transport: Transport,
    options: ProducerOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveProducerOptions(options);
    const rng = new Rng(this.options.randomSeed ?? (clock.now() ^ Math.floor(clock.monotonic() * 1000)));
    this.pool = new BufferPool(this.options.bufferMemory, this.options.batchSize, clock);
    this.sendClock = new SendClock(clock);
    this.metadata = new MetadataCache(transport, this.options, clock, rng.fork());
    this.accumulator = new RecordAccumulator(this.options, this.metadata, this.pool, clock, rng, () => this.sender.wake());
    this.sender = new SenderShell(this.accumulator, transport, this.metadata, this.options, clock, rng);
  }

  /** Bytes of batches open or waiting for an answer (at most `bufferMemory`). */
  get bufferedBytes(): number {
    return this.pool.used;
  }

  /** Records and bytes acknowledged, failed batch attempts, Produce request latency, what is buffered. */
  metrics(): ProducerMetrics {
    return this.sender.core.counts.snapshot(this.options.clientId, this.bufferedBytes, this.sender.core.requestsInFlight);
  }

  /** Produce requests sent and not yet answered. */
  get requestsOutstanding(): number {
    return this.sender.core.requestsInFlight;
  }

  /**
   * Sends one record, or an array of records, to a topic. Resolves with where each was
   * written (an array for an array), once acknowledged as `acks` says.
   */
  send(topic: string, record: ProducerRecord): Promise<RecordMetadata>;
  send(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  send(topic: string, input: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata | RecordMetadata[]> {
    return this.sendAs(topic, input, Array.isArray(input) ? SendShape.Array : SendShape.One) as Promise<RecordMetadata | RecordMetadata[]>;
  }

  /**
   * Sends an array of records, as `send` does, and resolves with a compact
   * `RecordMetadataList` instead of one `RecordMetadata` object a record: the call's
   * answer costs one object, not a thousand for a thousand records. For bulk loads and
   * any caller that reads few of the results; `list.at(i)` gives record `i`'s
   * `RecordMetadata`, `toArray()` the array `send` would have returned.
   */
  sendBatch(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadataList> {
    if (!Array.isArray(records)) {
      try {
        checkSendArguments(topic, records, 'sendBatch');
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.reject(new TributaryError('INVALID_RECORD', `sendBatch takes an array of records: producer.sendBatch(${JSON.stringify(topic)}, [{ key, value }])`, { topic, option: 'records' }));
    }
    return this.sendAs(topic, records, SendShape.List) as Promise<RecordMetadataList>;
  }

  private sendAs(topic: string, input: ProducerRecord | readonly ProducerRecord[], shape: SendShape): Promise<RecordMetadata | RecordMetadata[] | RecordMetadataList> {
    if (this.closed) return Promise.reject(new TributaryError('CLIENT_CLOSED', this.closedWith === undefined ? 'the producer is closed' : `the producer is closed: ${this.closedWith} was closed, and the producers made from it with it`, { topic }));
    const single = shape === SendShape.One;
    try {
      // A topic this producer already sends to was validated the first time.
      if (!this.accumulator.knows(topic)) checkSendArguments(topic, input, shape === SendShape.List ? 'sendBatch' : 'send');
      if (!single) this.accumulator.validate(topic, input as readonly ProducerRecord[]);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!single && (input as readonly ProducerRecord[]).length === 0) return Promise.resolve(shape === SendShape.List ? new RecordMetadataList(topic, 0, [], this.clock.now(), undefined) : []);
    // One executor for every call (`capture`), not a closure and its context a call.
    const promise = new Promise<RecordMetadata | RecordMetadata[] | RecordMetadataList>(capture);
    const now = this.sendClock.now();
    // A single record that goes straight into an open batch costs no SendOp (appendOne).
    if (!single || !this.accumulator.appendOne(topic, input as ProducerRecord, now, captured.resolve)) {
      this.accumulator.append(new SendOp(topic, input, now, shape, captured.resolve));
    }
    return promise;
  }

  /**
   * Resolves once every record sent before the call has its answer (written or failed):
   * batches are sent at once, without waiting for `lingerMs`. It never rejects; the
   * answers are the `send` promises'.
   */
  async flush(): Promise<void> {
    this.sender.core.flushing++;
    try {
      // Calls still appending (waiting for metadata or memory) first: their records are
      // part of "everything sent so far".
      await this.accumulator.appended();
      const batches = this.accumulator.unfinished();
      this.sender.wake();
      for (const b of batches) await new Promise<void>((resolve) => b.onDone(resolve));
    } finally {
      this.sender.core.flushing--;
    }
  }

  /** Refuses further sends (`CLIENT_CLOSED`), then flushes. Safe to call more than once. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.closed = true;
      this.sender.core.closed = true;
      await this.flush();
      this.pool.clearFree();
      this.sender.stop();
    })();
    return this.closePromise;
  }
  /** `await using producer = cluster.producer()` closes it (flushed) at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> { return this.close(); }
}
