/**
 * Kafka's `LogValidator` (with `analyzeAndValidateRecords`): checks a run of concatenated
 * v2 record batches once, where the bytes enter (a produce at its partition leader, a
 * fetched answer at its follower, a `write` from a caller of the public API), and returns
 * what it learned, so that nothing below parses or checksums them again.
 *
 * One pass per batch: the structure and CRC (`checkBatch`), the header read once into a
 * `BatchHeader` (offsets, counts, timestamps, producer fields, codec in the attributes),
 * the size against `max.message.bytes`, a leader's one-record-per-offset rule, a
 * follower's offsets continuing the log, and a compacted topic's keys. The result goes
 * to `PartitionLog.appendValidated` (which trusts it and only stamps and writes) and to
 * the partition core (producer state, the epoch cache) from the same headers.
 *
 * Pure: no I/O, no clock; an expected failure is returned, never thrown.
 * @internal
 */
import { asBuffer, attributeBits, batchHeaderBytes, batchProblems, checkedBatchSize, crcStartPosition, positions, readCheckedBatchHeader, writeInt64, type BatchHeader } from '../record/batch.js';
import { assert } from '../util/assert.js';
import { crc32c, crc32cUpdate } from '../util/crc32c.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';
import { keylessRecords } from './key-check.js';

/** One checked batch: where it lies in the bytes, its size, and its header as read. */
export interface ValidatedBatch {
  readonly position: number;
  readonly size: number;
  readonly header: BatchHeader;
}

/**
 * Batches that passed {@link validateBatches}, with what the pass learned. Only
 * `validateBatches` makes one; holding one means these exact bytes were checked under
 * `rules` (do not change the bytes in between).
 */
export interface ValidatedBatches {
  /** The bytes checked, as a Buffer over the caller's memory (not copied). */
  readonly bytes: Buffer;
  readonly batches: readonly ValidatedBatch[];
  /** Records in all batches (sum of their record counts). */
  readonly recordCount: number;
  /** The largest `maxTimestamp` of the batches, as sent (-1 for none). */
  readonly maxTimestamp: number;
  /** The rules they were checked under. */
  readonly rules: ValidationRules;
}

/** What a run of batches is checked against. */
export interface ValidationRules {
  /**
   * true: a leader's append (offsets will be assigned; each batch must hold one record
   * per offset it spans, Kafka's LogValidator rule). false: a follower's or Raft
   * replica's copy, whose offsets must continue the log from `nextOffset`.
   */
  readonly assignOffsets: boolean;
  /** For `assignOffsets: false`: the log end offset the first batch must start at. */
  readonly nextOffset: number;
  /** `max.message.bytes`. */
  readonly maxMessageBytes: number;
  /** A compacted topic (`cleanup.policy` with `compact`): a leader refuses records without a key. */
  readonly keysRequired: boolean;
  /**
   * false only when the caller computed or checked the CRC of these exact bytes itself
   * (`AppendOptions.crcVerified`). Default true.
   */
  readonly verifyCrc?: boolean;
}

/**
 * A refusal may name the records it refuses, by index in the batch (Kafka's
 * `ProduceResponse.RecordError`, the Produce answer's `record_errors`).
 */
export type Validation =
  | { readonly ok: true; readonly value: ValidatedBatches }
  | { readonly ok: false; readonly errorCode: ErrorCode; readonly message: string; readonly recordErrors?: readonly { readonly batchIndex: number; readonly batchIndexErrorMessage: string | null }[] };

const refuse = (errorCode: ErrorCode, message: string): Validation => ({ ok: false, errorCode, message });

/** {@link checkedBatchSize}'s answers for 'bad-offset-delta' and 'bad-record-count'. */
const badOffsetDelta = -1 - batchProblems.indexOf('bad-offset-delta');
const badRecordCount = -1 - batchProblems.indexOf('bad-record-count');

