/**
 * Idempotence (the producer-id part of Kafka's `TransactionManager`): the producer id and
 * epoch from InitProducerId, the next sequence number of every partition, and the epoch
 * bump after a sequence was lost. Transactions proper are not offered yet.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { Transport } from '../transport/transport.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { PartitionQueue } from './accumulator.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ResolvedProducerOptions } from './options.js';
import type { ProducerBatch } from './producer-batch.js';
import { backoffMs, delay, isRetriable, withTimeout } from './retry.js';

/** Sequence numbers wrap from 2^31 - 1 to 0, as Kafka's do. */
const sequenceModulo = 2 ** 31;

/** What the transaction manager asks of the sender it serves. */
export interface IdempotenceHost {
  /** Whether the producer is closed with nothing left to send (then a producer id is no longer worth waiting for). */
  closedAndIdle(): boolean;
  /** Expires batches that waited past their delivery timeout. */
  expireWaiting(): void;
  /** Every partition queue, to number from 0 again under a new epoch. */
  queues(): Iterable<PartitionQueue>;
  /** Drains again. */
  wake(): void;
  /** The cluster refused a producer id: every waiting batch fails with `error`. */
  failWaiting(error: TributaryError): void;
}

export class TransactionManager {
  producerId = -1;
  producerEpoch = -1;
  /** A batch with a sequence number failed: new sequences need a new producer epoch. */
  resetNeeded = false;
  private producerIdPromise: Promise<void> | undefined;
  /**
   * Batches whose last attempt the broker refused for its sequence (OUT_OF_ORDER_SEQUENCE_NUMBER
   * or UNKNOWN_PRODUCER_ID): proven not written under their epoch, so safe to number again.
   */
  private readonly refusedForSequence = new WeakSet<ProducerBatch>();

  constructor(
    private readonly transport: Transport,
    private readonly metadata: MetadataCache,
    private readonly options: ResolvedProducerOptions,
    private readonly rng: Rng,
    private readonly host: IdempotenceHost,
  ) {}

  /** Whether an InitProducerId (first or epoch bump) is under way: nothing is sent meanwhile. */
  get initializing(): boolean {
    return this.producerIdPromise !== undefined;
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

  /** Gets a producer id (and epoch) with InitProducerId, again after a sequence was lost. */
  initProducerId(): void {
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
          if (this.host.closedAndIdle()) throw err;
        }
        this.host.expireWaiting();
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
          for (const q of this.host.queues()) q.nextSequence = 0;
        }
        this.host.wake();
      },
      (err: unknown) => {
        this.producerIdPromise = undefined;
        // The cluster refused to give a producer id: nothing can be sent idempotently.
        this.host.failWaiting(isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err)));
      },
    );
  }
}
