/**
 * Idempotence (the producer-id part of Kafka's `TransactionManager`): the producer id and
 * epoch from InitProducerId, the next sequence number of every partition, and the epoch
 * bump after a sequence was lost. State only: the sender core decides when an
 * InitProducerId is due, its shell runs it (`sender-shell.ts`). Transactions proper are
 * not offered yet.
 */
import type { ErrorCode } from '../util/error-codes.js';
import type { PartitionQueue } from './accumulator.js';
import type { ProducerBatch } from './producer-batch.js';

/** Sequence numbers wrap from 2^31 - 1 to 0, as Kafka's do. */
const sequenceModulo = 2 ** 31;

export class TransactionManager {
  producerId = -1;
  producerEpoch = -1;
  /** A batch with a sequence failed: new sequences need a new producer epoch. */
  resetNeeded = false;
  /** An InitProducerId (first or epoch bump) is under way: nothing is sent meanwhile. */
  initializing = false;
  /**
   * Batches whose last attempt the broker refused for its sequence (OUT_OF_ORDER_SEQUENCE_NUMBER
   * or UNKNOWN_PRODUCER_ID): proven not written under their epoch, so safe to number again.
   */
  private readonly refusedForSequence = new WeakSet<ProducerBatch>();

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
  isUnresolved(b: ProducerBatch): boolean {
    return b.attempts > 0 && b.baseSequence >= 0 && b.producerId === this.producerId && b.producerEpoch === this.producerEpoch && !this.refusedForSequence.has(b);
  }

  /** Records what a failed attempt of `b` proves about its sequence (see `isUnresolved`). */
  attemptFailed(b: ProducerBatch, code: ErrorCode): void {
    if (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || code === 'UNKNOWN_PRODUCER_ID') this.refusedForSequence.add(b);
    else this.refusedForSequence.delete(b);
  }

  /** Whether `b` was numbered under another producer id or epoch than the current one (or one is due). */
  isStale(b: ProducerBatch): boolean {
    return b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || this.resetNeeded;
  }

  /**
   * Numbers a batch with its partition's next sequence under the current id and epoch,
   * unless it already carries them (a retry keeps its sequence). Writes the producer
   * fields and the CRC into the batch's header.
   */
  stamp(b: ProducerBatch, q: PartitionQueue): void {
    if (b.producerId !== this.producerId || b.producerEpoch !== this.producerEpoch || b.baseSequence < 0) {
      b.stamp(this.producerId, this.producerEpoch, q.nextSequence);
      q.nextSequence = (q.nextSequence + b.recordCount) % sequenceModulo;
    }
  }

  /**
   * InitProducerId answered. After a bump (a sequence was lost): new epoch, new sequences
   * from 0 in every partition; batches to retry are stamped again when they are sent.
   */
  assigned(producerId: number, producerEpoch: number, bump: boolean, queues: Iterable<PartitionQueue>): void {
    this.initializing = false;
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    if (bump) {
      this.resetNeeded = false;
      for (const q of queues) q.nextSequence = 0;
    }
  }
}