/** Checks every batch in `input` (nothing is accepted unless every batch passes); see the top of this file. */
export function validateBatches(input: Uint8Array, rules: ValidationRules): Validation {
  const bytes = asBuffer(input);
  if (bytes.length === 0) return refuse('INVALID_REQUEST', 'no record batches to append');
  const verifyCrc = rules.verifyCrc ?? true;
  // Made at the first batch, of its size: most produced runs are one batch (an empty
  // array's first push reserves 17 slots).
  let batches: ValidatedBatch[] | undefined;
  let count = 0;
  let recordCount = 0;
  let maxTimestamp = -1;
  let expected = rules.nextOffset;
  for (let pos = 0; pos < bytes.length; ) {
    // The numeric check and the unchecked header read: no result object and no argument checks a batch.
    const size = checkedBatchSize(bytes, pos, bytes.length, verifyCrc);
    if (size < 0) {
      // A client's batch whose offsets and count disagree (a last offset delta below 0, a
      // count below 0 or above the span) is Kafka's `LogValidator.validateBatch`
      // INVALID_RECORD, after the CRC; the same bytes from a leader are corrupt.
      const offsets = rules.assignOffsets && (size === badOffsetDelta || size === badRecordCount);
      return refuse(offsets ? 'INVALID_RECORD' : 'CORRUPT_MESSAGE', `batch ${count} at byte ${pos} is invalid: ${batchProblems[-1 - size]}`);
    }
    if (size > rules.maxMessageBytes) return refuse('MESSAGE_TOO_LARGE', `a batch of ${size} bytes is over max.message.bytes (${rules.maxMessageBytes}): raise the topic's max.message.bytes, or send smaller batches`);
    const header = readCheckedBatchHeader(bytes, pos);
    if (rules.assignOffsets) {
      // A producer's batch holds one record per offset it spans (only compaction, on the
      // way to a follower, leaves fewer).
      if (header.recordCount !== header.lastOffsetDelta + 1) {
        return refuse('INVALID_RECORD', `batch ${count} holds ${header.recordCount} records but spans ${header.lastOffsetDelta + 1} offsets`);
      }
      if (rules.keysRequired) {
        // Kafka's answer since KIP-467: INVALID_RECORD, not retriable (a retry would fail the same way).
        let keyless: number[];
        try {
          keyless = keylessRecords(bytes, pos, size);
        } catch (err) {
          if (isTributaryError(err)) return refuse(err.code, err.message);
          throw err;
        }
        if (keyless.length > 0) {
          const why = 'a compacted topic only accepts records with a key';
          return { ok: false, errorCode: 'INVALID_RECORD', message: why, recordErrors: keyless.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: why })) };
        }
      }
    } else {
      if (header.baseOffset !== expected) return refuse('INVALID_REQUEST', `batch at offset ${header.baseOffset} does not continue the log (expected ${expected})`);
      expected = header.baseOffset + header.lastOffsetDelta + 1;
    }
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    recordCount += header.recordCount;
    const batch: ValidatedBatch = { position: pos, size, header };
    if (batches === undefined) batches = [batch];
    else batches.push(batch);
    count++;
    pos += size;
  }
  return { ok: true, value: { bytes, batches: batches!, recordCount, maxTimestamp, rules } };
}

/**
 * Headers of a leader's write are stamped in one scratch buffer shared by every log of the
 * thread (writes are synchronous: nothing holds it past the write), grown to the largest
 * write's batch count up to this many. Why shared: one per log was 10,000 buffers over
 * 10,000 partitions, each a cache miss on a keyed write of one record.
 */
export const scratchBatchesMax = 4096;
const noBytes = Buffer.alloc(0);
let headerScratch = Buffer.allocUnsafe(batchHeaderBytes * 16);

