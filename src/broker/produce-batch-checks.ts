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
 * - while its batch reader walks the bytes: a length field below 14 or a magic byte
 *   outside 0-2, CORRUPT_MESSAGE; no whole batch at all;
 * - a batch of message format v0 or v1 ("Produce requests with version N are only allowed
 *   to contain record batches with magic version 2");
 * - a second whole batch for the partition, idempotent or not, compressed or not ("only
 *   allowed to contain exactly one record batch per partition"); partial bytes after the
 *   first batch are dropped (`wholeBatchBytes`), as Kafka's `trimInvalidBytes`;
 * - (at the leader) a base offset other than 0, then a batch over `max.message.bytes`
 *   (MESSAGE_TOO_LARGE), both before the CRC (`beforeCrcProblem`), then the CRC and the
 *   structure (CORRUPT_MESSAGE, `validateBatches`);
 * - an offset span and record count that disagree, a control batch ("Clients are not
 *   allowed to write control records"), a producer id with no base sequence;
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
import { takeAhead } from './decompressed-ahead.js';
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
 * Kafka's `ByteBufferLogInputStream.nextBatch` over `records` from `pos`, the iterator
 * every check of a produce walks: the size of the whole batch there; `endOfBatches` when
 * fewer than 12 bytes remain, fewer than 17 (no magic byte yet) or fewer than the batch's
 * length says (a partial batch is the end of the batches, not an error: Kafka appends the
 * whole batches before it and drops the rest, `UnifiedLog.trimInvalidBytes`); or a
 * CORRUPT_MESSAGE problem for a length field below 14 (`LegacyRecord.RECORD_OVERHEAD_V0`)
 * or a magic byte outside 0-2 (read as Java's signed byte), which Kafka's reader throws.
 */
export function nextBatchSize(records: Uint8Array, pos: number): number | BatchProblem {
  const remaining = records.length - pos;
  if (remaining < batchLogOverheadBytes) return endOfBatches;
  const at = pos + positions.batchLength;
  const length = (records[at]! << 24) | (records[at + 1]! << 16) | (records[at + 2]! << 8) | records[at + 3]!;
  if (length < recordOverheadV0Bytes) return { errorCode: 'CORRUPT_MESSAGE', message: `record size ${length} is less than the minimum record overhead (${recordOverheadV0Bytes})` };
  if (remaining < positions.magic + 1) return endOfBatches;
  const magic = records[pos + positions.magic]!;
  if (magic > 2) return { errorCode: 'CORRUPT_MESSAGE', message: `invalid magic found in record: ${magic > 127 ? magic - 256 : magic}` };
  const size = length + batchLogOverheadBytes;
  return remaining < size ? endOfBatches : size;
}

/** {@link nextBatchSize}: no whole batch from there on. */
export const endOfBatches = -1;
/** Kafka's `LegacyRecord.RECORD_OVERHEAD_V0`: the smallest length field its batch reader takes. */
const recordOverheadV0Bytes = 14;

/**
 * Kafka's `ProduceRequest.validateRecords`, which its `KafkaApis` runs on each partition
 * of a Produce whose topic and partition exist, before anything else of the partition
 * (before the internal-topic check, leadership and the log's own validation), walking the
 * batches as Kafka's reader does ({@link nextBatchSize}): a length below 14 or a magic
 * byte outside 0-2 (CORRUPT_MESSAGE), no whole batch at all (INVALID_RECORD), a first
 * batch of message format v0/v1 (INVALID_RECORD), a zstd batch in a Produce below v7
 * (UNSUPPORTED_COMPRESSION_TYPE, KIP-110: a client that speaks only v3-v6 cannot know
 * zstd), and a second whole batch (INVALID_RECORD). Bytes after the first batch that are
 * not a whole batch are no problem here: {@link wholeBatchBytes} drops them, as Kafka does.
 * `apiVersion`: the Produce version from the wire, undefined for a request from a client
 * in this process (the newest). Reads the first batch's magic and attributes and the
 * second batch's length and magic only; the leader checks the rest.
 */
export function produceRequestProblem(records: Uint8Array | null, apiVersion: number | undefined): BatchProblem | undefined {
  if (records === null || records.length === 0) return noBatch;
  const first = nextBatchSize(records, 0);
  if (typeof first !== 'number') return first;
  if (first === endOfBatches) return noBatch;
  const legacy = legacyMagicProblem(records);
  if (legacy !== undefined) return legacy;
  if (apiVersion !== undefined && apiVersion < 7 && (records[positions.attributes + 1]! & attributeBits.compressionMask) === 4) {
    return { errorCode: 'UNSUPPORTED_COMPRESSION_TYPE', message: `a Produce of version ${apiVersion} may not carry zstd batches (Produce v7+ only)` };
  }
  const second = nextBatchSize(records, first);
  if (typeof second !== 'number') return second;
  if (second !== endOfBatches) return { errorCode: 'INVALID_RECORD', message: 'a produce may hold exactly one record batch per partition, got more' };
  return undefined;
}

/**
 * The bytes of a produced partition that Kafka appends, for records that passed
 * {@link produceRequestProblem}: the first batch, without whatever partial bytes follow
 * it (Kafka's `analyzeAndValidateRecords` counts `validBytes` over the whole batches its
 * reader yields, and `trimInvalidBytes` cuts the rest). The same array when nothing follows.
 */
export function wholeBatchBytes(records: Uint8Array): Uint8Array {
  const first = nextBatchSize(records, 0);
  return typeof first === 'number' && first > 0 && first < records.length ? records.subarray(0, first) : records;
}

/**
 * What Kafka's `UnifiedLog.analyzeAndValidateRecords` refuses of a client's batch before
 * its CRC: a base offset other than 0 (INVALID_RECORD), then a batch over
 * `max.message.bytes` (MESSAGE_TOO_LARGE); only then `isValid` (the CRC, CORRUPT_MESSAGE).
 * So a batch with a bad CRC and a base offset of 5 is INVALID_RECORD, as in Kafka.
 * Undefined when `records` holds no whole batch to judge (the structure pass answers).
 */
export function beforeCrcProblem(records: Uint8Array, maxMessageBytes: number): BatchProblem | undefined {
  const size = nextBatchSize(records, 0);
  if (typeof size !== 'number' || size === endOfBatches) return undefined;
  const buf = asBuffer(records);
  const baseOffset = buf.readBigInt64BE(positions.baseOffset);
  if (baseOffset !== 0n) return { errorCode: 'INVALID_RECORD', message: `the base offset of a produced record batch must be 0, got ${baseOffset}` };
  if (size > maxMessageBytes) return { errorCode: 'MESSAGE_TOO_LARGE', message: `a batch of ${size} bytes is over max.message.bytes (${maxMessageBytes}): raise the topic's max.message.bytes, or send smaller batches` };
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
 *   ({@link asStoredBatch}).
 *
 * The answer is INVALID_TIMESTAMP with one `record_errors` entry per refused record (its
 * index in the batch), as Kafka's `RecordValidationException` gives, and nothing of the
 * batch is appended. Kafka's per-record error texts are its own; these say the same in
 * other words.
 *
 * **What is read.** Every record's timestamp of every batch a CreateTime topic takes,
 * as Kafka's validator reads them, whatever the bounds (unbounded both ways, Kafka 3.x's
 * defaults, the records' largest timestamp still goes into the stored header) and the
 * codec (Kafka decompresses every compressed batch): a hand-made batch whose header
 * understates its records' largest timestamp is refused or corrected as Kafka does. The
 * walk reads each record's length and timestamp delta and skips the rest (no object a
 * record): about 20 ns a record uncompressed (bench/results/2026-12-07k-edges.md); a
 * compressed batch is decompressed first (bench/results/2026-12-08a-wire.md for the
 * cost). `seen.maxTimestamp` gets the records' largest timestamp (-1 for none), which
 * Kafka writes into the stored batch's header (`setMaxTimestamp`); for a `trusted` batch
 * whose records were not read, the header's.
 */
export function timestampProblem(
  batch: { readonly position: number; readonly size: number; readonly header: BatchHeader },
  bytes: Uint8Array,
  nowMs: number | undefined,
  c: TimestampRules,
  seen: { maxTimestamp: number } = { maxTimestamp: -1 },
  trusted = false,
): BatchProblem | undefined {
  const h = batch.header;
  seen.maxTimestamp = h.maxTimestamp;
  const logAppendClaim = claimsLogAppendTime(h);
  if (c.messageTimestampType !== 'CreateTime') {
    return logAppendClaim ? everyRecord(batch, bytes, 'a producer may not set the timestamp type to LogAppendTime: the broker stamps it') : undefined;
  }
  if (logAppendClaim && h.maxTimestamp === -1) return everyRecord(batch, bytes, 'a batch that claims LogAppendTime must carry a timestamp');
  if (nowMs === undefined) return undefined;
  const before = c.messageTimestampBeforeMaxMs;
  const after = c.messageTimestampAfterMaxMs;
  // Every record is read, whatever the bounds and the codec: Kafka's validator walks every
  // record of every batch (`assignOffsetsNonCompressed`, and the compressed path, which
  // decompresses) and writes the records' largest timestamp into the stored header, even
  // when no bound applies (Kafka 3.x's defaults) and the header was in range.
  // Except a batch a Producer in this thread built and checksummed (`trusted`: the mark of
  // record/checksummed-here.ts, which nothing from outside the library carries): its
  // header's max timestamp is its records' largest by construction (record/batch.ts), so
  // the header decides wherever the smallest timestamp is not needed (`before.max.ms`
  // unbounded, Kafka's default): no walk of the records, and no decompression of a
  // compressed batch to learn what its header says (bench/results/2026-12-08a-wire.md).
  if (trusted && !logAppendClaim && before >= Number.MAX_SAFE_INTEGER) {
    if (after >= Number.MAX_SAFE_INTEGER) return undefined;
    if (!(h.maxTimestamp >= 0 && h.maxTimestamp - nowMs > after)) return undefined;
  }
  let count: number;
  try {
    count = walkTimestamps(batch, bytes);
  } catch (err) {
    if (isTributaryError(err)) return { errorCode: err.code, message: err.message };
    throw err;
  }
  const timestamps = stampScratch;
  let errors: RecordError[] | undefined;
  let max = -1;
  for (let i = 0; i < count; i++) {
    const t = timestamps[i]!;
    if (t > max) max = t;
    if (t === -1 || (nowMs - t <= before && t - nowMs <= after)) continue;
    (errors ??= []).push({ batchIndex: i, batchIndexErrorMessage: null });
  }
  if (!logAppendClaim) seen.maxTimestamp = max;
  if (errors === undefined) return undefined;
  const low = Math.max(0, nowMs - before);
  const high = Math.min(Number.MAX_SAFE_INTEGER, nowMs + after);
  for (const e of errors) (e as { batchIndexErrorMessage: string | null }).batchIndexErrorMessage = `record ${e.batchIndex} has timestamp ${timestamps[e.batchIndex]}, outside [${low}, ${high}] (message.timestamp.before.max.ms and after.max.ms around the broker's clock)`;
  return { errorCode: 'INVALID_TIMESTAMP', message: `${errors.length} of ${count} records have a timestamp outside [${low}, ${high}]`, recordErrors: errors };
}

/**
 * The records' timestamps of the last {@link walkTimestamps}, reused from one batch to the
 * next (a produce's check is synchronous), grown to the largest batch's record count.
 */
let stampScratch = new Float64Array(256);

/**
 * Reads each record's timestamp of `batch` into {@link stampScratch} and returns the
 * record count: each record's length, attributes and timestamp delta, the rest skipped.
 * Throws CORRUPT_MESSAGE for records that do not parse (a length past the end, an overlong
 * varint, fewer or more bytes than the header's count of records), or that do not
 * decompress.
 */
function walkTimestamps(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array): number {
  const h = batch.header;
  const body = recordsBody(batch, bytes);
  const count = h.recordCount;
  // Checked before anything is sized: a record is at least 7 bytes.
  if (count < 0 || count > body.length / 7) throw corruptRecords(`${count} records cannot fit in ${body.length} bytes`);
  if (stampScratch.length < count) stampScratch = new Float64Array(Math.max(count, stampScratch.length * 2));
  const logAppend = claimsLogAppendTime(h);
  const base = h.baseTimestamp;
  const end = body.length;
  // By hand, not through a ByteReader: this runs on every produced record (a record is
  // its zig-zag varint length, an attributes byte, then a zig-zag varlong timestamp delta).
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let raw = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= end || shift > 28) throw corruptRecords(`record ${i} has a bad length`);
      b = body[pos++]!;
      raw |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    const length = (raw >>> 1) ^ -(raw & 1);
    if (length < 6 || length > end - pos) throw corruptRecords(`record ${i} has a bad length ${length}`);
    const recordEnd = pos + length;
    pos++; // attributes
    let lo = 0;
    let mul = 1;
    do {
      if (pos >= recordEnd || mul > 2 ** 63) throw corruptRecords(`record ${i} has a bad timestamp delta`);
      b = body[pos++]!;
      lo += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    // Zig-zag: even is positive, odd negative (exact within 2^53, which every timestamp is).
    const delta = lo % 2 === 0 ? lo / 2 : -(lo + 1) / 2;
    stampScratch[i] = logAppend ? h.maxTimestamp : base + delta;
    pos = recordEnd;
  }
  if (pos !== end) throw corruptRecords(`${end - pos} bytes follow the batch's ${count} records`);
  return count;
}

const corruptRecords = (why: string): TributaryError => new TributaryError('CORRUPT_MESSAGE', `corrupt record batch: ${why}`);

/** The records section of `batch`, decompressed; CORRUPT_MESSAGE when it does not decompress. */
function recordsBody(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array): Buffer {
  const section = asBuffer(bytes).subarray(batch.position + batchHeaderBytes, batch.position + batch.size);
  const compression = compressionOf(batch.header.attributes);
  if (compression === 'none') return section;
  const ahead = compression === 'zstd' ? takeAhead(bytes, batch.position, batch.header.crc) : undefined;
  if (ahead !== undefined) return ahead;
  try {
    return decompressSync(compression, section);
  } catch (cause) {
    if (isTributaryError(cause)) throw cause;
    throw new TributaryError('CORRUPT_MESSAGE', `a ${compression} batch cannot be decompressed: ${String((cause as Error)?.message ?? cause)}`, { cause });
  }
}

/**
 * INVALID_TIMESTAMP for each record of `batch`, for `why`: the records as decoded, as
 * Kafka's validator walks them (its header's count alone could claim 2^31 records in 61
 * bytes); CORRUPT_MESSAGE when they do not decode.
 */
function everyRecord(batch: { readonly position: number; readonly size: number; readonly header: BatchHeader }, bytes: Uint8Array, why: string): BatchProblem {
  let count: number;
  try {
    count = decodeRecordsSection(recordsBody(batch, bytes), batch.header).length;
  } catch (err) {
    if (isTributaryError(err)) return { errorCode: err.code, message: err.message };
    throw err;
  }
  const recordErrors: RecordError[] = [];
  for (let i = 0; i < count; i++) recordErrors.push({ batchIndex: i, batchIndexErrorMessage: why });
  return { errorCode: 'INVALID_TIMESTAMP', message: why, recordErrors };
}

/**
 * A copy of the one checked batch of `validated` as Kafka stores it on a CreateTime topic,
 * checked again under `rules`: a CreateTime batch (attribute bit 3 cleared: Kafka's
 * `assignOffsetsNonCompressed` sets the topic's timestamp type on a batch that claimed
 * LogAppendTime and passed {@link timestampProblem}) whose max timestamp is
 * `maxTimestamp`, the records' largest (`setMaxTimestamp`: a header that understated or
 * overstated it is corrected), with the CRC computed again. A copy: the caller's bytes may
 * be a client's own buffer in this process. Only for a batch that needs it (rare: every
 * Kafka client writes the true max timestamp and CreateTime).
 */
export function asStoredBatch(validated: ValidatedBatches, rules: ValidationRules, maxTimestamp: number): ValidatedBatches {
  const { position, size } = validated.batches[0]!;
  const copy = Buffer.from(validated.bytes.subarray(position, position + size));
  copy.writeInt16BE(copy.readInt16BE(positions.attributes) & ~attributeBits.timestampType, positions.attributes);
  copy.writeBigInt64BE(BigInt(maxTimestamp), positions.maxTimestamp);
  copy.writeUInt32BE(crc32c(copy, crcStartPosition, size), positions.crc);
  const checked = validateBatches(copy, rules);
  assert(checked.ok, 'a checked batch with its timestamp type and max timestamp set and its CRC recomputed checks again');
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
