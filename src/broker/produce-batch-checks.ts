/**
 * The rules a leader applies to the batches of one partition in a produce, beyond the
 * structure and CRC that `validateBatches` checks: Kafka's `ProduceRequest.validateRecords`
 * (run by `KafkaApis` for every Produce v3+) and `LogValidator.validateBatch` /
 * `validateTimestamp` with `UnifiedLog.analyzeAndValidateRecords` for an append whose
 * origin is a client. Every leader append in a Tributary broker (a client's produce and
 * the group coordinator's own writes) passes them: the coordinator writes one
 * uncompressed CreateTime batch with no producer id, as Kafka's does. Followers and the
 * Raft log append through other paths and never come here: a follower appends many
 * batches per fetch.
 *
 * What Kafka answers, in its order (each INVALID_RECORD unless said otherwise):
 * - a batch of message format v0 or v1 ("Produce requests with version N are only allowed
 *   to contain record batches with magic version 2");
 * - more than one batch for the partition, idempotent or not, compressed or not ("only
 *   allowed to contain exactly one record batch per partition"; the log's
 *   `getFirstBatchAndMaybeValidateNoMoreBatches` says it again for every leader append);
 * - a base offset other than 0;
 * - a control batch ("Clients are not allowed to write control records");
 * - a producer id with no base sequence;
 * - the records' timestamps (`timestampProblem`): INVALID_TIMESTAMP with the index of
 *   each refused record in `record_errors`;
 * - last, a batch larger than `segment.bytes`: RECORD_LIST_TOO_LARGE (checked after a
 *   `compression.type` conversion, on the bytes that would be written).
 *
 * Pure, and cheap: the first batch's magic byte before the structure pass, then the
 * header fields that pass already read.
 * @internal
 */
import { asBuffer, attributeBits, batchHeaderBytes, batchLogOverheadBytes, compressionOf, crcStartPosition, decodeRecordsSection, positions, type BatchHeader } from '../record/batch.js';
import { decompressSync } from '../storage/key-check.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { validateBatches, type ValidatedBatches, type ValidationRules } from '../storage/log-validator.js';
import { assert } from '../util/assert.js';
import { crc32c } from '../util/crc32c.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';

export interface BatchProblem {
  readonly errorCode: ErrorCode;
  readonly message: string;
  /** The refused records, by index in the batch (the Produce answer's `record_errors`, v8+). */
  readonly recordErrors?: readonly RecordError[];
}

/** One refused record of a batch: Kafka's `ProduceResponse.RecordError`. */
export interface RecordError {
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string | null;
}

/**
 * A message-format v0 or v1 batch at the front of `records`, which Kafka refuses on a
 * Produce v3+ (Tributary serves only those) with INVALID_RECORD; undefined otherwise
 * (any other magic byte is the structure pass's CORRUPT_MESSAGE, as in Kafka, whose
 * reader does not know it).
 */
export function legacyMagicProblem(records: Uint8Array): BatchProblem | undefined {
  if (records.length <= positions.magic) return undefined;
  const magic = records[positions.magic]!;
  if (magic !== 0 && magic !== 1) return undefined;
  return { errorCode: 'INVALID_RECORD', message: `a produce may only hold record batches of message format v2 (magic 2), got magic ${magic}` };
}

/**
 * Kafka's `ProduceRequest.validateRecords`, which its `KafkaApis` runs on each partition
 * of a Produce whose topic and partition exist, before anything else of the partition
 * (before the internal-topic check, leadership and the log's own validation): no batch at
 * all, a first batch of message format v0/v1 (INVALID_RECORD), a zstd batch in a Produce
 * below v7 (UNSUPPORTED_COMPRESSION_TYPE, KIP-110: a client that speaks only v3-v6 cannot
 * know zstd), and more than one batch (INVALID_RECORD). `apiVersion`: the Produce version
 * from the wire, undefined for a request from a client in this process (the newest).
 * Reads the first batch's magic and attributes and the second batch's existence only;
 * the structure pass of the leader checks the rest.
 */
