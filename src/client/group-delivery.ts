/**
 * The delivery half of a consumer group member: it hands out the records of the
 * partitions the member owns, to one loop (or `run`) at a time, and says which records
 * were processed. (Kafka's consumer splits the same way: the `ConsumerCoordinator` owns
 * membership and commits, the fetch and the poll loop hand out records.) Membership,
 * commits and rebalances are `consumer-group.ts`'s; the semantics are in
 * docs/design/consumer-groups.md, "At least once".
 *
 * Each owned partition has an epoch, bumped whenever the partition is given, taken, sought
 * or rewound: records fetched in an older epoch are dropped. A record (or `eachBatch`
 * batch) is in flight from the moment it is handed out until its loop body (or handler)
 * returns; then it counts as processed if its partition is still owned in the same
 * epoch, even if a revoke or a close began meanwhile (both wait for it, then commit it).
 * @internal
 */
import type { Clock } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import type { Consumer, ConsumerBatch, TopicPartition } from './consumer.js';
import type { BatchIterator } from './consumer-iterators.js';
import type { ProcessedOffsets } from './processed-offsets.js';
import { deserializeField, type Serde } from './serde.js';
import { withTimeout } from './retry.js';
import type { TypedConsumerRecord } from './topic.js';

/**
 * A batch as `run({ eachBatch })` receives it.
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type TypedConsumerBatch } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], value: serdes.string });
 * const handle = (batch: TypedConsumerBatch<Uint8Array | null, string>) => console.log(batch.partition, batch.records.length);
 * void group.run({ eachBatch: handle });
 * await group.close();
 * ```
 */
export interface TypedConsumerBatch<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly TypedConsumerRecord<K, V>[];
  readonly highWatermark: number;
}

/**
 * What `run` calls: one record at a time, or one fetched batch at a time.
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type RunHandlers } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'], value: serdes.string });
 * const handlers: RunHandlers<Uint8Array | null, string> = { eachRecord: (r) => console.log(r.offset, r.value) };
 * void group.run(handlers);
 * await group.close();
 * ```
 */
export type RunHandlers<K, V> = { readonly eachRecord: (record: TypedConsumerRecord<K, V>) => void | Promise<void> } | { readonly eachBatch: (batch: TypedConsumerBatch<K, V>) => void | Promise<void> };

/** What delivery reads of its member. @internal */
export interface DeliveryHost {
  readonly inner: Consumer;
  /** The member's clock: `settle` waits on it. */
  readonly clock: Clock;
  /** The owned partitions, by `tpKey`. */
  readonly owned: ReadonlyMap<string, TopicPartition>;
  /** The next offset to commit per owned partition: delivery moves it as records are processed (`note`, a record at a time). */
  readonly processed: ProcessedOffsets;
  readonly isClosed: () => boolean;
  /** The error that ended the member, if one did. */
  readonly fatal: () => TributaryError | undefined;
}

/** The key of a partition in the member's maps. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Numbers the deliveries of this process, so that each one's run loop has a name of its own. */
let deliveriesMade = 0;

/**
 * Whether a function named `name` is on the current stack, synchronous or asynchronous
 * (V8's async stack traces: the async functions awaiting the current one, through
 * `await`, `.then` chains and `Promise.all`). Read from structured call sites, whatever
 * `Error.prepareStackTrace` a user installed (restored at once). Only for a rare call:
 * capturing a stack costs microseconds.
 */
function onStack(name: string): boolean {
  const { stackTraceLimit, prepareStackTrace } = Error;
  try {
    Error.stackTraceLimit = Infinity;
    Error.prepareStackTrace = (_err, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder);
    const sites = holder.stack;
    return Array.isArray(sites) && sites.some((site: NodeJS.CallSite) => site.getFunctionName() === name);
  } catch {
    return false; // a frozen Error (a locked-down realm): treated as a call from outside
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
  }
}

type Delivered<K, V> = TypedConsumerBatch<K, V> & { readonly key: string; readonly epoch: number };

/**
 * A delivered batch going through `run({ eachRecord })` or a `for await` loop: the next
 * record to hand out, and what the checks found when last looked at (`seen`: the
 * delivery's `changes` then, -1 to look again).
 */
interface RecordRun<K, V> {
  readonly batch: Delivered<K, V>;
  index: number;
  seen: number;
  /** The partition is still this member's in the batch's epoch, not being revoked, and the member open: records may be handed out. */
  valid: boolean;
  /** A record of the batch that its handler finished counts as processed (`counts`). */
  counted: boolean;
}

