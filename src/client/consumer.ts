import { ApiKey } from '../protocol/api-keys.js';
import type { FetchPartitionResponse, FetchRequest, FetchTopic } from '../protocol/fetch.js';
import type { RecordHeader, TimestampType } from '../record/batch.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { validateTopicName } from '../util/topic-name.js';
import type { ConsumerMetrics, ConsumerPartitionMetrics } from './client-metrics.js';
import { decodeChunk, endOffsetOf, type Draining } from './completed-fetch.js';
import { BatchIterator, RecordIterator } from './consumer-iterators.js';
import { edgeOffsets, offsetsForTimes, type OffsetAndTimestamp, type TopicPartitionOffset, type TopicPartitionTimestamp } from './consumer-offsets.js';
import { lookUpOffsets, type OffsetLookupContext } from './list-offsets.js';
import { checkPartitionList, checkTopicPartition } from './topic-partition-checks.js';
import { LatencyHistogram } from '../util/metrics.js';
import { MetadataCache } from './metadata-cache.js';
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './options.js';
import { backoffMs, delay, isRetriable, isStaleMetadataError, withTimeout } from './retry.js';

/**
 * A topic and one of its partitions.
 *
 * @example
 * ```ts
 * import type { TopicPartition } from 'tributary-log';
 *
 * const tp: TopicPartition = { topic: 'orders', partition: 3 };
 * console.log(`${tp.topic}-${tp.partition}`); // orders-3
 * ```
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A record read from a partition, with where it sits and the epoch of the leader that
 * appended it.
 *
 * @example
 * ```ts
 * import type { ConsumerRecord } from 'tributary-log';
 *
 * function show(r: ConsumerRecord): string {
 *   return `${r.topic}-${r.partition}@${r.offset}: ${r.value === null ? 'null' : Buffer.from(r.value).toString()}`;
 * }
 * console.log(typeof show); // function
 * ```
 */
export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch (the producer's, or the broker's for LogAppendTime topics). */
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
  /** The epoch of the leader that appended the record's batch. */
  readonly leaderEpoch: number;
  /** What `timestamp` is: the producer's (`CreateTime`) or the broker's at append (`LogAppendTime`, a topic's `message.timestamp.type`); from the record's batch, as Kafka's `ConsumerRecord.timestampType()`. */
  readonly timestampType: TimestampType;
}

/**
 * Records of one partition, in offset order: the next records of one fetch's data, at most
 * 500 (as Kafka's consumer hands out at most `max.poll.records` a poll); a record batch
 * larger than that comes in parts, in consecutive chunks.
 *
 * @example
 * ```ts
 * import type { ConsumerBatch } from 'tributary-log';
 *
 * function lag(b: ConsumerBatch): number {
 *   const last = b.records[b.records.length - 1];
 *   return last === undefined ? 0 : b.highWatermark - last.offset - 1;
 * }
 * console.log(typeof lag); // function
 * ```
 */
export interface ConsumerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumerRecord[];
  /** The partition's high watermark when the fetch was answered. */
  readonly highWatermark: number;
}

/**
 * Where `seek` moves a partition: an offset, the first or the next offset, or the first
 * offset whose timestamp is at least the one given (the end of the log if none is).
 *
 * @example
 * ```ts
 * import { Cluster, type SeekTarget } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * const consumer = cluster.consumer();
 * const tp = { topic: 'orders', partition: 0 };
 * consumer.assign([tp]);
 * // Replay the last hour.
 * const from: SeekTarget = { timestamp: Date.now() - 60 * 60 * 1000 };
 * await consumer.seek(tp, from);
 * await consumer.seek(tp, 'earliest'); // or from the start
 * await consumer.close();
 * ```
 */
