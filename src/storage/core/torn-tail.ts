/**
 * Torn-tail detection, pure: where the longest valid run of batches in a segment ends.
 * Recovery reads a segment in chunks and feeds each chunk here; this decides, batch by
 * batch, whether the bytes are a whole, intact batch that continues the log, and if not,
 * whether more bytes are needed (the chunk ended mid-batch) or the log is damaged there.
 */
import { batchHeaderBytes, batchLogOverheadBytes, checkBatch, positions, readInt64, type BatchProblem } from '../../record/batch.js';

/** Why a run of batches stopped being valid. */
export type TailProblem =
  | BatchProblem
  /** A batch does not start at the offset after the previous batch's last offset. */
  | 'offset-gap'
  /** A batch reaches an offset the next segment (or a caller's limit) already covers. */
  | 'offset-beyond-limit';

/** Where a run of batches stopped, and why. */
export interface BatchRun {
  /** Bytes of whole, valid batches from the start of the run. */
  readonly validBytes: number;
  readonly batches: number;
  /** The offset after the last valid batch (the start offset if none was valid). */
  readonly nextOffset: number;
  /**
   * Why the run ended before `end`: a damaged batch, or a batch cut short at the end of
   * the file (`truncated-header`, `truncated-batch`). Undefined when every byte up to
   * `end` is valid, or when more bytes are needed (`needMore`).
   */
  readonly problem?: TailProblem;
  /** The chunk ended inside a batch that may be whole in the file: read on from `validBytes`. */
  readonly needMore?: { readonly batchBytes: number };
}

/** Called for each valid batch, in order, with its position relative to `start`. */
export type OnValidBatch = (position: number, baseOffset: number, lastOffset: number, size: number) => void;

/**
 * Checks the batches in `bytes[start, end)` in order: each must pass `checkBatch` (CRC,
 * magic, lengths, record count), start exactly at `expectedBaseOffset` then at the
 * offset after the previous one (batch spans tile the log: compaction leaves an empty
 * batch where it drops a run, never a gap, so a gap means the base offset, the one field
 * the CRC does not cover, is damaged), and end below `offsetLimit`.
 *
 * `atEndOfFile` says whether `end` is the end of the file: if it is, a batch cut short
 * there is a torn tail (`problem`); if not, it is only the end of this chunk (`needMore`,
 * with the batch's declared size when its header is whole, so the caller can read
 * enough).
 *
 * Example: three 100-byte batches [0-4], [5-9], [10-14] in 300 bytes, expected 0:
 * `validBytes` 300, `nextOffset` 15. The same with byte 250 flipped: `validBytes` 200,
 * `problem` 'bad-crc'. Cut at 280 with `atEndOfFile`: 200, 'truncated-batch'; without:
 * 200, `needMore` { batchBytes: 100 }.
 */
export function checkBatchRun(
  bytes: Uint8Array,
  start: number,
  end: number,
  expectedBaseOffset: number,
  offsetLimit: number,
  atEndOfFile: boolean,
  onBatch?: OnValidBatch,
): BatchRun {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  let batches = 0;
  let next = expectedBaseOffset;
  const stop = (problem: TailProblem | undefined, needMore?: { batchBytes: number }): BatchRun => ({
    validBytes: pos - start,
    batches,
    nextOffset: next,
    ...(problem === undefined ? {} : { problem }),
    ...(needMore === undefined ? {} : { needMore }),
  });
  while (pos < end) {
    const check = checkBatch(buf, pos, end);
    if (!check.ok) {
      const cutShort = check.problem === 'truncated-header' || check.problem === 'truncated-batch';
      if (cutShort && !atEndOfFile) {
        const whole = end - pos >= positions.batchLength + 4;
        return stop(undefined, { batchBytes: whole ? buf.readInt32BE(pos + positions.batchLength) + batchLogOverheadBytes : batchHeaderBytes });
      }
      return stop(check.problem);
    }
    const base = readInt64(buf, pos + positions.baseOffset);
    const last = base + buf.readInt32BE(pos + positions.lastOffsetDelta);
    if (base !== next) return stop('offset-gap');
    if (last >= offsetLimit) return stop('offset-beyond-limit');
    onBatch?.(pos - start, base, last, check.size);
    pos += check.size;
    next = last + 1;
    batches++;
  }
  return stop(undefined);
}