export function produceRequestProblem(records: Uint8Array | null, apiVersion: number | undefined): BatchProblem | undefined {
  if (records === null || records.length === 0) return noBatch;
  const legacy = legacyMagicProblem(records);
  if (legacy !== undefined) return legacy;
  if (apiVersion !== undefined && apiVersion < 7 && records.length > positions.attributes + 1 && (records[positions.attributes + 1]! & attributeBits.compressionMask) === 4) {
    return { errorCode: 'UNSUPPORTED_COMPRESSION_TYPE', message: `a Produce of version ${apiVersion} may not carry zstd batches (Produce v7+ only)` };
  }
  if (records.length > positions.batchLength + 4) {
    const at = positions.batchLength;
    const length = ((records[at]! << 24) | (records[at + 1]! << 16) | (records[at + 2]! << 8) | records[at + 3]!) >>> 0;
    // A second batch behind the first: at least its header up to the magic byte, as Kafka's
    // batch iterator counts one (fewer bytes, or a length that overruns, are the structure
    // pass's CORRUPT_MESSAGE).
    if (records.length - (length + batchLogOverheadBytes) >= positions.magic + 1) return { errorCode: 'INVALID_RECORD', message: 'a produce may hold exactly one record batch per partition, got more' };
  }
  return undefined;
}

const noBatch: BatchProblem = { errorCode: 'INVALID_RECORD', message: 'a produce must hold one record batch for each partition it names' };

/**
 * Kafka's answer to the header of the checked batches of one partition of a produce, or
 * undefined if it takes them (its records are {@link timestampProblem}'s, and the size
 * against `segment.bytes` {@link segmentProblem}'s, in that order).
 */
export function leaderBatchProblem(batches: readonly { readonly size: number; readonly header: BatchHeader }[]): BatchProblem | undefined {
  if (batches.length !== 1) {
    return { errorCode: 'INVALID_RECORD', message: `a produce may hold exactly one record batch per partition, got ${batches.length}` };
  }
  const h = batches[0]!.header;
  if (h.baseOffset !== 0) return { errorCode: 'INVALID_RECORD', message: `the base offset of a produced record batch must be 0, got ${h.baseOffset}` };
  if ((h.attributes & attributeBits.control) !== 0) return { errorCode: 'INVALID_RECORD', message: 'clients may not write control records' };
  if (h.producerId >= 0 && h.baseSequence < 0) {
    return { errorCode: 'INVALID_RECORD', message: `invalid sequence number ${h.baseSequence} in a record batch with producer id ${h.producerId}` };
  }
  return undefined;
}

/**
 * Kafka's `UnifiedLog.append` after the validator: a batch that cannot fit a segment
 * (`RecordBatchTooLargeException`, RECORD_LIST_TOO_LARGE), checked last, on the bytes
 * that would be written (after a `compression.type` conversion).
 */
export function segmentProblem(batch: { readonly size: number }, segmentBytes: number): BatchProblem | undefined {
  const size = batch.size;
  return size > segmentBytes ? { errorCode: 'RECORD_LIST_TOO_LARGE', message: `a record batch of ${size} bytes is over the topic's segment.bytes (${segmentBytes})` } : undefined;
}

/**
 * Whether any batch of `records` is transactional: Kafka's `RequestUtils.hasTransactionalRecords`,
 * which its `KafkaApis` checks before anything else of a Produce. A broker that serves no
 * transactional id (Tributary's: the transaction APIs are not served) answers every
 * partition of such a request TRANSACTIONAL_ID_AUTHORIZATION_FAILED, Kafka's answer to a
 * transactional batch whose transactional id is missing or not authorized, and appends
 * nothing of it. Walks the batch lengths only; stops at the first that does not fit (the
 * structure pass refuses those).
 */
export function hasTransactionalBatch(records: Uint8Array | null): boolean {
  if (records === null) return false;
  // Byte by byte, no view object: this runs on every partition of every produce. The
  // attributes are a big-endian int16 whose low byte holds the transactional bit.
  for (let pos = 0; pos + positions.attributes + 2 <= records.length; ) {
    if ((records[pos + positions.attributes + 1]! & attributeBits.transactional) !== 0) return true;
    const at = pos + positions.batchLength;
    const length = ((records[at]! << 24) | (records[at + 1]! << 16) | (records[at + 2]! << 8) | records[at + 3]!) >>> 0;
    if (length === 0 || length > records.length) return false;
    pos += length + batchLogOverheadBytes;
  }
  return false;
}

/** What a Produce with a transactional batch is answered, on every partition. */
export const transactionalProduceMessage = 'a transactional batch needs a transactional id this broker serves: Tributary does not serve transactions yet (the transaction APIs 24-28)';

