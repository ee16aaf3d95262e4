import type { ErrorCode } from '../../protocol/common.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData, TopicProduceResponse } from '../../protocol/produce.js';
import { errorCodes } from '../../util/error-codes.js';

/**
 * Produce requests and their answers cross a port as flat arrays instead of nested
 * objects (`pq` and `pr` in the port's messages), packed by one side and rebuilt by the
 * other into the same `ProduceRequest` and `ProduceResponse` objects.
 *
 * Why: a structured clone of an object writes each property's name, and reading it back
 * looks every name up in the isolate's string table and walks the map transitions of
 * each object it makes; a flat array of numbers and strings carries only the values.
 * Measured on this machine (`bench/results/2026-12-07h-workerp.md`): a Produce answer of
 * three partitions, posted and received in one thread, 9-14 µs as objects and 2.6-2.7 µs
 * packed; a producer in a worker sends about three requests and gets three answers a call
 * of 1,000 records.
 *
 * Only the shapes the client and the broker make are packed; anything else (a field these
 * functions do not know, a `recordErrors` list) crosses as the object it is, so nothing is
 * ever lost in packing. What arrives packed is checked value by value before it is
 * rebuilt: a packed request that does not unpack is refused with `INVALID_REQUEST`.
 * @internal
 */

/** The slots of one partition in a packed answer: index, error code, base offset, log append time, log start offset, error message (`false`: none). */
const ANSWER_SLOTS = 6;

/** `res` as a flat array, or undefined when it is not the plain shape this packs (it then crosses as an object). */
export function packProduceAnswer(res: unknown): unknown[] | undefined {
  const r = res as ProduceResponse;
  if (r === null || typeof r !== 'object' || r.apiKey !== ApiKey.Produce || !Array.isArray(r.responses)) return undefined;
  const keys = Object.keys(r).length;
  const throttle = r.throttleTimeMs;
  if (keys !== (throttle === undefined ? 2 : 3) || (throttle !== undefined && typeof throttle !== 'number')) return undefined;
  const out: unknown[] = [throttle ?? false, r.responses.length];
  for (const t of r.responses) {
    if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || !Array.isArray(t.partitionResponses) || Object.keys(t).length !== 2) return undefined;
    out.push(t.name, t.partitionResponses.length);
    for (const p of t.partitionResponses) {
      if (p === null || typeof p !== 'object') return undefined;
      const n = Object.keys(p).length;
      const msg = p.errorMessage;
      if (n !== (msg === undefined ? 5 : 6) || (msg !== undefined && msg !== null && typeof msg !== 'string')) return undefined;
      if (typeof p.index !== 'number' || typeof p.errorCode !== 'string' || typeof p.baseOffset !== 'number' || typeof p.logAppendTimeMs !== 'number' || typeof p.logStartOffset !== 'number') return undefined;
      out.push(p.index, p.errorCode, p.baseOffset, p.logAppendTimeMs, p.logStartOffset, msg === undefined ? false : msg);
    }
  }
  return out;
}

/** The `ProduceResponse` a packed answer carries, or undefined when `packed` is not one. */
export function unpackProduceAnswer(packed: unknown): ProduceResponse | undefined {
  if (!Array.isArray(packed)) return undefined;
  const a = packed as unknown[];
  let i = 0;
  const throttle = a[i++];
  const topics = a[i++];
  if ((throttle !== false && typeof throttle !== 'number') || !isCount(topics)) return undefined;
  const responses: TopicProduceResponse[] = [];
  for (let k = 0; k < topics; k++) {
    const name = a[i++];
    const parts = a[i++];
    if (typeof name !== 'string' || !isCount(parts) || i + parts * ANSWER_SLOTS > a.length) return undefined;
    const partitionResponses: PartitionProduceResponse[] = [];
    for (let j = 0; j < parts; j++) {
      const index = a[i++];
      const errorCode = a[i++];
      const baseOffset = a[i++];
      const logAppendTimeMs = a[i++];
      const logStartOffset = a[i++];
      const msg = a[i++];
      if (typeof index !== 'number' || !isErrorCode(errorCode) || typeof baseOffset !== 'number' || typeof logAppendTimeMs !== 'number' || typeof logStartOffset !== 'number') return undefined;
      if (msg === false) partitionResponses.push({ index, errorCode, baseOffset, logAppendTimeMs, logStartOffset });
      else if (msg === null || typeof msg === 'string') partitionResponses.push({ index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, errorMessage: msg });
      else return undefined;
    }
    responses.push({ name, partitionResponses });
  }
  if (i !== a.length) return undefined;
  return throttle === false ? { apiKey: ApiKey.Produce, responses } : { apiKey: ApiKey.Produce, responses, throttleTimeMs: throttle };
}

/**
 * `req` as a flat array (transactional id, `false` for none given; acks; timeout; then
 * each topic's name and partition count, and each partition's index and records), or
 * undefined when it is not the plain shape this packs. The records stay the caller's
 * arrays: `forTransfer` copies them afterwards, as it does inside an object.
 */
export function packProduceRequest(req: ProduceRequest): unknown[] | undefined {
  const tid = req.transactionalId;
  if (Object.keys(req).length !== (tid === undefined ? 4 : 5) || (tid !== undefined && tid !== null && typeof tid !== 'string')) return undefined;
  if (typeof req.acks !== 'number' || typeof req.timeoutMs !== 'number' || !Array.isArray(req.topicData)) return undefined;
  const out: unknown[] = [tid === undefined ? false : tid, req.acks, req.timeoutMs, req.topicData.length];
  for (const t of req.topicData) {
    if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || !Array.isArray(t.partitionData) || Object.keys(t).length !== 2) return undefined;
    out.push(t.name, t.partitionData.length);
    for (const p of t.partitionData) {
      if (p === null || typeof p !== 'object' || typeof p.index !== 'number' || Object.keys(p).length !== 2) return undefined;
      if (p.records !== null && !(p.records instanceof Uint8Array)) return undefined;
      out.push(p.index, p.records);
    }
  }
  return out;
}

/** The `ProduceRequest` a packed request carries, or undefined when `packed` is not one (from another thread: every value checked). */
export function unpackProduceRequest(packed: unknown): ProduceRequest | undefined {
  if (!Array.isArray(packed)) return undefined;
  const a = packed as unknown[];
  let i = 0;
  const tid = a[i++];
  const acks = a[i++];
  const timeoutMs = a[i++];
  const topics = a[i++];
  if ((tid !== false && tid !== null && typeof tid !== 'string') || typeof acks !== 'number' || typeof timeoutMs !== 'number' || !isCount(topics)) return undefined;
  const topicData: TopicProduceData[] = [];
  for (let k = 0; k < topics; k++) {
    const name = a[i++];
    const parts = a[i++];
    if (typeof name !== 'string' || !isCount(parts) || i + parts * 2 > a.length) return undefined;
    const partitionData: { index: number; records: Uint8Array | null }[] = [];
    for (let j = 0; j < parts; j++) {
      const index = a[i++];
      const records = a[i++];
      if (typeof index !== 'number' || (records !== null && !(records instanceof Uint8Array))) return undefined;
      partitionData.push({ index, records });
    }
    topicData.push({ name, partitionData });
  }
  if (i !== a.length) return undefined;
  return tid === false ? { apiKey: ApiKey.Produce, acks, timeoutMs, topicData } : { apiKey: ApiKey.Produce, transactionalId: tid, acks, timeoutMs, topicData };
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function isErrorCode(c: unknown): c is ErrorCode {
  return typeof c === 'string' && Object.hasOwn(errorCodes, c);
}
