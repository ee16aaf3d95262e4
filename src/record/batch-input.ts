/**
 * The arguments of `encodeBatch` checked before a byte is written: the records (bytes or
 * null for keys and values, string keys with byte values for headers, safe-integer
 * timestamps) and the header fields in the ranges of their wire types. Without it a
 * value out of range surfaced as a `RangeError` from deep inside `Buffer`.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import { bool, checkOptions, custom, int, oneOf, type OptionRules } from '../util/options.js';
import { compressionTypes } from './batch.js';

const int64 = custom('a safe integer', (v) => typeof v === 'number' && Number.isSafeInteger(v));
const int32 = int(-(2 ** 31), 2 ** 31 - 1, 'a 32-bit integer');

const batchOptionRules: OptionRules = {
  baseOffset: custom('a non-negative safe integer', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0),
  partitionLeaderEpoch: int32,
  producerId: int64,
  producerEpoch: int(-1, 32_767, 'an integer from -1 to 32767'),
  baseSequence: int32,
  transactional: bool,
  control: bool,
  timestampType: oneOf(['CreateTime', 'LogAppendTime']),
  now: int64,
  lastOffsetDelta: int32,
  deleteHorizon: bool,
  compression: oneOf(compressionTypes),
};

const bytesOrNull = (v: unknown): boolean => v === null || v instanceof Uint8Array;

/** Throws `INVALID_RECORD` or `INVALID_CONFIG` for input `encodeBatch` cannot encode. */
export function checkBatchInput(records: unknown, options: unknown): void {
  if (!Array.isArray(records)) throw new TributaryError('INVALID_RECORD', `encodeBatch takes an array of records, got ${records === null ? 'null' : typeof records}`, { option: 'records' });
  checkOptions(options, batchOptionRules, 'a batch');
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as { key?: unknown; value?: unknown; headers?: unknown; timestamp?: unknown } | null;
    const bad = (why: string): never => {
      throw new TributaryError('INVALID_RECORD', `record ${i}: ${why}`, { option: 'records' });
    };
    if (typeof r !== 'object' || r === null) bad('must be an object');
    if (r!.key !== undefined && !bytesOrNull(r!.key)) bad('key must be a Uint8Array or null');
    if (!bytesOrNull(r!.value)) bad('value must be a Uint8Array or null');
    if (r!.timestamp !== undefined && (typeof r!.timestamp !== 'number' || !Number.isSafeInteger(r!.timestamp))) bad('timestamp must be a safe integer (ms since the epoch)');
    if (r!.headers !== undefined) {
      if (!Array.isArray(r!.headers)) bad('headers must be an array of { key, value }');
      for (const h of r!.headers as unknown[]) {
        if (typeof h !== 'object' || h === null || typeof (h as { key?: unknown }).key !== 'string' || !bytesOrNull((h as { value?: unknown }).value)) bad('each header must be { key: string, value: Uint8Array | null }');
      }
    }
  }
}