/** The topic settings {@link timestampProblem} reads. */
export interface TimestampRules {
  readonly messageTimestampType: string;
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
}

/** Whether a batch's header claims LogAppendTime (attribute bit 3). */
export function claimsLogAppendTime(h: BatchHeader): boolean {
  return (h.attributes & attributeBits.timestampType) !== 0;
}

/**
 * Kafka's `LogValidator.validateTimestamp`, run for every record of a produced batch
 * (`batch` at `bytes`; `nowMs` the broker's wall clock, absent for the group
 * coordinator's own writes, whose time is not checked). A record's timestamp is, as
 * Kafka's reader gives it, the batch's base timestamp plus the record's delta, or the
 * batch's max timestamp for every record of a batch that claims LogAppendTime. Then:
 *
 * - a CreateTime topic: a record whose timestamp (unless -1, "none") is more than
 *   `message.timestamp.before.max.ms` before `nowMs` or more than `after.max.ms` after
 *   it is refused;
 * - a batch that claims LogAppendTime is refused, every record of it, on a LogAppendTime
 *   topic, or on a CreateTime topic when its max timestamp is -1. On a CreateTime topic
 *   with a max timestamp in range Kafka takes it, as a CreateTime batch
 *   ({@link asCreateTimeBatch}).
 *
 * The answer is INVALID_TIMESTAMP with one `record_errors` entry per refused record (its
 * index in the batch), as Kafka's `RecordValidationException` gives, and nothing of the
 * batch is appended. Kafka's per-record error texts are its own; these say the same in
 * other words.
 *
 * **What is read.** The records are walked only when the header cannot decide: when
 * `before.max.ms` is bounded (the header holds the first and the largest timestamp, not
 * the smallest: a producer may send records in any time order), or when the header's
 * first or largest timestamp is out of range (to name the records). Otherwise the
 * header's max timestamp, which every Kafka client computes from its records, stands for
 * them all: with `before.max.ms` unbounded (the default) only the largest timestamp can
 * be out of range. Why: the walk of a compressed batch is a decompression, on every
 * produce under Kafka 4.0's default `after.max.ms` of one hour. Kafka computes the max
 * timestamp itself; a hand-made batch whose header understates its records' largest
 * timestamp passes here where Kafka refuses it.
 */
export function timestampProblem(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array, nowMs: number | undefined, c: TimestampRules): BatchProblem | undefined {
  const h = batch.header;
  const logAppendClaim = claimsLogAppendTime(h);
  if (c.messageTimestampType !== 'CreateTime') {
    return logAppendClaim ? everyRecord(batch, bytes, 'a producer may not set the timestamp type to LogAppendTime: the broker stamps it') : undefined;
  }
  if (logAppendClaim && h.maxTimestamp === -1) return everyRecord(batch, bytes, 'a batch that claims LogAppendTime must carry a timestamp');
  if (nowMs === undefined) return undefined;
  const before = c.messageTimestampBeforeMaxMs;
  const after = c.messageTimestampAfterMaxMs;
  // Unbounded both ways (Kafka 3.x's defaults): nothing to check. No closure or object on
  // the way through: this runs on every produce to a CreateTime topic.
  if (before >= Number.MAX_SAFE_INTEGER && after >= Number.MAX_SAFE_INTEGER) return undefined;
  const max = h.maxTimestamp;
  const base = logAppendClaim ? max : h.baseTimestamp;
  const headerOut = (max >= 0 && (nowMs - max > before || max - nowMs > after)) || (base >= 0 && (nowMs - base > before || base - nowMs > after));
  if (!headerOut && before >= Number.MAX_SAFE_INTEGER) return undefined;
  const low = Math.max(0, nowMs - before);
  const high = Math.min(Number.MAX_SAFE_INTEGER, nowMs + after);
  let timestamps: number[];
  try {
    timestamps = recordTimestamps(batch, bytes);
  } catch (err) {
    if (isTributaryError(err)) return { errorCode: err.code, message: err.message };
    throw err;
  }
  let errors: RecordError[] | undefined;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (t === -1 || (nowMs - t <= before && t - nowMs <= after)) continue;
    (errors ??= []).push({ batchIndex: i, batchIndexErrorMessage: `record ${i} has timestamp ${t}, outside [${low}, ${high}] (message.timestamp.before.max.ms and after.max.ms around the broker's clock)` });
  }
  if (errors === undefined) return undefined;
  return { errorCode: 'INVALID_TIMESTAMP', message: `${errors.length} of ${timestamps.length} records have a timestamp outside [${low}, ${high}]`, recordErrors: errors };
}

