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
import { asBuffer, checkBatch, readBatchHeader, type BatchHeader } from '../record/batch.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';
import { hasRecordWithoutKey } from './key-check.js';

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

export type Validation = { readonly ok: true; readonly value: ValidatedBatches } | { readonly ok: false; readonly errorCode: ErrorCode; readonly message: string };

const refuse = (errorCode: ErrorCode, message: string): Validation => ({ ok: false, errorCode, message });

/** Checks every batch in `input` (nothing is accepted unless every batch passes); see the top of this file. */
export function validateBatches(input: Uint8Array, rules: ValidationRules): Validation {
  const bytes = asBuffer(input);
  if (bytes.length === 0) return refuse('INVALID_REQUEST', 'no record batches to append');
  const verifyCrc = rules.verifyCrc ?? true;
  const batches: ValidatedBatch[] = [];
  let recordCount = 0;
  let maxTimestamp = -1;
  let expected = rules.nextOffset;
  for (let pos = 0; pos < bytes.length; ) {
    const check = checkBatch(bytes, pos, bytes.length, verifyCrc);
    if (!check.ok) return refuse('CORRUPT_MESSAGE', `batch ${batches.length} at byte ${pos} is invalid: ${check.problem}`);
    if (check.size > rules.maxMessageBytes) return refuse('MESSAGE_TOO_LARGE', `a batch of ${check.size} bytes is over max.message.bytes (${rules.maxMessageBytes})`);
    const header = readBatchHeader(bytes, pos);
    if (rules.assignOffsets) {
      // A producer's batch holds one record per offset it spans (only compaction, on the
      // way to a follower, leaves fewer).
      if (header.recordCount !== header.lastOffsetDelta + 1) {
        return refuse('INVALID_RECORD', `batch ${batches.length} holds ${header.recordCount} records but spans ${header.lastOffsetDelta + 1} offsets`);
      }
      if (rules.keysRequired) {
        // Kafka's answer since KIP-467: INVALID_RECORD, not retriable (a retry would fail the same way).
        let keyless: boolean;
        try {
          keyless = hasRecordWithoutKey(bytes, pos, check.size);
        } catch (err) {
          if (isTributaryError(err)) return refuse(err.code, err.message);
          throw err;
        }
        if (keyless) return refuse('INVALID_RECORD', 'a compacted topic only accepts records with a key');
      }
    } else {
      if (header.baseOffset !== expected) return refuse('INVALID_REQUEST', `batch at offset ${header.baseOffset} does not continue the log (expected ${expected})`);
      expected = header.baseOffset + header.lastOffsetDelta + 1;
    }
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    recordCount += header.recordCount;
    batches.push({ position: pos, size: check.size, header });
    pos += check.size;
  }
  return { ok: true, value: { bytes, batches, recordCount, maxTimestamp, rules } };
}