export type SeekTarget = number | 'earliest' | 'latest' | { readonly timestamp: number };

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to hand out (and to fetch); undefined until reset or sought. */
  position: number | undefined;
  /** Bumped by every seek: answers to fetches sent before are dropped. */
  generation: number;
  resetting: boolean;
  paused: boolean;
  /**
   * The generation of the fetch in flight, if any. A seek bumps the generation, so the
   * partition may be fetched again at once from its new position: the old fetch (maybe a
   * long poll at an auto-reset position, waiting up to `maxWaitMs`) is ignored when it
   * answers, instead of holding the sought partition back until then.
   */
  inFlight: number | undefined;
  /** One fetch's data, waiting for the iterator. */
  buffered: CompletedFetch | undefined;
  /**
   * The fetch whose records are being handed out, a chunk at a time (see `nextBatch`). The
   * partition is fetched again, from the end of this data, as soon as its first chunk is
   * handed out, so the next answer may wait in `buffered` meanwhile.
   */
  draining: Draining | undefined;
  retryAtMs: number;
  retries: number;
  /** The last fetch failed with a stale-metadata error: wait for fresh metadata before the next. */
  awaitingMetadata: boolean;
  /** A failure to hand to the iterator (OFFSET_OUT_OF_RANGE with autoOffsetReset 'none', a fatal fetch error). */
  error: TributaryError | undefined;
  assigned: boolean;
  /** The partition's high watermark as of the last fetch, or -1. */
  highWatermark: number;
}

interface CompletedFetch {
  readonly generation: number;
  readonly fetchOffset: number;
  readonly records: Uint8Array;
  readonly highWatermark: number;
}

/**
 * The fetched data a consumer lets wait to be handed out, in `maxPartitionBytes` (4 MiB by
 * default): a partition whose last fetch showed a backlog is fetched only while the data
 * waiting, plus `maxPartitionBytes` for each fetch in flight that may bring that much,
 * stays within it (or nothing waits at all), and `pump` takes the partitions in turn from
 * where it stopped, so each gets its share. A partition at its end (a long poll) or not
 * fetched yet is fetched as before, whatever waits: a consumer of many partitions starts
 * polling all of them at once, and its first round may bring one response a partition.
 *
 * Why: a fetched buffer holds a whole response's bytes, and every record of it holds the
 * buffer. With 12 partitions and nothing to bound it, 12 MiB of fetched data waited its
 * turn, each partition's next response behind the other 11 partitions' data, some 25 MB
 * of records made meanwhile: two young-generation collections, so the buffers (and some
 * records) were promoted, their bytes freed only by full collections, and the process
 * ran most of a full collection a pass of 300,000 records, the collector's threads at 90
 * to 100 ns a record against 20 for reading the log directly (2026-12-07g-consumer.md).
 * Kafka's consumer bounds one response (`fetch.max.bytes`), not the sum; with the log in
 * the same process, data waiting costs memory and collector work and buys nothing.
 */
const fetchBufferPartitions = 4;

/**
 * Whether the partition's last fetch said there is more to read than it fetches next (its
 * high watermark beyond its next fetch offset). Unknown (no fetch yet): no.
 */
function hasBacklog(s: PartitionState): boolean {
  return s.highWatermark >= 0 && (s.draining?.endOffset ?? s.position ?? s.highWatermark) < s.highWatermark;
}

/** The key of a partition in the consumer's maps. */
const keyOf = (topic: string, partition: number): string => `${partition}:${topic}`;

/**
 * A consumer without a group: you say which partitions to read (`assign`) and from where
 * (`seek`), then iterate.
 *
 * How it fetches: a Fetch per leader node holding every assigned partition that node
 * leads which is not paused, has no fetched data waiting and no fetch in flight; the
 * broker holds it up to `maxWaitMs` until `minBytes` are there. (No gate per node: a long
 * poll on partitions at their end must not hold back partitions with records to read.) A partition's data
 * waits, one response's worth at most, until the iteration reaches it, and the partition
 * is fetched again only then: a slow loop slows the fetching instead of filling memory.
 * Leader changes are followed through the metadata cache (NOT_LEADER_OR_FOLLOWER,
 * FENCED_LEADER_EPOCH refresh it and retry); an offset out of range resets the position as
 * `autoOffsetReset` says, or fails the iteration with `OFFSET_OUT_OF_RANGE` for `'none'`.
 *
 * Decoding handles every codec, skips control batches, and skips records before the
 * position inside a batch (a fetch returns whole batches).
 *
 * @example
 * ```ts
 * import { Consumer, type Transport } from 'tributary-log';
 *
 * declare const transport: Transport;
 * const consumer = new Consumer(transport, { maxWaitMs: 100 });
 * consumer.assign([{ topic: 'orders', partition: 0 }]);
 * await consumer.seek({ topic: 'orders', partition: 0 }, 'earliest');
 * for await (const record of consumer) {
 *   console.log(record.offset, record.value);
 *   if (record.offset >= 9) break;
 * }
 * await consumer.close();
 * ```
 */