/**
 * INVALID_TIMESTAMP for each record of `batch`, for `why`: the records as decoded, as
 * Kafka's validator walks them (its header's count alone could claim 2^31 records in 61
 * bytes); CORRUPT_MESSAGE when they do not decode.
 */
function everyRecord(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array, why: string): BatchProblem {
  let count: number;
  try {
    count = recordTimestamps(batch, bytes).length;
  } catch (err) {
    if (isTributaryError(err)) return { errorCode: err.code, message: err.message };
    throw err;
  }
  const recordErrors: RecordError[] = [];
  for (let i = 0; i < count; i++) recordErrors.push({ batchIndex: i, batchIndexErrorMessage: why });
  return { errorCode: 'INVALID_TIMESTAMP', message: why, recordErrors };
}

/** Each record's timestamp as Kafka's reader gives it; throws CORRUPT_MESSAGE for records that do not decode. */
function recordTimestamps(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array): number[] {
  const buf = asBuffer(bytes);
  const section = buf.subarray(batch.position + batchHeaderBytes, batch.position + batch.size);
  const compression = compressionOf(batch.header.attributes);
  let body: Buffer;
  try {
    body = compression === 'none' ? section : decompressSync(compression, section);
  } catch (cause) {
    if (isTributaryError(cause)) throw cause;
    throw new TributaryError('CORRUPT_MESSAGE', `a ${compression} batch cannot be decompressed: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
  return decodeRecordsSection(body, batch.header).map((r) => r.timestamp);
}

/**
 * A copy of the one checked batch of `validated` as a CreateTime batch (attribute bit 3
 * cleared, the CRC computed again), checked again under `rules`: what Kafka stores for
 * a producer's batch that claims LogAppendTime on a CreateTime topic and passes
 * {@link timestampProblem} (its `assignOffsetsNonCompressed` sets the topic's timestamp
 * type, and the records' largest timestamp, which for such a batch is its max
 * timestamp). A copy: the caller's bytes may be a client's own buffer in this process.
 */
export function asCreateTimeBatch(validated: ValidatedBatches, rules: ValidationRules): ValidatedBatches {
  const { position, size } = validated.batches[0]!;
  const copy = Buffer.from(validated.bytes.subarray(position, position + size));
  copy.writeInt16BE(copy.readInt16BE(positions.attributes) & ~attributeBits.timestampType, positions.attributes);
  copy.writeUInt32BE(crc32c(copy, crcStartPosition, size), positions.crc);
  const checked = validateBatches(copy, rules);
  assert(checked.ok, 'a checked batch with one attribute bit cleared and its CRC recomputed checks again');
  return checked.value;
}

/**
 * A leader's validation rules depend on its log config alone (no log end): made once per
 * config object and CRC choice, and shared by every partition whose log has that config
 * (the logs of one topic share one frozen `LogConfig`). Why shared, not kept per partition
 * as before: with keyed records over 10,000 partitions every batch holds one record, and
 * a per-partition array and object pair were two more cold cache lines a batch; one
 * topic's rules stay in the cache. Literals, not spreads: a spread's result got a hidden
 * class of its own, and the validator's property reads went megamorphic.
 */
const leaderRulesByConfig = new WeakMap<object, readonly ValidationRules[]>();
let lastRulesConfig: object | undefined;
let lastRules: readonly ValidationRules[] = [];
export function leaderRulesFor(c: PartitionLog['config']): readonly ValidationRules[] {
  if (c === lastRulesConfig) return lastRules;
  let rules = leaderRulesByConfig.get(c);
  if (rules === undefined) {
    const keysRequired = c.cleanupPolicy !== 'delete';
    rules = [false, true].map((verifyCrc) => ({ assignOffsets: true, nextOffset: -1, maxMessageBytes: c.maxMessageBytes, keysRequired, verifyCrc }));
    leaderRulesByConfig.set(c, rules);
  }
  lastRulesConfig = c;
  lastRules = rules;
  return rules;
}
