/**
 * Idempotence (the producer-id part of Kafka's `TransactionManager`), as a core: the
 * producer id and epoch, the state of getting them (Kafka's UNINITIALIZED -> INITIALIZING
 * -> READY), the InitProducerId attempts with their backoff, the next sequence number of
 * every partition, and the epoch bump after a sequence was lost. The sender core
 * (`sender.ts`) decides when an InitProducerId is due and returns it to its shell, which
 * sends it and hands the answer back. Transactions proper are not offered yet.
 *
 * ```
 *  UNINITIALIZED ──(a batch to send)──▶ INITIALIZING ──(answered)──▶ READY
 *        ▲                               │  ▲      │                   │
 *        └──(refused, no id yet)─────────┘  └retry─┘                   │ a sequence lost (resetNeeded),
 *                                          (retriable error,           │ no request in flight and no
 *  READY ◀──(refused: keeps its id)──────── after a backoff)           │ unresolved batch first in line
 *                                    INITIALIZING (bump) ◀─────────────┘
 * ```
 */
import type { ErrorCode } from '../../util/error-codes.js';
import type { TributaryError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { backoffMs } from './backoff.js';
import type { SenderBatch, SenderQueue } from './sender-batch.js';

/** Sequence numbers wrap from 2^31 - 1 to 0, as Kafka's do. */
const sequenceModulo = 2 ** 31;

/** Kafka's `TransactionManager.State`, the part an idempotent producer goes through. */
export type ProducerIdState = 'uninitialized' | 'initializing' | 'ready';

/** An InitProducerId to send: a first id (`bump` false), or a new epoch for the current id after a lost sequence. */
export interface InitProducerIdPlan {
  readonly bump: boolean;
  /** The id and epoch to bump (-1 for a first id). */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Attempts of this InitProducerId before this one: the shell asks the nodes in turn by it. */
  readonly attempt: number;
}

export class TransactionManager<B extends SenderBatch = SenderBatch> {
  producerId = -1;
  producerEpoch = -1;
  state: ProducerIdState = 'uninitialized';
  /** A batch with a sequence failed: new sequences need a new producer epoch (Kafka's `epochBumpRequired`). */
  resetNeeded = false;
  /** The InitProducerId under way: whether it bumps, its attempts so far, whether one is sent and unanswered, when the next may go. */
  private initBump = false;
  private initAttempts = 0;
  private initInFlight = false;
  /** When the next attempt may go (monotonic ms): after a failed one, its backoff. */
  initRetryAtMs = -Infinity;
  /**
   * Batches whose last attempt the broker refused for its sequence (OUT_OF_ORDER_SEQUENCE_NUMBER
   * or UNKNOWN_PRODUCER_ID): proven not written under their epoch, so safe to number again.
   */
  private readonly refusedForSequence = new WeakSet<B>();

  /** An InitProducerId is under way (first or epoch bump): nothing is sent meanwhile. */
  get initializing(): boolean {
    return this.state === 'initializing';
  }

  /** Whether an InitProducerId failed and its retry waits for `initRetryAtMs`: the sender runs then even with no batch ready. */
  get retryPending(): boolean {
    return this.state === 'initializing' && !this.initInFlight;
  }

  /** Starts getting an id (`bump` false) or a new epoch; `nextInit` then says when to send. */
  beginInit(bump: boolean): void {
    this.state = 'initializing';
    this.initBump = bump;
    this.initAttempts = 0;
    this.initInFlight = false;
    this.initRetryAtMs = -Infinity;
  }

  /** The InitProducerId to send now, if one is due (none while one is unanswered or its backoff runs). */
  nextInit(now: number): InitProducerIdPlan | undefined {
    if (this.state !== 'initializing' || this.initInFlight || now < this.initRetryAtMs) return undefined;
    this.initInFlight = true;
    const bump = this.initBump;
    return { bump, producerId: bump ? this.producerId : -1, producerEpoch: bump ? this.producerEpoch : -1, attempt: this.initAttempts };
  }

  /**
   * The attempt failed with a retriable error: the next goes after a backoff (exponential
   * from `retryBackoffMs`, as Kafka's `TxnRequestHandler` re-enqueues with `retryBackoffMs`).
   */
  initFailed(now: number, retryBackoffMs: number, retryBackoffMaxMs: number, rng: Rng): void {
    this.initInFlight = false;
    this.initRetryAtMs = now + backoffMs(this.initAttempts, retryBackoffMs, retryBackoffMaxMs, rng);
    this.initAttempts++;
  }

  /** The cluster refused (a fatal error): back to where the InitProducerId began; the next batch asks again. */
  initRefused(_error: TributaryError): void {
    this.initInFlight = false;
    this.state = this.producerId < 0 ? 'uninitialized' : 'ready';
  }

  /**
   * InitProducerId answered. After a bump (a sequence was lost): new epoch, new sequences
   * from 0 in every partition; batches to retry are stamped again when they are sent.
   */
  assigned(producerId: number, producerEpoch: number, queues: Iterable<SenderQueue<B>>): void {
    const bump = this.initBump;
    this.initInFlight = false;
    this.state = 'ready';
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    if (bump) {
      this.resetNeeded = false;
      for (const q of queues) q.nextSequence = 0;
    }
  }

  /**
   * Whether `b` may have been written under the current epoch although no answer said so
   * (KIP-360's unresolved sequence): it was sent under the current id and epoch, failed
   * (a lost answer, a timeout, or a retriable error that can come after the append, such
   * as NOT_LEADER_OR_FOLLOWER from a leader that lost its lead while waiting for acks),
   * and no later answer proved it unwritten. Such a batch is never numbered again under a
   * new epoch: before a bump it is retried as it is, until the broker answers for its
   * sequence (written: success or DUPLICATE_SEQUENCE_NUMBER; not written:
   * OUT_OF_ORDER_SEQUENCE_NUMBER) or its delivery timeout fails it with REQUEST_TIMED_OUT.
   */
  isUnresolved(b: B): boolean {
    return b.attempts > 0 && b.baseSequence >= 0 && b.producerId === this.producerId && b.producerEpoch === this.producerEpoch && !this.refusedForSequence.has(b);
  }

  /** Records what a failed attempt of `b` proves about its sequence (see `isUnresolved`). */
  attemptFailed(b: B, code: ErrorCode): void {
    if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || code === 'UNKNOWN_PRODUCER_ID') this.refusedForSequence.add(b);
    else this.refusedForSequence.delete(b);
  }

  /** Whether `b` was numbered under another producer id or epoch than the current one (or one is due). */
  isStale(b: B): boolean {
    return b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || this.resetNeeded;
  }

  /**
   * Numbers a batch with its partition's next sequence under the current id and epoch,
   * unless it already carries them (a retry keeps its sequence). Writes the producer
   * fields into the batch's header.
   */
  stamp(b: B, q: SenderQueue<B>): void {
    if (b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || b.baseSequence < 0) {
      b.stamp(this.producerId, this.producerEpoch, q.nextSequence);
      q.nextSequence = (q.nextSequence + b.recordCount) % sequenceModulo;
    }
  }
}
