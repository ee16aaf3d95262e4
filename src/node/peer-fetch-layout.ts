/**
 * The replica Fetch between two node workers as a fixed binary layout: the request and its
 * answer each one byte buffer, fixed-width fields read and written with a `DataView`, the
 * answer's record batches after its header. Used only by `peer-fetch.ts`, on the node ports
 * of a `'per-node'` cluster.
 *
 * **Why a layout and not objects or Kafka's bytes.** As typed objects (session 8) each
 * round cost the port a structured clone of an object graph at both ends: V8's
 * `ValueDeserializer::ReadJSObjectProperties` alone was half of every receive, about 5 us
 * a message (bench/results/2026-12-07i-pernode-account.md). As Kafka frames (before) the
 * codec's plan, varints and tagged fields cost about 20 us a round. Here a request is a
 * few hundred bytes written and read field by field, and the answer one buffer that the
 * port transfers whole: the clone sees one typed array, never a nested object.
 *
 * **Numbers.** Little-endian. INT16 and INT32 fields are `DataView` integers. INT64 fields
 * (offsets) are written as float64: a JavaScript number is one already, every offset this
 * library holds is a safe integer, and a float64 costs one load where an int64 costs a
 * `BigInt` or two halves put together; the reader refuses any value that is not a safe
 * integer (a `NaN`, a fraction, an infinity). Strings are an INT16 byte length (-1: null)
 * then UTF-8. Error codes cross as Kafka's numbers and must be in the table.
 *
 * **Request** (`PFQ1`):
 * ```
 *   0 u32 magic   4 i16 apiVersion   6 i16 isolationLevel   8 i32 correlationId
 *  12 i32 replicaId  16 i32 maxWaitMs  20 i32 minBytes  24 i32 maxBytes
 *  28 i32 sessionId  32 i32 sessionEpoch  36 i32 topic count
 *  40 string clientId, string rackId, string clusterId (nullable)
 *     per topic: string name, i32 partition count, per partition 32 bytes:
 *       i32 partition, i32 currentLeaderEpoch, f64 fetchOffset,
 *       i32 lastFetchedEpoch, i32 partitionMaxBytes, f64 logStartOffset
 *     i32 forgotten topic count, per topic: string name, i32 count, i32 partition each
 * ```
 * Optional request fields cross with Kafka's defaults (-1 epochs and log start, session 0
 * and -1, rack '', cluster id null), as a decoded frame had them.
 *
 * **Answer** (`PFA1`):
 * ```
 *   0 u32 magic   4 i32 records bytes (all batches, at the end of the buffer)
 *   8 i16 errorCode  10 i16 flags (1: every batch is leader-checked)
 *  12 i32 sessionId  16 i32 throttleTimeMs  20 i32 topic count
 *  24 per topic: string name, i32 partition count, per partition 40 bytes:
 *       i32 partitionIndex, i16 errorCode, i16 flags (1 divergingEpoch, 2 currentLeader,
 *       4 snapshotId, 8 records not null, 16 abortedTransactions not null),
 *       f64 highWatermark, f64 lastStableOffset, f64 logStartOffset,
 *       i32 preferredReadReplica, i32 records length
 *     then as flagged: i32 epoch, f64 endOffset | i32 leaderId, i32 leaderEpoch |
 *       f64 endOffset, i32 epoch | i32 count, per transaction f64 producerId, f64 firstOffset
 *  the record batches, back to back, in partition order, to the end of the buffer
 * ```
 * The header must end exactly where the batches begin and the partitions' lengths must sum
 * to the records bytes: no byte of the buffer is unaccounted for.
 *
 * **Hostile input.** Every count, length and offset is checked against what is left of
 * the buffer before it is used (a count is bounded by the bytes its items need, so a huge
 * count allocates nothing), every INT64 is a safe integer, every error code and flag
 * known: anything else is a `TributaryError` with the reader's code (`INVALID_REQUEST` at
 * the leader, `CORRUPT_MESSAGE` at the follower), never another exception.
 * @internal
 */
