/**
 * Kafka's `LogValidator`, the part a log needs: every batch of a write is checked before
 * any of it is written (CRC unless the caller vouches for it, magic, lengths,
 * `max.message.bytes`; a leader's batch holds one record per offset it spans; a follower's
 * batches continue the log exactly; keys on compacted logs). Any failure is a typed
 * error and nothing is written.
 * @internal
 */
import { batchHeaderBytes, checkBatch, positions, readInt64 } from '../record/batch.js';
import { assert } from '../util/assert.js';
import { TributaryError } from '../util/errors.js';
import { hasRecordWithoutKey } from './key-check.js';
import type { LogConfig } from './log.js';

/** What the checks counted. */
export interface ValidatedBatches {
  readonly batchCount: number;
  readonly recordCount: number;
}

export function validateBatches(
  input: Buffer,
  options: { assignOffsets: boolean; crcVerified: boolean; logEndOffset: number },
  config: LogConfig,
  context: { topic: string; partition: number },
): ValidatedBatches {
  const assign = options.assignOffsets;
  let batchCount = 0;
  let recordCount = 0;
  let expected = options.logEndOffset;
  for (let pos = 0; pos < input.length; ) {
    const check = checkBatch(input, pos, input.length, !options.crcVerified);
    if (!check.ok) throw new TributaryError('CORRUPT_MESSAGE', `batch ${batchCount} at byte ${pos} is invalid: ${check.problem}`, context);
    if (check.size > config.maxMessageBytes) {
      throw new TributaryError('MESSAGE_TOO_LARGE', `a batch of ${check.size} bytes is over max.message.bytes (${config.maxMessageBytes})`, context);
    }
    const count = input.readInt32BE(pos + positions.recordCount);
    const lastDelta = input.readInt32BE(pos + positions.lastOffsetDelta);
    if (assign) {
      // Kafka's LogValidator: a producer's batch holds one record per offset it spans
      // (only compaction, on the way to a follower, leaves fewer).
      if (count !== lastDelta + 1) {
        throw new TributaryError('INVALID_RECORD', `batch ${batchCount} holds ${count} records but spans ${lastDelta + 1} offsets`, context);
      }
    } else {
      const base = readInt64(input, pos + positions.baseOffset);
      if (base !== expected) {
        throw new TributaryError('INVALID_REQUEST', `batch at offset ${base} does not continue the log (expected ${expected})`, context);
      }
      expected = base + lastDelta + 1;
    }
    // A follower takes what its leader accepted (Kafka validates only on the leader).
    if (assign && config.cleanupPolicy !== 'delete' && hasRecordWithoutKey(input, pos, check.size) === true) {
      // Kafka's answer since KIP-467: INVALID_RECORD, not retriable (a retry would fail the same way).
      throw new TributaryError('INVALID_RECORD', 'a compacted topic only accepts records with a key', context);
    }
    recordCount += count;
    batchCount++;
    pos += check.size;
  }
  assert(batchCount <= input.length / batchHeaderBytes, 'every batch is at least a header');
  return { batchCount, recordCount };
}