/** Whether a handler's return value is a promise or another thenable (awaited), not a plain value (not awaited). */
function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v instanceof Promise || ((typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function');
}

export class GroupDelivery<K, V> {
  private readonly epochs = new Map<string, number>();
  private readonly revoking = new Set<string>();
  /** Bumped by every change of an epoch or of the partitions being revoked, and when the member stops: the run loop's cue to check again. */
  private changes = 0;
  /** The partition of the record or batch in flight (handed out, its handler or loop body running), if any. */
  private inFlightKey: string | undefined;
  /** Those waiting for the one in flight to be done; made only when someone waits (a revoke, a close), not a record. */
  private inFlightWaiters: (() => void)[] | undefined;
  private iterating = false;
  /** Whether `run`'s loop is running. */
  private running = false;
  /** Rejects the `run` under way: a close gave up waiting for its handler. */
  private abandon: ((err: TributaryError) => void) | undefined;
  /**
   * The name of this delivery's run loop, unique in the process (`tributaryGroupRun<n>`),
   * and the loop under that name: a call made from inside one of its handlers, before or
   * after the handler's first `await`, has it on its (async) stack. See `settle`.
   */
  private readonly runName: string;
  private readonly runNamed: (handlers: RunHandlers<K, V>) => Promise<void>;

  constructor(
    private readonly host: DeliveryHost,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
  ) {
    this.runName = `tributaryGroupRun${++deliveriesMade}`;
    const loop = (handlers: RunHandlers<K, V>): Promise<void> => this.loop(handlers);
    // A computed key names the function at run time (a minifier cannot rename it), and V8
    // prints that name in stack frames.
    this.runNamed = {
      async [this.runName](handlers: RunHandlers<K, V>): Promise<void> {
        await loop(handlers);
      },
    }[this.runName]!;
  }

  /**
   * Records one at a time; a record is processed once the loop body returns (asks for the
   * next). A loop that ends inside a batch (break, throw) leaves the records it did not
   * process to be read again, by the next loop or by the partition's next owner.
   *
   * Written as an iterator, not an async generator: a record already fetched is handed
   * out as one resolved promise. Why: an async generator's `yield` a record cost 700 to
   * 900 ns on this machine against 120 to 220 ns for a resolved promise (1,000,000
   * records), more than fetching and decoding the record.
   */
  records(): AsyncIterableIterator<TypedConsumerRecord<K, V>> {
    return new GroupRecordIterator(this);
  }

  /** `records()`'s `next()`: the record handed out last is processed (its loop body returned); the next one. @internal */
  nextRecord(it: GroupRecordIterator<K, V>): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    if (it.handedOut) {
      it.handedOut = false;
      this.processedOne(it.run!);
    }
    return this.stepRecord(it);
  }

  /** `records()`'s `return()`: a record whose loop body did not return is not processed: it is read again. @internal */
  endRecords(it: GroupRecordIterator<K, V>): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    if (it.handedOut) {
      it.handedOut = false;
      this.end();
    }
    const run = it.run;
    if (run !== undefined && run.index < run.batch.records.length) this.rewind(run.batch, run.batch.records[run.index]!.offset);
    it.run = undefined;
    this.finishRecords(it);
    return Promise.resolve(recordsDone);
  }

  /** Hands out the next record of the iteration's batch, or takes the next batch. */
  private stepRecord(it: GroupRecordIterator<K, V>): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    for (let run = it.run; run !== undefined; run = it.run = undefined) {
      const batch = run.batch;
      if (run.index < batch.records.length) {
        // As in `eachInTurn`: the checks are looked at again only when a seek, a revoke, a
        // new epoch or a close (`stopped`) may have changed what they read (about 5 map
        // lookups a record otherwise).
        if (run.seen !== this.changes) this.recheck(run);
        if (run.valid) {
          this.begin(batch.key);
          it.handedOut = true;
          return Promise.resolve({ value: batch.records[run.index]!, done: false });
        }
        this.rewind(batch, batch.records[run.index]!.offset);
      }
    }
    if (it.ended) return Promise.resolve(recordsDone);
    let next: Delivered<K, V> | null | Promise<Delivered<K, V> | null>;
    try {
      if (it.source === undefined) {
        it.source = this.openDeliveries();
        if (it.source === undefined) {
          it.ended = true;
          return Promise.resolve(recordsDone);
        }
      }
      next = this.nextDelivery(it.source);
    } catch (err) {
      this.finishRecords(it);
      return Promise.reject(err);
    }
    if (next instanceof Promise) {
      return next.then(
        (d) => this.takeDelivery(it, d),
        (err: unknown) => {
          this.finishRecords(it);
          throw err;
        },
      );
    }
    return this.takeDelivery(it, next);
  }

  /** A delivered batch for the iteration (its records are handed out next), or the end. */
  private takeDelivery(it: GroupRecordIterator<K, V>, d: Delivered<K, V> | null): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    if (d === null || it.ended) {
      this.finishRecords(it);
      return Promise.resolve(recordsDone);
    }
    it.run = { batch: d, index: 0, seen: -1, valid: false, counted: false };
    return this.stepRecord(it);
  }

  /** The iteration is over: the consumer's chunks are let go, and another loop may start. */
  private finishRecords(it: GroupRecordIterator<K, V>): void {
    it.ended = true;
    if (it.source !== undefined) this.closeDeliveries(it.source);
    it.source = undefined;
  }

  /**
   * Calls the handlers until the member closes. A handler's error is thrown. A handler
   * whose promise has not settled when a close gives up waiting for it (`settle`, after
   * `rebalanceTimeoutMs`) is abandoned: `run` rejects with REQUEST_TIMED_OUT (its topic
   * and partition) instead of waiting for it for ever; its record is not processed.
   *
   * Why one race a `run` and not one a handler's promise: a race attaches a reaction to
   * `abandoned` each time, and a promise that never settles keeps every reaction (and what
   * it holds) alive (35 MiB per 100,000 small records, nextDelivery's note); once a run
   * there is nothing to keep.
   */
  async run(handlers: RunHandlers<K, V>): Promise<void> {
    if (this.host.isClosed()) throw new TributaryError('CLIENT_CLOSED', 'this consumer group member is closed: run() needs a new member (cluster.consumerGroup(...))');
    this.running = true;
    const abandoned = new Promise<never>((_resolve, reject) => (this.abandon = reject));
    try {
      await Promise.race([this.runNamed(handlers), abandoned]);
    } finally {
      this.running = false;
      this.abandon = undefined;
    }
  }

  /**
   * The loop of `run`. `eachRecord` is called for the records of a fetched batch in a
   * plain loop, and awaited only when it returns something (a promise): a synchronous
   * handler costs a call a record, not an iterator round and two promises. A record is
   * processed once its handler returns (or its promise resolves); the checks between
   * records are those of `records()` (the partition still owned in the same epoch, not
   * being revoked, the member not closed), since a handler may seek or close.
   */
  private async loop(handlers: RunHandlers<K, V>): Promise<void> {
    const source = this.openDeliveries();
    if (source === undefined) return;
    try {
      await this.deliver(source, handlers);
    } finally {
      this.closeDeliveries(source);
    }
  }

  /**
   * `loop`'s body: a chunk the consumer has ready is taken without a promise (`nextDelivery`),
   * and the loop awaits only when it must wait for data or for a handler's promise.
   */
  private async deliver(source: BatchIterator, handlers: RunHandlers<K, V>): Promise<void> {
    if ('eachRecord' in handlers) {
      const each = handlers.eachRecord;
      for (;;) {
        let next = this.nextDelivery(source);
        if (next instanceof Promise) next = await next;
        if (next === null) return;
        const run: RecordRun<K, V> = { batch: next, index: 0, seen: -1, valid: false, counted: false };
        for (let pending = this.eachInTurn(each, run); pending !== undefined; pending = this.eachInTurn(each, run)) {
          // The handler of `run.index` returned a promise: it is in flight until it settles.
          try {
            await pending;
          } catch (err) {
            // The record whose handler threw is not processed: it is read again.
            this.end();
            this.rewind(run.batch, run.batch.records[run.index]!.offset);
            throw err;
          }
          run.seen = -1; // anything may have changed while the handler awaited
          this.processedOne(run);
        }
      }
    }
    for (;;) {
      let next = this.nextDelivery(source);
      if (next instanceof Promise) next = await next;
      if (next === null) return;
      const batch = next;
      this.begin(batch.key);
      try {
        try {
          // Awaited only when the handler returns a promise (a thenable), as `eachRecord`.
          const pending = handlers.eachBatch({ topic: batch.topic, partition: batch.partition, records: batch.records, highWatermark: batch.highWatermark });
          if (isThenable(pending)) await pending;
        } catch (err) {
          this.rewind(batch, batch.records[0]!.offset);
          throw err;
        }
        const last = batch.records[batch.records.length - 1];
        if (last !== undefined && this.counts(batch.key, batch.epoch)) this.host.processed.set(batch.key, last.offset + 1);
      } finally {
        this.end();
      }
    }
  }

  /**
   * Calls `each` for the records of `run` from `run.index` on, in a plain synchronous loop,
   * until the batch is done (undefined), its partition is no longer this loop's (the rest
   * is rewound; undefined), or a handler returns a promise (returned, its record
   * `run.index` in flight: the caller awaits it, then `processedOne`). A handler's throw
   * rewinds to its record and is thrown.
   *
   * Why a synchronous method of its own and not the loop inside `deliver`: the async loop
   * keeps one await site, and the record loop is a plain function V8 compiles on its own
   * (in a CPU profile the handler was then partly inlined into it). Measured against the
   * loop inside `deliver`, paired runs: inside the noise (0.81 against 0.795 of the direct
   * read, medians of 12; bench/results/2026-12-07k-consumer.md). The checks are looked at again only when
   * something they read may have changed: a seek, a revoke, a new epoch, a close (each
   * bumps `changes`; a close through `stopped`), or anything while the caller awaited a
   * handler's promise (`seen = -1`).
   * Between two synchronous handler calls nothing else runs. The processed offset is
   * noted, not set, a record: the map takes it in when anyone next uses it
   * (processed-offsets.ts). A handler's return value is awaited only when it is a
   * promise or another thenable: `(r) => list.push(r)` returns a number, and an `await`
   * of it would cost a turn of the microtask queue a record.
   *
   * The partition is marked in flight once for the whole synchronous run of handlers, and
   * the mark cleared (`end`, which wakes whoever waits for it) when the run stops: the
   * batch done, the partition no longer this loop's, a throw; a handler that returned a
   * promise keeps it until `processedOne`. Why that is the same as a mark a record: the
   * mark is read only by `stopHandingOut` (a revoke) and `settle` (a close), and between
   * two synchronous handler calls nothing else runs, so they can only be called from inside
   * a handler of the run. A close from there does not wait (`settle` finds the run loop
   * on the stack); a revoke from there bumps `changes`, so the very next record is not
   * handed out (`recheck`: the partition is revoking), the run stops, and the revoke's wait
   * is woken; its continuation is a microtask, which runs after the run returns in either
   * shape. Each record is still noted processed when its handler returns. Measured
   * (bench/results/2026-12-08a-consumer.md): the mark a record was two field writes and a
   * read of the waiters; without it, and without `isClosed()` a record (`stopped`), a
   * group of 1 `eachRecord` on one partition went from a median 0.82 to 0.86 of the
   * direct read by CPU (16 paired runs a side, new ahead in 11); on twelve partitions no
   * gain was seen (per-chunk costs dominate there).
   */
  private eachInTurn(each: (record: TypedConsumerRecord<K, V>) => unknown, run: RecordRun<K, V>): PromiseLike<unknown> | undefined {
    const batch = run.batch;
    const records = batch.records;
    const key = batch.key;
    const processed = this.host.processed;
    let i = run.index;
    // In flight from the first handler call of this synchronous run to its end, not set and
    // cleared a record: see the method's comment.
    this.inFlightKey = key;
    try {
      for (; i < records.length; i++) {
        if (run.seen !== this.changes) this.recheck(run);
        if (!run.valid) {
          this.end();
          this.rewind(batch, records[i]!.offset);
          run.index = records.length;
          return undefined;
        }
        const pending = each(records[i]!);
        if (pending !== undefined && isThenable(pending)) {
          // In flight (still marked) until the caller's await of it, then `processedOne`.
          run.index = i;
          return pending;
        }
        if (run.seen !== this.changes) this.recheck(run);
        if (run.counted) processed.note(key, records[i]!.offset + 1);
      }
    } catch (err) {
      // The record whose handler threw is not processed: it is read again.
      this.end();
      this.rewind(batch, records[i]!.offset);
      throw err;
    }
    this.end();
    run.index = i;
    return undefined;
  }

  /** The record `run.index`, whose handler's promise resolved, is done: noted as processed if it counts; the run moves past it. */
  private processedOne(run: RecordRun<K, V>): void {
    if (run.seen !== this.changes) this.recheck(run);
    if (run.counted) this.host.processed.note(run.batch.key, run.batch.records[run.index]!.offset + 1);
    this.end();
    run.index++;
  }

  /** Looks again at whether the run's records may be handed out, and count once processed. */
  private recheck(run: RecordRun<K, V>): void {
    const batch = run.batch;
    run.seen = this.changes;
    run.valid = this.stillValid(batch.key, batch.epoch);
    run.counted = this.counts(batch.key, batch.epoch);
  }

  /**
   * Stops handing out records of these partitions (they are being given up) and resolves
   * once the record or batch in flight, if it is one of theirs, is done. `release` undoes
   * the mark once they are gone.
   */
  async stopHandingOut(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.revoking.add(k);
    this.changes++;
    if (this.inFlightKey !== undefined && keys.includes(this.inFlightKey)) await this.inFlightDone();
  }

  release(keys: readonly string[]): void {
    for (const k of keys) this.revoking.delete(k);
    this.changes++;
  }

  /**
   * Resolves once the record or batch in flight is done, or after `ms`. Called from
   * inside a `run` handler (a `close()` in it, before or after its first `await`), it does
   * not wait: that handler is the one in flight, and it may be awaiting this very call.
   *
   * How it knows, without `AsyncLocalStorage`: the run loop is a function with a name of
   * its own, and a call from inside a handler has it on its stack, synchronous or async
   * (V8 records the async functions awaiting the current one). Why not
   * `AsyncLocalStorage`, which did this before: on Node 20 and 22 its first `run` turns on
   * promise hooks for every promise the process makes from then on (`trackPromise`), and a
   * group of 1 reading 300,000 records paid for it on every `await` of the process,
   * brokers included: `eachBatch` 420-620 ns a record against 360-420 without, `eachRecord`
   * about 1,150 against 770-850. The stack is captured only here, when a close meets a
   * handler in flight. Each member's loop has its own name, so a close of member A from
   * inside member B's handler waits for A's handler, as before. One difference from
   * `AsyncLocalStorage`: a close from a task a handler started and did not await (a
   * timer's callback) now waits for that handler, which finishes on its own unless it
   * awaits the close's outcome through another path.
   */
  async settle(ms: number): Promise<void> {
    const key = this.inFlightKey;
    if (key === undefined || (this.running && onStack(this.runName))) return;
    try {
      await withTimeout(this.inFlightDone(), ms, 'the record in flight', this.host.clock);
    } catch (err) {
      // The handler (or loop body) is abandoned: no longer in flight, so the close's own
      // revoke does not wait for it in turn, and a new epoch of its partition, so that its
      // record does not count as processed should it settle later. A `run` says so (a
      // `for await` body is the caller's own code: its loop ends when the body returns,
      // the member being closed).
      if (this.inFlightKey === key) {
        this.bump(key);
        this.end();
      }
      const [topic = '', p = '-1'] = key.split('\u0000');
      const partition = Number(p);
      this.abandon?.(
        new TributaryError('REQUEST_TIMED_OUT', `the run handler of ${topic}-${partition} did not settle within rebalanceTimeoutMs (${ms} ms) of close(): abandoned, its record (or batch) not committed`, { topic, partition, cause: err }),
      );
    }
  }

  /**
   * The member stopped (a close, a kill, a fatal error: `host.isClosed()` is true from now
   * on): the loops look at their checks again before the next record, so they need not
   * call `isClosed()` a record.
   */
  stopped(): void {
    this.changes++;
  }

  /** A new epoch for a partition: what was fetched before is dropped. */
  bump(key: string): void {
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
    this.changes++;
  }

  /** A record or batch of partition `key` is handed out (one at a time: one loop or `run`). */
  private begin(key: string): void {
    this.inFlightKey = key;
  }

  /** The record or batch in flight is done: wakes those waiting for it. */
  private end(): void {
    this.inFlightKey = undefined;
    const waiters = this.inFlightWaiters;
    this.inFlightWaiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w();
  }

  /** Resolves once the record or batch in flight is done. */
  private inFlightDone(): Promise<void> {
    return new Promise<void>((resolve) => (this.inFlightWaiters ??= []).push(resolve));
  }

  /** Whether records of this partition epoch may still be handed out. */
  private stillValid(key: string, epoch: number): boolean {
    return !this.host.isClosed() && !this.revoking.has(key) && this.counts(key, epoch);
  }

  /**
   * Whether a record of this partition epoch that a handler finished counts as processed:
   * the partition is still this member's, in that epoch. A revoke or a close in the
   * meantime does not matter: both wait for the record in flight, then commit it.
   */
  private counts(key: string, epoch: number): boolean {
    return this.host.owned.has(key) && (this.epochs.get(key) ?? 0) === epoch;
  }

  /** Moves a partition back to `offset` after a loop ended before processing it. */
  private rewind(batch: { topic: string; partition: number; key: string; epoch: number }, offset: number): void {
    if (!this.stillValid(batch.key, batch.epoch)) return;
    this.bump(batch.key);
    void this.host.inner.seek({ topic: batch.topic, partition: batch.partition }, offset).catch(() => undefined);
  }

  /**
   * Starts the one iteration of this member's records (a loop or `run`): the consumer's
   * chunks, or undefined when the member is closed already.
   */
  private openDeliveries(): BatchIterator | undefined {
    if (this.iterating) throw new TributaryError('INVALID_ARGUMENT', 'a consumer group is iterated by one loop (or run) at a time');
    if (this.host.isClosed()) return undefined;
    this.iterating = true;
    return this.host.inner.batches() as BatchIterator;
  }

  private closeDeliveries(source: BatchIterator): void {
    this.iterating = false;
    void source.return().catch(() => undefined);
  }

  /**
   * The next fetched batch of an owned partition, decoded, with the partition epoch it
   * belongs to: now when the consumer has it ready, else a promise of it; null at the end.
   * Throws the member's failure.
   *
   * Not raced against a signal of the member's failure: a failure closes the inner
   * consumer, which ends the wait. (A race against a promise that never settles keeps
   * every result alive: 35 MiB per 100,000 small records.)
   */
  private nextDelivery(source: BatchIterator): Delivered<K, V> | null | Promise<Delivered<K, V> | null> {
    for (;;) {
      const fatal = this.host.fatal();
      if (fatal !== undefined) throw fatal;
      const b = source.poll();
      if (b instanceof Promise) {
        return b.then((v) => {
          const d = this.accept(v);
          return d === undefined ? this.nextDelivery(source) : d;
        });
      }
      const d = this.accept(b);
      if (d !== undefined) return d;
    }
  }

  /** A chunk of the consumer as a delivery: null at the end, undefined for a partition no longer owned in its epoch. */
  private accept(b: ConsumerBatch | null): Delivered<K, V> | null | undefined {
    const failed = this.host.fatal();
    if (failed !== undefined) throw failed;
    if (b === null) return null;
    const key = tpKey(b.topic, b.partition);
    const epoch = this.epochs.get(key) ?? 0;
    if (!this.stillValid(key, epoch)) return undefined;
    // Without serdes the records are handed out as the consumer made them (one object each).
    const records = this.keySerde === undefined && this.valueSerde === undefined ? (b.records as unknown as TypedConsumerRecord<K, V>[]) : b.records.map((r) => ({
      ...r,
      key: (r.key === null || this.keySerde === undefined ? r.key : deserializeField(this.keySerde, r.key, r, 'key')) as K | null,
      value: (r.value === null || this.valueSerde === undefined ? r.value : deserializeField(this.valueSerde, r.value, r, 'value')) as V | null,
    }));
    return { topic: b.topic, partition: b.partition, records, highWatermark: b.highWatermark, key, epoch };
  }
}

