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
 * - a batch larger than `segment.bytes`: RECORD_LIST_TOO_LARGE (checked after a
 *   `compression.type` conversion, on the bytes that would be written);
 * - a batch that claims LogAppendTime: INVALID_TIMESTAMP ("Producer should not set
 *   timestamp type to LogAppendTime").
 *
 * Pure, and cheap: the first batch's magic byte before the structure pass, then the
 * header fields that pass already read.
 * @internal
 */
import { attributeBits, batchLogOverheadBytes, positions, type BatchHeader } from '../record/batch.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { ValidationRules } from '../storage/log-validator.js';
import type { ErrorCode } from '../util/error-codes.js';

export interface BatchProblem {
  readonly errorCode: ErrorCode;
  readonly message: string;
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

/** Kafka's answer to the checked batches of one partition of a produce, or undefined if it takes them. */
export function leaderBatchProblem(batches: readonly { readonly size: number; readonly header: BatchHeader }[], segmentBytes: number): BatchProblem | undefined {
  if (batches.length !== 1) {
    return { errorCode: 'INVALID_RECORD', message: `a produce may hold exactly one record batch per partition, got ${batches.length}` };
  }
  // Kafka's UnifiedLog.append: a batch that cannot fit a segment (RecordBatchTooLargeException).
  const size = batches[0]!.size;
  if (size > segmentBytes) return { errorCode: 'RECORD_LIST_TOO_LARGE', message: `a record batch of ${size} bytes is over the topic's segment.bytes (${segmentBytes})` };
  const h = batches[0]!.header;
  if (h.baseOffset !== 0) return { errorCode: 'INVALID_RECORD', message: `the base offset of a produced record batch must be 0, got ${h.baseOffset}` };
  if ((h.attributes & attributeBits.control) !== 0) return { errorCode: 'INVALID_RECORD', message: 'clients may not write control records' };
  if (h.producerId >= 0 && h.baseSequence < 0) {
    return { errorCode: 'INVALID_RECORD', message: `invalid sequence number ${h.baseSequence} in a record batch with producer id ${h.producerId}` };
  }
  if ((h.attributes & attributeBits.timestampType) !== 0) {
    return { errorCode: 'INVALID_TIMESTAMP', message: 'a producer may not set the timestamp type to LogAppendTime (the broker does, for a LogAppendTime topic)' };
  }
  return undefined;
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

/**
 * Kafka's `LogValidator.validateTimestamp` for a CreateTime topic: a record whose timestamp
 * is more than `message.timestamp.before.max.ms` before the broker's clock (`nowMs`) or
 * more than `after.max.ms` after it is INVALID_TIMESTAMP, and nothing of the batch is
 * appended. A LogAppendTime topic takes any timestamp (the broker stamps its own).
 *
 * Checked on the batch header's first and largest timestamps, not on every record as
 * Kafka does: those are the bounds of every record a Kafka client writes (the first
 * record's timestamp is the base, and the producer computes the largest), and reading them
 * costs nothing, where every record's would cost a walk of every record of every produce
 * (and a decompression of a compressed batch). A hand-made batch with a record earlier
 * than its first or later than its stated largest can pass here where Kafka refuses it.
 */
export function createTimeProblem(
  h: BatchHeader,
  nowMs: number,
  c: { readonly messageTimestampType: string; readonly messageTimestampBeforeMaxMs: number; readonly messageTimestampAfterMaxMs: number },
): BatchProblem | undefined {
  if (c.messageTimestampType !== 'CreateTime') return undefined;
  const before = c.messageTimestampBeforeMaxMs;
  const after = c.messageTimestampAfterMaxMs;
  // Unbounded both ways (Kafka 3.x's defaults): nothing to check.
  if (before >= Number.MAX_SAFE_INTEGER && after >= Number.MAX_SAFE_INTEGER) return undefined;
  // No closure or object on the way through: this runs on every produce to a CreateTime topic.
  const max = h.maxTimestamp;
  // The base timestamp is the delete horizon in a batch with that bit (compaction's, never a producer's).
  const base = (h.attributes & attributeBits.deleteHorizon) === 0 ? h.baseTimestamp : -1;
  let bad: number;
  if (max >= 0 && (nowMs - max > before || max - nowMs > after)) bad = max;
  else if (base >= 0 && (nowMs - base > before || base - nowMs > after)) bad = base;
  else return undefined;
  return {
    errorCode: 'INVALID_TIMESTAMP',
    message: `timestamp ${bad} is out of range: message.timestamp.before.max.ms and after.max.ms allow [${Math.max(0, nowMs - before)}, ${Math.min(Number.MAX_SAFE_INTEGER, nowMs + after)}]`,
  };
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