import type * as P from '../protocol/index.js';
import type { ErrorCode } from '../protocol/common.js';
import { errorCodes, knownErrorCode } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';

export const requestMagic = 0x3151_4650; // 'PFQ1' little-endian
export const answerMagic = 0x3141_4650; // 'PFA1' little-endian

/** Bytes of the request's fixed header, of one requested partition, of the answer's header, of one answered partition's fixed part. */
export const requestHeaderBytes = 40;
export const requestPartitionBytes = 32;
export const answerHeaderBytes = 24;
export const answerPartitionBytes = 40;

/** Where the answer's records bytes field sits (read also by bench/workers-probe.cjs). */
export const answerRecordsBytesAt = 4;

/** Answer flags. */
export const answerChecked = 1;
const partDiverging = 1;
const partCurrentLeader = 2;
const partSnapshot = 4;
const partRecords = 8;
const partAborted = 16;
const partFlagsKnown = partDiverging | partCurrentLeader | partSnapshot | partRecords | partAborted;

/** Kafka's number for an error code (a name outside the table is a bug of the sender's own broker). */
function errorNumber(code: ErrorCode): number {
  const info = errorCodes[code];
  if (info === undefined) throw new TributaryError('UNKNOWN_SERVER_ERROR', `no error code ${String(code)} in the table`);
  return info.code;
}

/** UTF-8 bytes of a string, or -1 for null; INVALID_REQUEST past an INT16 length. */
function stringBytes(s: string | null | undefined): number {
  if (s === null || s === undefined) return -1;
  const n = s.length <= 0x7fff && isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
  if (n > 0x7fff) throw new TributaryError('INVALID_REQUEST', 'a string longer than 32767 bytes in a replica fetch');
  return n;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The smallest buffer a request or answer is written into when no buffer came back to
 * reuse (`into`), and the largest one kept to be reused. Why a floor: the buffer of one
 * round carries the next (the follower's next request is written into its last answer's
 * buffer, the leader's answer into its request's), so it must hold a usual answer: at RF 3
 * with calls of 1,000 records an answer is 30-60 KB. Why a ceiling: a follower catching up
 * gets answers of up to its fetch's 10 MiB, and such a buffer is not kept between rounds.
 */
export const roundBufferBytesMin = 64 * 1024;
export const roundBufferBytesMax = 1024 * 1024;

/** Whether `b` may carry the next round: a plain (never shared) `ArrayBuffer` of a size worth keeping. */
export function isRoundBuffer(b: unknown): b is ArrayBuffer {
  return b instanceof ArrayBuffer && b.byteLength >= roundBufferBytesMin && b.byteLength <= roundBufferBytesMax;
}

/**
 * Writes fixed-width fields from the start of a buffer: `into` when it is large enough
 * (a buffer that came back, see `roundBufferBytesMin`), else a fresh one of at least
 * `roundBufferBytesMin`; `bytes` is the view of the `size` bytes written.
 */
export class LayoutWriter {
  readonly bytes: Buffer;
  private readonly view: DataView;
  at = 0;

  constructor(size: number, into?: ArrayBuffer) {
    // Unpooled and whole: the buffer is transferred as it is, and a pooled one would carry its neighbours' bytes.
    const buffer = into !== undefined && into.byteLength >= size ? into : (Buffer.allocUnsafeSlow(size <= roundBufferBytesMax ? Math.max(size, roundBufferBytesMin) : size).buffer as ArrayBuffer);
    this.bytes = Buffer.from(buffer, 0, size);
    this.view = new DataView(buffer, 0, size);
  }

  i16(v: number): void {
    this.view.setInt16(this.at, v, true);
    this.at += 2;
  }

  i32(v: number): void {
    this.view.setInt32(this.at, v, true);
    this.at += 4;
  }

  u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }

  /** An INT64 (a safe integer) as float64. */
  i64(v: number): void {
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }

  /** `n` from `stringBytes(s)`. */
  str(s: string | null | undefined, n: number): void {
    this.i16(n);
    if (n <= 0) return;
    if (n === s!.length) {
      for (let i = 0; i < n; i++) this.bytes[this.at + i] = s!.charCodeAt(i);
    } else {
      this.bytes.write(s!, this.at, n, 'utf8');
    }
    this.at += n;
  }

  copy(b: Uint8Array, to: number): void {
    this.bytes.set(b, to);
  }
}

