import { assert } from '../../util/assert.js';
import type { ErrorCode } from '../../util/error-codes.js';

/**
 * The broker's memory of idempotent producers, per partition: what makes a retried batch
 * land once. Kafka's `ProducerStateManager` rules, as a pure core:
 *
 * - Each producer id keeps its epoch and the metadata of its last
 *   {@link batchesRetainedPerProducer} batches (first and last sequence, first and last
 *   offset). A batch whose sequences equal one of those is a **duplicate**: the broker
 *   does not append it and answers with the offsets it got the first time.
 * - A batch from an **older epoch** is refused (`INVALID_PRODUCER_EPOCH`): a newer
 *   incarnation of the producer has taken over.
 * - A **newer epoch** must start at sequence 0 (`OUT_OF_ORDER_SEQUENCE_NUMBER` otherwise).
 * - In the same epoch a batch must start right after the last one (sequences wrap from
 *   2^31 - 1 to 0); anything else that is not a duplicate is `OUT_OF_ORDER_SEQUENCE_NUMBER`.
 * - A producer the partition knows nothing of (new, or expired, or whose records were all
 *   deleted) is accepted at any sequence, as Kafka does since KIP-360.
 *
 * State changes only through `apply`, which the broker calls for every batch it appends
 * (leader) or replicates (follower), and through `rebuild`, which replays batch headers
 * after recovery or truncation: so leaders and followers hold the same state.
 * @internal
 */
export const batchesRetainedPerProducer = 5;

/** The producer fields of one batch, from its header. */
export interface ProducerBatch {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** Records in the batch's offset span: lastOffsetDelta + 1. */
  readonly offsetCount: number;
}

interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  lastTimestamp: number;
}

export type ProducerCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string };

const sequenceMax = 0x7fffffff;

/** The sequence `count - 1` after `first`, wrapping like Kafka's `DefaultRecordBatch.incrementSequence`. */
export function lastSequenceOf(first: number, count: number): number {
  return (first + count - 1) % (sequenceMax + 1);
}

function nextSequence(seq: number): number {
  return seq === sequenceMax ? 0 : seq + 1;
}