export class Consumer implements AsyncIterable<ConsumerRecord> {
  /** The options in force, defaults filled in. @internal */
  readonly options: ResolvedConsumerOptions;
  private readonly metadata: MetadataCache;
  private readonly rng: Rng;
  private readonly states = new Map<string, PartitionState>();
  /** The states in assignment order, and where `pump` starts looking (it rotates: see `fetchBufferPartitions`). */
  private stateList: PartitionState[] = [];
  private fetchCursor = 0;
  /** Partitions with data waiting, in the order it arrived. */
  private readyQueue: PartitionState[] = [];
  /** Fetch requests in flight. */
  private fetchesOut = 0;
  private closed = false;
  /** What closed it when the user did not: its owner, as its errors name it (`the cluster`, `the connection`). @internal */
  closedWith: string | undefined;
  private signal: { promise: Promise<void>; resolve: () => void } | undefined;
  private pumpTimer: ClockTimer | undefined;
  private pumpAtMs = Infinity;
  /** Fetch requests sent so far (for monitoring and tests). */
  fetchCount = 0;
  private readonly consumed = { records: 0, bytes: 0 };
  private readonly fetchLatency = new LatencyHistogram();
  /** Whether fetched batches' CRCs are checked (see the constructor). */
  private readonly verifyCrc: boolean;
  /** ListOffsets by leader, for `beginningOffsets`, `endOffsets`, `offsetsForTimes`. */
  private readonly offsetLookup: OffsetLookupContext;
  /** `poll`, for the iterators. */
  private readonly pollStep = (): ReturnType<Consumer['poll']> => this.poll();

  constructor(
    private readonly transport: Transport,
    options: ConsumerOptions = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.options = resolveConsumerOptions(options);
    // Checked where the bytes crossed a process boundary (a transport to a cluster elsewhere:
    // TCP, or one a user wrote); in this process, the leader checked them once where the
    // producer's bytes entered the cluster (Partition.appendAsLeader), and a follower where
    // they entered it. `checkCrcs: true` checks anyway (a disk that may rot under the log).
    this.verifyCrc = options.checkCrcs !== undefined ? this.options.checkCrcs : transport.clusterRunId === undefined;
    this.rng = new Rng(clock.now() ^ 0x5eed);
    this.metadata = new MetadataCache(transport, this.options, clock, this.rng.fork());
    this.offsetLookup = { transport, metadata: this.metadata, clock, timeoutMs: this.options.requestTimeoutMs, checkOpen: () => this.checkOpen() };
  }

  /**
   * Reads exactly these partitions from now on (replacing the previous assignment). A
   * partition kept keeps its position; a new one starts where `seek` puts it, or where
   * `autoOffsetReset` says if it is read before any seek.
   */
  assign(partitions: readonly TopicPartition[]): void {
    this.checkOpen();
    checkPartitionList(partitions);
    const next = new Map<string, PartitionState>();
    for (const tp of partitions) {
      checkTopicPartition(tp);
      const key = keyOf(tp.topic, tp.partition);
      const state = this.states.get(key) ?? {
        topic: tp.topic,
        partition: tp.partition,
        position: undefined,
        generation: 0,
        resetting: false,
        paused: false,
        inFlight: undefined,
        buffered: undefined,
        draining: undefined,
        retryAtMs: 0,
        retries: 0,
        error: undefined,
        assigned: true,
        awaitingMetadata: false,
        highWatermark: -1,
      };
      next.set(key, state);
      this.metadata.want(tp.topic);
    }
    for (const [key, s] of this.states) {
      if (!next.has(key)) {
        s.assigned = false;
        s.generation++;
        s.buffered = undefined;
        s.draining = undefined;
      }
    }
    this.states.clear();
    for (const [k, s] of next) this.states.set(k, s);
    this.stateList = [...next.values()];
    this.fetchCursor = 0;
    this.readyQueue = this.readyQueue.filter((s) => s.assigned);
    this.pump();
  }

  /**
   * The partitions of a topic (Kafka's `partitionsFor`), waiting for the topic to appear
   * for at most `requestTimeoutMs`; `UNKNOWN_TOPIC_OR_PARTITION` if it does not.
   */
  async partitionsFor(topic: string): Promise<number[]> {
    this.checkOpen();
    validateTopicName(topic);
    const info = await this.metadata.waitForTopic(topic, this.clock.monotonic() + this.options.requestTimeoutMs);
    return info.partitions.map((p) => p.partition);
  }