/** Reads fixed-width fields, each checked against what is left: `code` for anything out of range. */
export class LayoutReader {
  private readonly view: DataView;
  readonly bytes: Buffer;
  at = 0;

  constructor(
    bytes: Uint8Array,
    /** Where the fields end (the answer's batches follow). */
    public end: number,
    private readonly code: ErrorCode,
    private readonly what: string,
  ) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  bad(why: string): TributaryError {
    return new TributaryError(this.code, `${this.what} with ${why}`);
  }

  need(n: number, what: string): void {
    if (this.at + n > this.end) throw this.bad(`${what} past its end (byte ${this.at} + ${n} of ${this.end})`);
  }

  i16(): number {
    this.need(2, 'an INT16');
    const v = this.view.getInt16(this.at, true);
    this.at += 2;
    return v;
  }

  i32(): number {
    this.need(4, 'an INT32');
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }

  u32(): number {
    this.need(4, 'an INT32');
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  i64(what: string): number {
    this.need(8, 'an INT64');
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    if (!Number.isSafeInteger(v)) throw this.bad(`${what} that is not an integer (${v})`);
    return v;
  }

  /** A count of items of at least `itemBytes` each, bounded by what is left. */
  count(itemBytes: number, what: string): number {
    const n = this.i32();
    if (n < 0 || n * itemBytes > this.end - this.at) throw this.bad(`${n} ${what} in ${this.end - this.at} bytes`);
    return n;
  }

  str(what: string): string | null {
    const n = this.i16();
    if (n === -1) return null;
    if (n < 0) throw this.bad(`a ${what} of length ${n}`);
    this.need(n, `a ${what}`);
    const s = this.bytes.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  errorCode(what: string): ErrorCode {
    const n = this.i16();
    const code = knownErrorCode(n);
    if (code === undefined) throw this.bad(`an unknown error code ${n} ${what}`);
    return code;
  }
}

// ---- the request ----

/** The replica Fetch request and its header fields, as `PeerTransport` sends it. */
export interface PeerFetchHeader {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** The request in its layout, written into `into` if it fits: the bytes to post (a view from the start of a buffer). */
export function writePeerFetch(h: PeerFetchHeader, r: P.FetchRequest, into?: ArrayBuffer): Uint8Array {
  const clientIdBytes = stringBytes(h.clientId);
  const rackBytes = stringBytes(r.rackId ?? '');
  const clusterBytes = stringBytes(r.clusterId ?? null);
  const names: number[] = [];
  let size = requestHeaderBytes + 6 + Math.max(0, clientIdBytes) + Math.max(0, rackBytes) + Math.max(0, clusterBytes) + 4;
  for (const t of r.topics) {
    const n = stringBytes(t.topic);
    names.push(n);
    size += 2 + Math.max(0, n) + 4 + t.partitions.length * requestPartitionBytes;
  }
  const forgotten = r.forgottenTopicsData ?? [];
  const forgottenNames: number[] = [];
  for (const t of forgotten) {
    const n = stringBytes(t.topic);
    forgottenNames.push(n);
    size += 2 + Math.max(0, n) + 4 + t.partitions.length * 4;
  }
  const w = new LayoutWriter(size, into);
  w.u32(requestMagic);
  w.i16(h.apiVersion);
  w.i16(r.isolationLevel);
  w.i32(h.correlationId);
  w.i32(r.replicaId);
  w.i32(r.maxWaitMs);
  w.i32(r.minBytes);
  w.i32(r.maxBytes);
  w.i32(r.sessionId ?? 0);
  w.i32(r.sessionEpoch ?? -1);
  w.i32(r.topics.length);
  w.str(h.clientId, clientIdBytes);
  w.str(r.rackId ?? '', rackBytes);
  w.str(r.clusterId ?? null, clusterBytes);
  for (let i = 0; i < r.topics.length; i++) {
    const t = r.topics[i]!;
    w.str(t.topic, names[i]!);
    w.i32(t.partitions.length);
    for (const p of t.partitions) {
      w.i32(p.partition);
      w.i32(p.currentLeaderEpoch ?? -1);
      w.i64(p.fetchOffset);
      w.i32(p.lastFetchedEpoch ?? -1);
      w.i32(p.partitionMaxBytes);
      w.i64(p.logStartOffset ?? -1);
    }
  }
  w.i32(forgotten.length);
  for (let i = 0; i < forgotten.length; i++) {
    const t = forgotten[i]!;
    w.str(t.topic, forgottenNames[i]!);
    w.i32(t.partitions.length);
    for (const p of t.partitions) w.i32(p);
  }
  if (w.at !== size) throw new TributaryError('INVALID_REQUEST', 'a replica fetch whose fields do not fit their layout (a non-integer field?)');
  return w.bytes;
}

/**
 * The request read back: `INVALID_REQUEST` for bytes that are not a whole request in the
 * layout. Ranges of meaning (a partition not negative, an epoch at least -1) are the
 * validator's (`validateRequest`), which the caller runs on the body as on any client's.
 */
export function readPeerFetch(bytes: Uint8Array): { header: PeerFetchHeader; body: P.FetchRequest } {
  const r = new LayoutReader(bytes, bytes.byteLength, 'INVALID_REQUEST', 'a replica fetch from another node');
  if (bytes.byteLength < requestHeaderBytes || r.u32() !== requestMagic) throw r.bad('no request header');
  const apiVersion = r.i16();
  const isolationLevel = r.i16();
  const correlationId = r.i32();
  const replicaId = r.i32();
  const maxWaitMs = r.i32();
  const minBytes = r.i32();
  const maxBytes = r.i32();
  const sessionId = r.i32();
  const sessionEpoch = r.i32();
  const topicCount = r.i32();
  const clientId = r.str('client id');
  const rackId = r.str('rack id');
  const clusterId = r.str('cluster id');
  if (rackId === null) throw r.bad('a null rack id');
  if (topicCount < 0 || topicCount * 6 > r.end - r.at) throw r.bad(`${topicCount} topics in ${r.end - r.at} bytes`);
  const topics: P.FetchTopic[] = [];
  for (let i = 0; i < topicCount; i++) {
    const topic = r.str('topic name');
    if (topic === null) throw r.bad('a null topic name');
    const n = r.count(requestPartitionBytes, 'partitions');
    const partitions: P.FetchPartition[] = [];
    for (let j = 0; j < n; j++) {
      const partition = r.i32();
      const currentLeaderEpoch = r.i32();
      const fetchOffset = r.i64('a fetch offset');
      const lastFetchedEpoch = r.i32();
      const partitionMaxBytes = r.i32();
      const logStartOffset = r.i64('a log start offset');
      partitions.push({ partition, currentLeaderEpoch, fetchOffset, lastFetchedEpoch, logStartOffset, partitionMaxBytes });
    }
    topics.push({ topic, partitions });
  }
  const forgottenCount = r.count(6, 'forgotten topics');
  const forgottenTopicsData: P.ForgottenTopic[] = [];
  for (let i = 0; i < forgottenCount; i++) {
    const topic = r.str('topic name');
    if (topic === null) throw r.bad('a null topic name');
    const n = r.count(4, 'forgotten partitions');
    const partitions: number[] = [];
    for (let j = 0; j < n; j++) partitions.push(r.i32());
    forgottenTopicsData.push({ topic, partitions });
  }
  if (r.at !== bytes.byteLength) throw r.bad(`${bytes.byteLength - r.at} bytes after its last field`);
  const body = { apiKey: 1, replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopicsData, rackId, clusterId } as P.FetchRequest;
  return { header: { apiVersion, correlationId, clientId }, body };
}

// ---- the answer ----

/**
 * The answer in its layout, the batches copied in after the header, written into `into`
 * if it fits (the request's buffer, which came transferred), else into fresh memory: the
 * one copy of the leader's tail this answer makes (the port transfers the buffer).
 */
export function writePeerFetchAnswer(res: P.FetchResponse, checked: boolean, into?: ArrayBuffer): Uint8Array {
  const names: number[] = [];
  let header = answerHeaderBytes;
  let records = 0;
  for (const t of res.responses) {
    const n = stringBytes(t.topic);
    names.push(n);
    header += 2 + Math.max(0, n) + 4;
    for (const p of t.partitions) {
      header += answerPartitionBytes;
      if (p.divergingEpoch) header += 12;
      if (p.currentLeader) header += 8;
      if (p.snapshotId) header += 12;
      if (p.abortedTransactions) header += 4 + 16 * p.abortedTransactions.length;
      records += p.records?.length ?? 0;
    }
  }
  const w = new LayoutWriter(header + records, into);
  w.u32(answerMagic);
  w.i32(records);
  w.i16(errorNumber(res.errorCode));
  w.i16(checked ? answerChecked : 0);
  w.i32(res.sessionId);
  w.i32(res.throttleTimeMs ?? 0);
  w.i32(res.responses.length);
  let recordsAt = header;
  for (let i = 0; i < res.responses.length; i++) {
    const t = res.responses[i]!;
    w.str(t.topic, names[i]!);
    w.i32(t.partitions.length);
    for (const p of t.partitions) {
      const flags = (p.divergingEpoch ? partDiverging : 0) | (p.currentLeader ? partCurrentLeader : 0) | (p.snapshotId ? partSnapshot : 0) | (p.records ? partRecords : 0) | (p.abortedTransactions ? partAborted : 0);
      w.i32(p.partitionIndex);
      w.i16(errorNumber(p.errorCode));
      w.i16(flags);
      w.i64(p.highWatermark);
      w.i64(p.lastStableOffset);
      w.i64(p.logStartOffset);
      w.i32(p.preferredReadReplica);
      const length = p.records?.length ?? 0;
      w.i32(length);
      if (p.divergingEpoch) {
        w.i32(p.divergingEpoch.epoch);
        w.i64(p.divergingEpoch.endOffset);
      }
      if (p.currentLeader) {
        w.i32(p.currentLeader.leaderId);
        w.i32(p.currentLeader.leaderEpoch);
      }
      if (p.snapshotId) {
        w.i64(p.snapshotId.endOffset);
        w.i32(p.snapshotId.epoch);
      }
      if (p.abortedTransactions) {
        w.i32(p.abortedTransactions.length);
        for (const a of p.abortedTransactions) {
          w.i64(a.producerId);
          w.i64(a.firstOffset);
        }
      }
      if (length > 0) {
        w.copy(p.records!, recordsAt);
        recordsAt += length;
      }
    }
  }
  if (w.at !== header) throw new TributaryError('UNKNOWN_SERVER_ERROR', 'a replica fetch answer whose fields do not fit their layout');
  return w.bytes;
}

/**
 * The answer read back: the Fetch response (its batches views of `bytes`, `Buffer`s) and
 * whether the sender marked every batch leader-checked. `CORRUPT_MESSAGE` (naming `from`)
 * for bytes that are not a whole answer in the layout.
 */
export function readPeerFetchAnswer(bytes: Uint8Array, from: string): { body: P.FetchResponse; checked: boolean; batches: Uint8Array[] } {
  const r = new LayoutReader(bytes, bytes.byteLength, 'CORRUPT_MESSAGE', `${from} answered a replica fetch`);
  if (bytes.byteLength < answerHeaderBytes || r.u32() !== answerMagic) throw r.bad('no answer header');
  const recordsBytes = r.i32();
  if (recordsBytes < 0 || recordsBytes > bytes.byteLength - answerHeaderBytes) throw r.bad(`${recordsBytes} bytes of records in ${bytes.byteLength}`);
  r.end = bytes.byteLength - recordsBytes; // the fields end where the batches begin
  const errorCode = r.errorCode('for the request');
  const flags = r.i16();
  if ((flags & ~answerChecked) !== 0) throw r.bad(`unknown flags ${flags}`);
  const sessionId = r.i32();
  const throttleTimeMs = r.i32();
  const topicCount = r.count(6, 'topics');
  let recordsAt = r.end;
  const batches: Uint8Array[] = [];
  const responses: P.FetchTopicResponse[] = [];
  for (let i = 0; i < topicCount; i++) {
    const topic = r.str('topic name');
    if (topic === null) throw r.bad('a null topic name');
    const n = r.count(answerPartitionBytes, 'partitions');
    const partitions: P.FetchPartitionResponse[] = [];
    for (let j = 0; j < n; j++) {
      const partitionIndex = r.i32();
      const partitionError = r.errorCode(`for partition ${partitionIndex}`);
      const pf = r.i16();
      if ((pf & ~partFlagsKnown) !== 0) throw r.bad(`unknown partition flags ${pf}`);
      const highWatermark = r.i64('a high watermark');
      const lastStableOffset = r.i64('a last stable offset');
      const logStartOffset = r.i64('a log start offset');
      const preferredReadReplica = r.i32();
      const length = r.i32();
      if (length < 0 || length > bytes.byteLength - recordsAt) throw r.bad(`${length} bytes of records where ${bytes.byteLength - recordsAt} are left`);
      if (length > 0 && (pf & partRecords) === 0) throw r.bad('records on a partition flagged without');
      const p: { -readonly [K in keyof P.FetchPartitionResponse]: P.FetchPartitionResponse[K] } = { partitionIndex, errorCode: partitionError, highWatermark, lastStableOffset, logStartOffset, abortedTransactions: null, preferredReadReplica, records: null };
      if (pf & partDiverging) p.divergingEpoch = { epoch: r.i32(), endOffset: r.i64('a diverging end offset') };
      if (pf & partCurrentLeader) p.currentLeader = { leaderId: r.i32(), leaderEpoch: r.i32() };
      if (pf & partSnapshot) p.snapshotId = { endOffset: r.i64('a snapshot end offset'), epoch: r.i32() };
      if (pf & partAborted) {
        const k = r.count(16, 'aborted transactions');
        const aborted: P.AbortedTransaction[] = [];
        for (let a = 0; a < k; a++) aborted.push({ producerId: r.i64('a producer id'), firstOffset: r.i64('a first offset') });
        p.abortedTransactions = aborted;
      }
      if (pf & partRecords) {
        const view = r.bytes.subarray(recordsAt, recordsAt + length);
        recordsAt += length;
        p.records = view;
        if (length > 0) batches.push(view);
      }
      partitions.push(p);
    }
    responses.push({ topic, partitions });
  }
  if (r.at !== r.end) throw r.bad(`${r.end - r.at} bytes between its last field and its records`);
  if (recordsAt !== bytes.byteLength) throw r.bad(`${bytes.byteLength - recordsAt} bytes of records no partition names`);
  const body: P.FetchResponse = { apiKey: 1, errorCode, sessionId, responses, throttleTimeMs };
  return { body, checked: (flags & answerChecked) !== 0, batches };
}