export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Number of producers remembered. */
  get size(): number {
    return this.producers.size;
  }

  /** What to do with a batch before appending it. Batches without a producer id always append. */
  check(batch: ProducerBatch): ProducerCheck {
    if (batch.producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined) return { kind: 'append' };
    if (batch.producerEpoch < entry.epoch) {
      return { kind: 'error', code: 'INVALID_PRODUCER_EPOCH', message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than the current epoch ${entry.epoch}` };
    }
    const firstSeq = batch.baseSequence;
    const lastSeq = lastSequenceOf(firstSeq, batch.offsetCount);
    if (batch.producerEpoch === entry.epoch) {
      for (const b of entry.batches) {
        if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset };
      }
      const last = entry.batches[entry.batches.length - 1];
      if (last !== undefined && firstSeq !== nextSequence(last.lastSeq)) {
        return {
          kind: 'error',
          code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
          message: `producer ${batch.producerId} sent sequence ${firstSeq}; the next expected is ${nextSequence(last.lastSeq)}`,
        };
      }
      return { kind: 'append' };
    }
    // A newer epoch: the producer restarted its sequences.
    if (firstSeq !== 0) {
      return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${batch.producerId} began epoch ${batch.producerEpoch} at sequence ${firstSeq}, not 0` };
    }
    return { kind: 'append' };
  }

  /** Whether `apply` takes this batch: no newer epoch of its producer is known. */
  canApply(batch: ProducerBatch): boolean {
    const entry = this.producers.get(batch.producerId);
    return batch.producerId < 0 || entry === undefined || batch.producerEpoch >= entry.epoch;
  }

  /** Records a batch that was appended at [firstOffset, lastOffset]. */
  apply(batch: ProducerBatch, firstOffset: number, lastOffset: number, timestamp: number): void {
    if (batch.producerId < 0) return;
    assert(lastOffset - firstOffset + 1 === batch.offsetCount, 'a batch’s offsets match its offset span');
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(batch.producerId, entry);
    }
    assert(batch.producerEpoch === entry.epoch, 'apply follows a successful check');
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch.baseSequence, batch.offsetCount), firstOffset, lastOffset });
    if (entry.batches.length > batchesRetainedPerProducer) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, timestamp);
  }

  /** Each producer remembered: its epoch, the last sequence it wrote and its last timestamp (Kafka's DescribeProducers). */
  *entries(): IterableIterator<{ producerId: number; producerEpoch: number; lastSequence: number; lastTimestamp: number }> {
    for (const [producerId, e] of this.producers) {
      yield { producerId, producerEpoch: e.epoch, lastSequence: e.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp };
    }
  }

  /** Forgets producers idle for longer than `producerIdExpirationMs` (Kafka's default is one day). Returns how many. */
  expire(now: number, producerIdExpirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (now - entry.lastTimestamp > producerIdExpirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** Replaces the state by replaying batches (in log order), as after recovery or a truncation. */
  rebuild(batches: Iterable<{ batch: ProducerBatch; firstOffset: number; lastOffset: number; timestamp: number }>): void {
    this.producers.clear();
    for (const b of batches) this.apply(b.batch, b.firstOffset, b.lastOffset, b.timestamp);
  }

  /**
   * Forgets producers whose last batch lies wholly below `logStartOffset` (their records
   * were deleted), as Kafka's `ProducerStateManager.truncateAndReload` does after loading a
   * snapshot taken below the log start.
   */
  removeBefore(logStartOffset: number): void {
    for (const [id, entry] of this.producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (last === undefined || last.lastOffset < logStartOffset) this.producers.delete(id);
    }
  }

  /**
   * The state as bytes, for a snapshot file (Kafka's `<offset>.snapshot`): a count, then per
   * producer its id, epoch, last timestamp and retained batches. Kafka's snapshot keeps
   * only each producer's last batch; this one keeps all {@link batchesRetainedPerProducer},
   * so a retry of any of them is still recognised after a restart.
   */
  snapshot(): Uint8Array {
    let bytes = 4;
    for (const e of this.producers.values()) bytes += producerEntryBytes + e.batches.length * batchEntryBytes;
    const out = new Uint8Array(bytes);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.producers.size);
    let p = 4;
    for (const [id, e] of this.producers) {
      v.setBigInt64(p, BigInt(id));
      v.setInt16(p + 8, e.epoch);
      v.setFloat64(p + 10, e.lastTimestamp);
      v.setUint8(p + 18, e.batches.length);
      p += producerEntryBytes;
      for (const b of e.batches) {
        v.setInt32(p, b.firstSeq);
        v.setInt32(p + 4, b.lastSeq);
        v.setFloat64(p + 8, b.firstOffset);
        v.setFloat64(p + 16, b.lastOffset);
        p += batchEntryBytes;
      }
    }
    return out;
  }

  /**
   * Replaces the state by a `snapshot()`'s. Returns false, leaving the state empty, if the
   * bytes do not hold one exactly (the caller then replays the whole log instead).
   */
  restore(bytes: Uint8Array): boolean {
    this.producers.clear();
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (): false => (this.producers.clear(), false);
    if (bytes.length < 4) return fail();
    const count = v.getUint32(0);
    let p = 4;
    for (let i = 0; i < count; i++) {
      if (p + producerEntryBytes > bytes.length) return fail();
      const id = Number(v.getBigInt64(p));
      const epoch = v.getInt16(p + 8);
      const lastTimestamp = v.getFloat64(p + 10);
      const n = v.getUint8(p + 18);
      p += producerEntryBytes;
      if (!Number.isSafeInteger(id) || id < 0 || epoch < 0 || !Number.isSafeInteger(lastTimestamp) || n > batchesRetainedPerProducer) return fail();
      if (p + n * batchEntryBytes > bytes.length || this.producers.has(id)) return fail();
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < n; j++, p += batchEntryBytes) {
        const b = { firstSeq: v.getInt32(p), lastSeq: v.getInt32(p + 4), firstOffset: v.getFloat64(p + 8), lastOffset: v.getFloat64(p + 16) };
        if (b.firstSeq < 0 || b.lastSeq < 0 || !Number.isSafeInteger(b.firstOffset) || !Number.isSafeInteger(b.lastOffset) || b.firstOffset < 0 || b.lastOffset < b.firstOffset) return fail();
        batches.push(b);
      }
      this.producers.set(id, { epoch, batches, lastTimestamp });
    }
    return p === bytes.length || fail();
  }
}

/** Bytes of a producer in a snapshot: id (8), epoch (2), last timestamp (8), batch count (1). */
const producerEntryBytes = 19;
/** Bytes of a retained batch in a snapshot: first and last sequence (4 each), first and last offset (8 each). */
const batchEntryBytes = 24;
