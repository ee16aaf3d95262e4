/**
 * What the sender core sees of the accumulator's batches and queues: the fields and
 * methods of `ProducerBatch` and `PartitionQueue` (`../producer-batch.ts`,
 * `../accumulator.ts`) that its decisions read and write. Interfaces, not the classes:
 * those build bytes in `Buffer`s and hold promises' callbacks, which a core does not
 * import; the classes satisfy these structurally, and a test can hand the core
 * batches of its own.
 */
import type { TributaryError } from '../../util/errors.js';

/** A batch's state as the queue and the sender move it: open (records go in), closed, in flight, waiting to be retried, done. */
export type SenderBatchState = 'open' | 'closed' | 'in-flight' | 'retry' | 'done';

/** A batch's answer: where it was written, or why not. */
export type SenderBatchResult = { baseOffset: number; logAppendTime: number } | { error: TributaryError };

export interface SenderBatch {
  readonly topic: string;
  readonly partition: number;
  state: SenderBatchState;
  /** No more records go in: send it without lingering. */
  readonly full: boolean;
  /** Bytes written so far (header included). */
  readonly pos: number;
  /** Bytes the batch's buffer holds: what it may take of a request's `maxRequestSize`. */
  readonly capacity: number;
  readonly recordCount: number;
  /** The bytes to send, once closed. */
  readonly bytes: Uint8Array | undefined;
  /** When it was opened (monotonic ms): linger and delivery timeout count from here. */
  readonly createdMs: number;
  /** Idempotence: the producer id, epoch and first sequence it was numbered with (-1: none yet). */
  readonly baseSequence: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** The order in which the producer first sent its batches: retries go back in this order. */
  sendOrder: number;
  leaderEpoch: number;
  attempts: number;
  /** Don't send again before (monotonic ms). */
  retryAtMs: number;
  /** The last attempt failed with a stale-metadata error: wait for fresh metadata before the next. */
  awaitingMetadata: boolean;
  /** The last attempt may have been appended although no answer said so. */
  outcomeUnknown: boolean;
  /** The last attempt's storage error, kept so that an expiry says why. */
  storageError: string | undefined;
  /** The batch's answer, once known (batches finish in order: see `Sender.settle`). */
  result: SenderBatchResult | undefined;
  /** Writes the header of an uncompressed batch: `bytes` is then what travels. */
  close(): void;
  /** Writes the producer id, epoch and first sequence into the header. */
  stamp(producerId: number, producerEpoch: number, baseSequence: number): void;
  /** Writes the header's CRC (once per stamping). */
  writeCrc(): void;
  /** Hands the batch's `result` to its calls. */
  finish(): void;
}

/** One partition's batches: waiting to be sent (`peek`/`shift`/`requeue`), and sent and unanswered (`pending`), in order. */
export interface SenderQueue<B extends SenderBatch> {
  readonly topic: string;
  readonly partition: number;
  readonly size: number;
  readonly pending: B[];
  inFlight: number;
  /** Batches waiting to be sent again: while there are any, one request at a time. */
  retries: number;
  nextSequence: number;
  /** The producer id under which the partition's leader acknowledged a batch (-1: none yet). */
  ackedProducerId: number;
  /** Bytes the partition's last batch held when it was sent. */
  lastBatchBytes: number;
  peek(): B | undefined;
  shift(): B;
  requeue(b: B): void;
}

/**
 * What the core does with the set of queues that have batches to send: a `Set`'s calls,
 * and parking a queue whose batch lingers until it is due (`ReadyQueues`, the
 * accumulator's, says how; `add` of a parked queue brings it back at once).
 */
export interface ReadySet<Q> extends Iterable<Q> {
  readonly size: number;
  add(q: Q): unknown;
  delete(q: Q): boolean;
  /** The queues not parked, in order. */
  due(): Iterable<Q>;
  park(q: Q, dueMs: number): void;
  /** Brings back the parked queues due at `now` (all when `all`); the earliest due time still parked. */
  wake(now: number, all: boolean): number;
}

/** What the sender core needs of the `RecordAccumulator`. */
export interface SenderAccumulator<B extends SenderBatch> {
  /** Queues with batches waiting to be sent; the core removes a queue it emptied. */
  readonly ready: ReadySet<SenderQueue<B>>;
  /** Batches not yet finished. */
  readonly incomplete: { readonly size: number };
  queueFor(b: B): SenderQueue<B>;
  queues(): Iterable<SenderQueue<B>>;
  /** A finished batch gives back its memory. */
  deallocate(b: B): void;
}