/** What {@link assignOffsets} made of a write: reused from one write to the next (no object a batch). */
export const stamped = {
  /** Header and body of each batch in turn, for one pwritev (a leader's write), or empty (then `whole`). */
  parts: [] as Buffer[],
  /**
   * The write as one buffer's first `wholeBytes`, for one pwrite: a follower's batches as
   * they came, or a leader's one batch of at most {@link smallBatchBytesMax}, its header
   * stamped and its body copied behind it in the scratch; `wholeBytes` 0: write `parts`.
   */
  whole: noBytes as Buffer,
  wholeBytes: 0,
  /**
   * A leader's small batch is not stamped yet: `fill(dst, at)` copies and stamps it into
   * `dst` from `at` (`whole` is the scratch to use when the write is not deferred), for
   * store.ts `appendFilled`; undefined: `whole` holds the bytes.
   */
  fill: undefined as ((dst: Buffer, at: number) => void) | undefined,
  lastOffset: -1,
  maxTimestamp: -1,
};
/** A one-batch write's parts, reused: its body slot is cleared by {@link releaseParts}. */
const onePair: Buffer[] = [headerScratch.subarray(0, batchHeaderBytes), headerScratch];
const noParts: Buffer[] = [];

/**
 * A leader's one batch up to this size is copied behind its stamped header and written
 * with one pwrite, not as a header and a view of the caller's bytes with one pwritev. Why:
 * a keyed producer over many partitions sends batches of one record (about 180 bytes), and
 * for those the view (a Buffer a batch, for the collector) and the two-element array that
 * `writevSync` walks in C++ cost more than copying the bytes by a loop: 0.96-0.99 us of
 * CPU a write against 1.18-1.26 us for the pwritev, measured here (bench/results/2026-12-07g-keyed.md).
 * Past a few hundred bytes the loop's cost grows and the pwritev's does not.
 */
export const smallBatchBytesMax = 512;

/**
 * Kafka's `LogValidator.assignOffsetsNonCompressed`, for batches `validateBatches` checked:
 * a leader's (`assign`) headers are copied into the scratch buffer and stamped there (base
 * offset from `firstOffset`, `epoch`, and for a LogAppendTime topic the time and the CRC
 * it changes), and `stamped.parts` holds each stamped header with the caller's untouched
 * record bytes behind it, for one pwritev. A follower's batches keep their offsets. Either
 * way `stamped` gets the last offset and the largest timestamp. Why not copy the batches
 * into one buffer and stamp that: for 100 KB batches the copy into fresh memory cost more
 * than the write itself (page faults on every new buffer): 330 us per batch against 50 us
 * for header + writev, measured here. Call {@link releaseParts} after the write.
 */
export function assignOffsets(validated: ValidatedBatches, assign: boolean, firstOffset: number, epoch: number | undefined, logAppendTime: number): typeof stamped {
  const { bytes: input, batches } = validated;
  const batchCount = batches.length;
  const headers = assign ? scratchFor(batchCount) : undefined;
  if (assign && batchCount === 1 && batches[0]!.size <= smallBatchBytesMax) return stampSmall(input, batches[0]!, firstOffset, epoch, logAppendTime);
  const parts = !assign ? noParts : batchCount === 1 ? onePair : new Array<Buffer>(batchCount * 2);
  let next = firstOffset;
  let maxTimestampIn = -1;
  for (let i = 0; i < batchCount; i++) {
    const { position: p, size, header: b } = batches[i]!;
    if (headers !== undefined) {
      const h = i * batchHeaderBytes;
      for (let k = 0; k < batchHeaderBytes; k++) headers[h + k] = input[p + k]!; // not Buffer.copy: ~0.4 us a call (storage.md)
      writeInt64(headers, h + positions.baseOffset, next);
      if (epoch !== undefined) headers.writeInt32BE(epoch, h + positions.partitionLeaderEpoch);
      if (logAppendTime >= 0) {
        headers.writeInt16BE(headers.readInt16BE(h + positions.attributes) | attributeBits.timestampType, h + positions.attributes);
        writeInt64(headers, h + positions.maxTimestamp, logAppendTime);
        const crc = crc32cUpdate(crc32c(headers, h + crcStartPosition, h + batchHeaderBytes), input, p + batchHeaderBytes, p + size);
        headers.writeUInt32BE(crc, h + positions.crc);
      }
      if (batchCount > 1) parts[i * 2] = headers.subarray(h, h + batchHeaderBytes);
      parts[i * 2 + 1] = input.subarray(p + batchHeaderBytes, p + size);
    }
    next = (assign ? next : b.baseOffset) + b.lastOffsetDelta + 1;
    const maxTimestamp = logAppendTime >= 0 ? logAppendTime : b.maxTimestamp;
    if (maxTimestamp > maxTimestampIn) maxTimestampIn = maxTimestamp;
  }
  stamped.parts = parts;
  stamped.fill = undefined;
  stamped.whole = assign ? noBytes : input;
  stamped.wholeBytes = assign ? 0 : input.length;
  stamped.lastOffset = next - 1;
  stamped.maxTimestamp = maxTimestampIn;
  return stamped;
}