const recordsDone: IteratorResult<never, undefined> = Object.freeze({ value: undefined, done: true });

/**
 * `records()`'s iterator: the iteration's state, its methods handing the work to the
 * delivery. Why a class and not closures made by `records()` (as it was): one set of
 * methods, compiled once for every loop of the process, instead of new closures each loop
 * (esbuild's `keepNames`, which tsx uses, also named a closure made a chunk with a
 * `defineProperty`). With the checks looked at only when something changed (`stepRecord`),
 * a group's `for await` went from a median 0.495 to 0.575 of the synchronous direct read by
 * CPU, 12 paired runs a side (bench/results/2026-12-07k-consumer.md).
 * @internal
 */
class GroupRecordIterator<K, V> implements AsyncIterableIterator<TypedConsumerRecord<K, V>> {
  /** The consumer's chunks, opened at the first `next()` (as an async generator's body would run). */
  source: BatchIterator | undefined = undefined;
  /** The batch being handed out: `index` counts its records processed (their loop body returned). */
  run: RecordRun<K, V> | undefined = undefined;
  /** Whether `run.batch.records[run.index]` is handed out and its loop body running. */
  handedOut = false;
  ended = false;

  constructor(private readonly delivery: GroupDelivery<K, V>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    return this.delivery.nextRecord(this);
  }

  return(): Promise<IteratorResult<TypedConsumerRecord<K, V>, undefined>> {
    return this.delivery.endRecords(this);
  }
}