  /** The assigned partitions. */
  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /**
   * Moves an assigned partition's position: to an offset, to `'earliest'` or `'latest'`,
   * or to the first offset whose timestamp is at least `{ timestamp }` (ListOffsets; the
   * end of the log when no record is that late). Data already fetched from the old
   * position is dropped. Resolves once the position is known.
   */
  async seek(tp: TopicPartition, target: SeekTarget): Promise<void> {
    this.checkOpen();
    const s = this.stateOf(tp);
    s.generation++;
    s.buffered = undefined;
    s.draining = undefined;
    s.error = undefined;
    if (typeof target === 'number') {
      if (!Number.isSafeInteger(target) || target < 0) throw new TributaryError('INVALID_ARGUMENT', `an offset must be a non-negative integer, got ${String(target)}`, { topic: tp.topic, partition: tp.partition, option: 'offset' });
      s.position = target;
      s.resetting = false;
      this.pump();
      return;
    }
    let timestamp: number;
    if (target === 'earliest') timestamp = -2;
    else if (target === 'latest') timestamp = -1;
    else if (typeof target === 'object' && target !== null && Number.isSafeInteger(target.timestamp) && target.timestamp >= 0) timestamp = target.timestamp;
    else throw new TributaryError('INVALID_ARGUMENT', `seek target must be an offset, 'earliest', 'latest' or { timestamp }, got ${JSON.stringify(target)}`, { topic: tp.topic, partition: tp.partition, option: 'target' });
    const generation = s.generation;
    s.position = undefined;
    s.resetting = true;
    try {
      const offset = await this.listOffset(s, timestamp);
      if (s.generation === generation) s.position = offset;
    } finally {
      if (s.generation === generation) s.resetting = false;
      this.pump();
    }
  }

  /** The next offset the iteration will hand out for a partition, or undefined before it is known. */
  position(tp: TopicPartition): number | undefined {
    return this.stateOf(tp).position;
  }