/** The leader's small batch `stampSmall` took, until `fillSmall` stamps it where it is written. */
const small = { input: noBytes as Buffer, position: 0, size: 0, firstOffset: 0, epoch: -1, logAppendTime: -1 };

/**
 * `assignOffsets` of a leader's one small batch: nothing copied yet; `stamped.fill` copies
 * header and body where the write goes and stamps them there (see {@link smallBatchBytesMax}).
 * Why not stamp in the scratch now: over many partitions the write is deferred
 * (write-behind.ts), and the scratch was then copied again into the session's buffer, a
 * second loop over the batch's bytes.
 */
function stampSmall(input: Buffer, batch: ValidatedBatch, firstOffset: number, epoch: number | undefined, logAppendTime: number): typeof stamped {
  const { position: p, size, header: b } = batch;
  assert(size <= headerScratch.length, 'the scratch holds a small batch');
  small.input = input;
  small.position = p;
  small.size = size;
  small.firstOffset = firstOffset;
  small.epoch = epoch ?? -1;
  small.logAppendTime = logAppendTime;
  stamped.parts = noParts;
  stamped.whole = headerScratch;
  stamped.wholeBytes = size;
  stamped.fill = fillSmall;
  stamped.lastOffset = firstOffset + b.lastOffsetDelta;
  stamped.maxTimestamp = logAppendTime >= 0 ? logAppendTime : b.maxTimestamp;
  return stamped;
}

/** Copies the batch `stampSmall` took into `out` from `at` and stamps it there: base offset, epoch, and for LogAppendTime the time and the CRC. */
function fillSmall(out: Buffer, at: number): void {
  const { input, position: p, size, logAppendTime } = small;
  for (let k = 0; k < size; k++) out[at + k] = input[p + k]!; // not Buffer.copy: ~0.4 us a call (storage.md)
  writeInt64(out, at + positions.baseOffset, small.firstOffset);
  if (small.epoch >= 0) out.writeInt32BE(small.epoch, at + positions.partitionLeaderEpoch);
  if (logAppendTime >= 0) {
    out.writeInt16BE(out.readInt16BE(at + positions.attributes) | attributeBits.timestampType, at + positions.attributes);
    writeInt64(out, at + positions.maxTimestamp, logAppendTime);
    out.writeUInt32BE(crc32c(out, at + crcStartPosition, at + size), at + positions.crc);
  }
  small.input = noBytes;
}

/** After the write of `stamped.parts`: the reused pair lets go of the caller's bytes. */
export function releaseParts(): void {
  onePair[1] = headerScratch;
  stamped.parts = noParts;
  stamped.whole = noBytes;
  stamped.wholeBytes = 0;
  stamped.fill = undefined;
  small.input = noBytes;
}

function scratchFor(batchCount: number): Buffer {
  const bytes = batchCount * batchHeaderBytes;
  if (bytes <= headerScratch.length) return headerScratch;
  const scratch = Buffer.allocUnsafe(bytes);
  if (batchCount <= scratchBatchesMax) {
    headerScratch = scratch;
    onePair[0] = scratch.subarray(0, batchHeaderBytes);
  }
  return scratch;
}