  /**
   * The log start offset of each partition (Kafka's `beginningOffsets`), in the order
   * given; the partitions need not be assigned. One ListOffsets per leader node;
   * `UNKNOWN_TOPIC_OR_PARTITION` for a topic or partition the cluster does not have.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'orders', partitions: 2 }]);
   * const consumer = cluster.consumer();
   * const starts = await consumer.beginningOffsets([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }]);
   * console.log(starts.map((s) => s.offset)); // [ 0, 0 ]
   * await consumer.close();
   * ```
   */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return edgeOffsets(this.offsetLookup, partitions, 'earliest');
  }

  /**
   * The high watermark of each partition (Kafka's `endOffsets`: the offset the next record
   * appended gets once replicated; no transactions here, so no last stable offset), in the
   * order given, as `beginningOffsets` does.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'orders' }]);
   * await cluster.producer().send('orders', [{ value: 'a' }, { value: 'b' }]);
   * const consumer = cluster.consumer();
   * const [end] = await consumer.endOffsets([{ topic: 'orders', partition: 0 }]);
   * console.log(end!.offset); // 2
   * await consumer.close();
   * ```
   */
  endOffsets(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return edgeOffsets(this.offsetLookup, partitions, 'latest');
  }

  /**
   * For each `{ topic, partition, timestamp }`, the earliest offset whose record's
   * timestamp is at least `timestamp`, with that record's timestamp; `null` where no
   * record is that late (Kafka's `offsetsForTimes`), in the order given. A negative
   * timestamp is refused with `INVALID_ARGUMENT`. `seek(tp, { timestamp })` moves there.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().createTopics([{ name: 'orders' }]);
   * await cluster.producer().send('orders', [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]);
   * const consumer = cluster.consumer();
   * const [at, late] = await consumer.offsetsForTimes([
   *   { topic: 'orders', partition: 0, timestamp: 1500 },
   *   { topic: 'orders', partition: 0, timestamp: 9000 },
   * ]);
   * console.log(at, late); // { topic: 'orders', partition: 0, offset: 1, timestamp: 2000 } null
   * await consumer.close();
   * ```
   */
  offsetsForTimes(query: readonly TopicPartitionTimestamp[]): Promise<(OffsetAndTimestamp | null)[]> {
    return offsetsForTimes(this.offsetLookup, query);
  }

  /** Stops fetching these partitions and handing out their records, until `resume`. */
  pause(partitions: readonly TopicPartition[]): void {
    checkPartitionList(partitions);
    for (const tp of partitions) this.stateOf(tp).paused = true;
  }

  /** Fetches and hands out these partitions' records again. */
  resume(partitions: readonly TopicPartition[]): void {
    checkPartitionList(partitions);
    for (const tp of partitions) {
      const s = this.stateOf(tp);
      s.paused = false;
      if ((s.buffered !== undefined || s.draining !== undefined) && !this.readyQueue.includes(s)) this.readyQueue.push(s);
    }
    this.pump();
    this.notify();
  }

  /** The paused partitions. */
  paused(): TopicPartition[] {
    return [...this.states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Fetches sent and not yet answered (at most one per partition). */
  get fetchesInFlight(): number {
    return this.fetchesOut;
  }

  /** Ends every iteration (cleanly: the loops see `done`) and refuses further calls with CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    stopTimer(this.clock, this.pumpTimer);
    this.pumpTimer = undefined;
    this.notify();
  }

  /** `await using consumer = cluster.consumer()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Records one at a time, in offset order within each partition. Leaving the loop
   * (`break`, `return`, a throw) ends the iteration as `batches()` does: the rest of the
   * current chunk is not handed out again (the position is past it).
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<ConsumerRecord> {
    return new RecordIterator(new BatchIterator(this.pollStep));
  }

  /**
   * The records of each fetched partition chunk, as one batch: the cheaper way to
   * consume many records. A chunk is the next records of one fetch, at most 500 (a record
   * batch may be split across chunks); the position moves past each chunk as it is handed
   * out. Ends when the consumer is closed.
   */
  batches(): AsyncGenerator<ConsumerBatch, void, undefined> {
    return new BatchIterator(this.pollStep);
  }

  /**
   * Records and bytes received, fetch latency, and the lag of each assigned partition:
   * its high watermark as of the last fetch minus the consumer's position (the next
   * offset it fetches), -1 while either is unknown.
   */
  metrics(): ConsumerMetrics {
    const partitions: ConsumerPartitionMetrics[] = [];
    let lag = 0;
    for (const s of this.states.values()) {
      const known = s.position !== undefined && s.highWatermark >= 0;
      const l = known ? Math.max(0, s.highWatermark - s.position!) : -1;
      if (l > 0) lag += l;
      partitions.push({ topic: s.topic, partition: s.partition, position: s.position ?? -1, highWatermark: s.highWatermark, lag: l });
    }
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return { kind: 'consumer', clientId: this.options.clientId, recordsConsumed: this.consumed.records, bytesConsumed: this.consumed.bytes, fetchLatencyMs: this.fetchLatency.summary(), lag, partitions };
  }

  // ------------------------------------------------------------------ internals

  private checkOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', this.closedWith === undefined ? 'the consumer is closed' : `the consumer is closed: ${this.closedWith} was closed, and the consumers made from it with it`);
  }

  private stateOf(tp: TopicPartition): PartitionState {
    checkTopicPartition(tp);
    const s = this.states.get(keyOf(tp.topic, tp.partition));
    if (s === undefined) throw new TributaryError('INVALID_ARGUMENT', `${tp.topic}-${tp.partition} is not assigned to this consumer`, { topic: tp.topic, partition: tp.partition });
    return s;
  }

  private notify(): void {
    const s = this.signal;
    this.signal = undefined;
    s?.resolve();
  }

  private waitForSignal(): Promise<void> {
    if (this.signal === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.signal = { promise, resolve };
    }
    return this.signal.promise;
  }

  /**
   * The next partition chunk: decoded now when its data is here and uncompressed (the
   * common case, no promise at all), else a promise. `null` once closed; a promise's
   * `undefined` means "poll again" (a wait for data ended, or the chunk was dropped by a
   * seek while it was decompressed). Throws (or rejects with) a partition's failure.
   *
   * Why synchronous: a `for await` over `batches()` used to cost, per chunk, the async
   * generator's round, this method's promise and the decode's promise, each a turn of the
   * microtask queue; a chunk is about 1,000 records of 100 bytes, so these were 5 to 10 ns
   * a record (2026-12-07g-consumer.md).
   */
  private poll(): ConsumerBatch | null | Promise<ConsumerBatch | null | undefined> {
    for (;;) {
      if (this.closed) return null;
      for (const s of this.states.values()) {
        if (s.error !== undefined) {
          const err = s.error;
          s.error = undefined;
          throw err;
        }
      }
      const i = this.readyQueue.findIndex((s) => !s.paused);
      if (i < 0) {
        this.pump();
        return this.waitForSignal() as Promise<undefined>;
      }
      const s = this.readyQueue[i]!;
      let d = s.draining;
      if (d === undefined) {
        const fetched = s.buffered;
        s.buffered = undefined;
        if (fetched === undefined || fetched.generation !== s.generation || !s.assigned || s.position !== fetched.fetchOffset) {
          this.readyQueue.splice(i, 1);
          continue;
        }
        d = s.draining = { generation: fetched.generation, records: fetched.records, highWatermark: fetched.highWatermark, position: 0, next: fetched.fetchOffset, endOffset: endOffsetOf(fetched.records, fetched.fetchOffset) };
        // The next fetch may go now, from the end of this data (fetch-ahead).
        this.pump();
      }
      if (d.generation !== s.generation || !s.assigned) {
        s.draining = undefined;
        this.leaveQueue(s, i);
        continue;
      }
      let batch: ConsumerBatch | undefined | Promise<ConsumerBatch | undefined>;
      try {
        batch = decodeChunk(s, d, this.verifyCrc, this.consumed);
      } catch (err) {
        this.dropDraining(s, d);
        throw err;
      }
      if (batch instanceof Promise) {
        return batch.then(
          (b) => {
            this.afterChunk(s, d);
            return b;
          },
          (err: unknown) => {
            this.dropDraining(s, d);
            throw err;
          },
        );
      }
      this.afterChunk(s, d);
      if (batch !== undefined) return batch;
    }
  }

  /** A chunk was handed out: a partition whose data is all handed out leaves the queue, and may be fetched again. */
  private afterChunk(s: PartitionState, d: Draining): void {
    if (s.draining === d && d.position >= d.records.length && d.open === undefined) {
      s.draining = undefined;
      this.leaveQueue(s, this.readyQueue.indexOf(s));
      this.pump();
    }
  }

  /** A chunk failed to decode: the rest of that data goes, and the partition leaves the queue. */
  private dropDraining(s: PartitionState, d: Draining): void {
    if (s.draining === d) s.draining = undefined;
    this.leaveQueue(s, this.readyQueue.indexOf(s));
  }

  /** A partition done with its data leaves the queue; one whose next fetch answered meanwhile goes to its end. */
  private leaveQueue(s: PartitionState, i: number): void {
    if (i >= 0) this.readyQueue.splice(i, 1);
    if (s.buffered !== undefined || s.draining !== undefined) this.readyQueue.push(s);
  }

  /** Sends what can be sent: resets for partitions without a position, one fetch per leader node for its fetchable partitions. */
  private pump(): void {
    if (this.closed) return;
    const now = this.clock.monotonic();
    const byNode = new Map<number, PartitionState[]>();
    let wakeAt = Infinity;
    let needMetadata = false;
    const o = this.options;
    const bufferMax = fetchBufferPartitions * o.maxPartitionBytes;
    // The fetched data not handed out yet, and what the fetches in flight for partitions
    // with a backlog may bring (see `fetchBufferPartitions`).
    let waiting = 0;
    for (const s of this.stateList) {
      // A paused partition's data waits for the user, not for the others: it does not count.
      if (s.paused) continue;
      if (s.buffered !== undefined) waiting += s.buffered.records.length;
      if (s.draining !== undefined) waiting += s.draining.records.length - s.draining.position;
      // A first fetch (backlog unknown) may bring a partition's worth too.
      if (s.inFlight === s.generation && (s.highWatermark < 0 || hasBacklog(s))) waiting += o.maxPartitionBytes;
    }
    const waitingBefore = waiting;
    const n = this.stateList.length;
    let lastTaken = -1;
    for (let k = 0; k < n; k++) {
      const at = (this.fetchCursor + k) % n;
      const s = this.stateList[at]!;
      if (s.paused || s.inFlight === s.generation || s.buffered !== undefined || s.resetting || s.error !== undefined) continue;
      if (s.retryAtMs > now) {
        wakeAt = Math.min(wakeAt, s.retryAtMs);
        continue;
      }
      if (s.position === undefined) {
        this.autoReset(s);
        continue;
      }
      if (s.awaitingMetadata && !this.metadata.isStale) s.awaitingMetadata = false;
      const leader = s.awaitingMetadata ? undefined : this.metadata.leader(s.topic, s.partition);
      if (leader === undefined) {
        needMetadata = true;
        continue;
      }
      if (hasBacklog(s)) {
        if (waiting > 0 && waiting + o.maxPartitionBytes > bufferMax) continue;
        waiting += o.maxPartitionBytes;
        lastTaken = at;
      }
      // No gate per node: a fetch in flight may be a long poll on partitions at their end,
      // waiting up to maxWaitMs, and must not hold back partitions of the same leader that
      // have records to read. What bounds the fetching is per partition: at most one fetch
      // in flight and one answer buffered.
      let list = byNode.get(leader.leaderId);
      if (list === undefined) byNode.set(leader.leaderId, (list = []));
      list.push(s);
    }
    if (needMetadata) {
      this.metadata.refresh().then(
        // A refresh that reached the cluster may have found the leader: pump now. One that
        // did not (the cache was fresh, yet a partition has no leader) must not pump again
        // at once, or pump and refresh would chain microtasks forever: wait a backoff.
        (asked) => (asked ? this.pump() : this.pumpAt(this.clock.monotonic() + this.options.retryBackoffMs)),
        () => this.pumpAt(this.clock.monotonic() + this.options.retryBackoffMs),
      );
    }
    if (lastTaken >= 0) this.fetchCursor = (lastTaken + 1) % n;
    if (wakeAt !== Infinity) this.pumpAt(wakeAt);
    // A response brings at most what the buffer has room for (at least one partition's
    // worth): partitions whose backlog is not known yet are in the request too.
    const responseBytesMax = Math.min(o.maxBytes, Math.max(o.maxPartitionBytes, bufferMax - waitingBefore));
    for (const [node, list] of byNode) void this.fetch(node, list, responseBytesMax);
  }

  private pumpAt(atMs: number): void {
    if (atMs >= this.pumpAtMs || this.closed) return;
    stopTimer(this.clock, this.pumpTimer);
    this.pumpAtMs = atMs;
    this.pumpTimer = startTimer(this.clock, atMs - this.clock.monotonic(), () => {
      this.pumpTimer = undefined;
      this.pumpAtMs = Infinity;
      this.pump();
    });
  }

  /** A partition without a position: `autoOffsetReset` says where to start. */
  private autoReset(s: PartitionState): void {
    const policy = this.options.autoOffsetReset;
    if (policy === 'none') {
      s.error = new TributaryError('OFFSET_OUT_OF_RANGE', `${s.topic}-${s.partition} has no position and autoOffsetReset is 'none': seek first`, { topic: s.topic, partition: s.partition });
      this.notify();
      return;
    }
    const generation = s.generation;
    s.resetting = true;
    this.listOffset(s, policy === 'earliest' ? -2 : -1).then(
      (offset) => {
        if (s.generation === generation) {
          s.position = offset;
          s.resetting = false;
        }
        this.pump();
      },
      (err: unknown) => {
        if (s.generation === generation) {
          s.resetting = false;
          s.error = isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
        }
        this.notify();
      },
    );
  }

  private async fetch(node: number, partitions: PartitionState[], responseBytesMax: number): Promise<void> {
    const o = this.options;
    this.fetchesOut++;
    // Index loops, not `map` and `for...of`: V8 deoptimized this function at the iteration of the mapped array.
    const sent: { readonly s: PartitionState; readonly generation: number; readonly fetchOffset: number }[] = [];
    const topics: FetchTopic[] = [];
    for (let k = 0; k < partitions.length; k++) {
      const s = partitions[k]!;
      const generation = s.generation;
      const fetchOffset = s.draining?.endOffset ?? s.position!;
      sent.push({ s, generation, fetchOffset });
      s.inFlight = generation;
      let t = topics.find((x) => x.topic === s.topic);
      if (t === undefined) topics.push((t = { topic: s.topic, partitions: [] }));
      (t.partitions as FetchTopic['partitions'][number][]).push({
        partition: s.partition,
        currentLeaderEpoch: this.metadata.leader(s.topic, s.partition)?.leaderEpoch ?? -1,
        fetchOffset,
        partitionMaxBytes: o.maxPartitionBytes,
      });
    }
    const request: FetchRequest = { apiKey: ApiKey.Fetch, replicaId: -1, maxWaitMs: o.maxWaitMs, minBytes: o.minBytes, maxBytes: responseBytesMax, isolationLevel: 0, topics };
    this.fetchCount++;
    try {
      const started = performance.now();
      const response = await withTimeout(this.transport.send(node, request), o.maxWaitMs + o.requestTimeoutMs, `Fetch request to node ${node}`, this.clock);
      this.fetchLatency.record(performance.now() - started);
      if (response.errorCode !== 'NONE') throw new TributaryError(response.errorCode, `Fetch request to node ${node} failed: ${response.errorCode}`);
      for (let k = 0; k < sent.length; k++) {
        const { s, generation, fetchOffset } = sent[k]!;
        if (s.inFlight === generation) s.inFlight = undefined;
        let p: FetchPartitionResponse | undefined;
        for (const t of response.responses) if (t.topic === s.topic) for (const x of t.partitions) if (x.partitionIndex === s.partition) p = x;
        if (p === undefined || generation !== s.generation || !s.assigned) continue;
        this.onPartition(s, p, generation, fetchOffset);
      }
    } catch (err) {
      const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
      this.metadata.invalidate(code);
      // Only the partitions still at the generation this fetch was for: one sought meanwhile has its own fetch.
      const current = sent.filter(({ s, generation }) => s.generation === generation);
      for (const { s } of current) {
        s.inFlight = undefined;
        s.awaitingMetadata = isStaleMetadataError(code);
        this.backoff(s);
      }
      if (!isTributaryError(err) || !err.retriable) {
        for (const { s } of current) s.error = isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err });
      }
    } finally {
      this.fetchesOut--;
      this.pump();
      this.notify();
    }
  }

  private onPartition(s: PartitionState, p: FetchPartitionResponse, generation: number, fetchOffset: number): void {
    const code = p.errorCode;
    if (code === 'NONE') {
      s.retries = 0;
      s.highWatermark = p.highWatermark;
      if (p.records !== null && p.records.length > 0) {
        s.buffered = { generation, fetchOffset, records: p.records, highWatermark: p.highWatermark };
        // A partition still handing out its previous data is in the queue already.
        if (s.draining === undefined) this.readyQueue.push(s);
      }
      return;
    }
    if (code === 'OFFSET_OUT_OF_RANGE') {
      // A fetch ahead of data still being handed out: that data goes too (the position resets).
      s.draining = undefined;
      const policy = this.options.autoOffsetReset;
      if (policy === 'none') {
        s.error = new TributaryError('OFFSET_OUT_OF_RANGE', `offset ${fetchOffset} is out of range for ${s.topic}-${s.partition} (log start ${p.logStartOffset}, high watermark ${p.highWatermark}) and autoOffsetReset is 'none'`, { topic: s.topic, partition: s.partition });
      } else {
        s.position = undefined; // pump resets it as the policy says
      }
      return;
    }
    this.metadata.invalidate(code);
    if (isRetriable(code) || isStaleMetadataError(code)) {
      s.awaitingMetadata = isStaleMetadataError(code);
      this.backoff(s);
      return;
    }
    s.error = new TributaryError(code, `fetching ${s.topic}-${s.partition} failed: ${code}`, { topic: s.topic, partition: s.partition });
  }

  private backoff(s: PartitionState): void {
    s.retryAtMs = this.clock.monotonic() + backoffMs(s.retries, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, this.rng);
    s.retries++;
  }

  /**
   * ListOffsets for one partition at its leader, through the lookup `beginningOffsets` and
   * `endOffsets` use (list-offsets.ts: retries of stale-metadata and retriable errors for up
   * to `requestTimeoutMs`, a stale cache refreshed first). No record at or after a timestamp
   * asked: the end of the log, as a seek to it means.
   */
  private async listOffset(s: PartitionState, timestamp: number): Promise<number> {
    const [answer] = await lookUpOffsets(this.offsetLookup, [{ topic: s.topic, partition: s.partition, timestamp }], { topicMayBeNew: true });
    if (answer!.offset >= 0) return answer!.offset;
    if (timestamp >= 0) return this.listOffset(s, -1);
    throw new TributaryError('UNKNOWN_SERVER_ERROR', `ListOffsets for ${s.topic}-${s.partition} answered offset ${answer!.offset}`, { topic: s.topic, partition: s.partition });
  }
}
