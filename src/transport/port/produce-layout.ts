/**
 * The port transport's own encoding of a Produce request and its answer
 * (`port-transport.ts`, `port-server.ts`): the Produce requests made on a port in one turn
 * (in a run, between its other requests) as one `ArrayBuffer`, transferred, read with a
 * `DataView`; no object graph for the structured clone. Requests of other APIs, and Produce
 * requests that do not fit (`laysOut`), cross as typed objects, in order with these.
 *
 * Why: a Produce request crossed as typed objects (`{ t: 'reqs', list: [{ id, node, req:
 * { apiKey, acks, timeoutMs, topicData: [{ name, partitionData: [{ index, records }] }] },
 * ctx }] }`, and the answer likewise), and V8's serializer and deserializer walk such a graph
 * property by property: about 2 us to post and 5 us to receive a message of a few requests,
 * the largest part of the +206 ns a record per-node spent on messages
 * (bench/results/2026-12-07i-pernode-account.md). A message here is a header and tables of
 * int32 and int64 fields, each topic name once, then the batches' bytes (which are copied
 * into a transferred buffer anyway): the clone sees one `ArrayBuffer`.
 *
 * **Request message** (all integers big-endian, offsets from the start of the buffer):
 *
 * | at | field |
 * | --- | --- |
 * | 0 | int32 magic `REQUESTS_MAGIC` |
 * | 4 | int32 requests (1..`LAID_REQUESTS_MAX`) |
 * | 8 | int32 partitions, all requests' together (0..`LAID_PARTITIONS_MAX`) |
 * | 12 | int32 strings (0..`LAID_STRINGS_MAX`) |
 * | 16 | int32 bytes used (the buffer may be larger: a reused one) |
 * | 20 | int32 0 |
 * | 24 | requests, `REQUEST_BYTES` each: int32 id (>= 1, unique in the message), int16 acks, uint16 flags (bit 0: every batch checksummed by the calling thread), int32 timeoutMs, int32 transactionalId (string, -1 null, -2 absent), int32 clientId (string, -1: no context), int32 clientHost (string, -1 with no context), int32 principal (string, -1 null), int32 partitions of this request (they follow the previous request's in the partition table), int32 node (the node the request is for) |
 * | | partitions, `PARTITION_BYTES` each: int32 topic (string), int32 partition index, int32 flags (bit 0: first partition of its topic in the request, bit 1: records null), int32 batch offset, int32 batch length |
 * | | strings, `STRING_BYTES` each: int32 offset, int32 length (UTF-8 bytes, at most `LAID_STRING_BYTES_MAX`) |
 * | | the strings' bytes, then the batches' bytes |
 *
 * **Answer message**: the same header with `ANSWERS_MAGIC` (count of answers, partition
 * results, strings, bytes used, and at 20 the count of record errors); answers of
 * `ANSWER_BYTES`: int32 id, int32 kind (0 a Produce response, 1 an error); a response's
 * int32 partitions, int32 throttleTimeMs, int32 flags (bit 0: throttleTimeMs present); an
 * error's int32 numeric code, int32 message (string), int32 topic (string, -1 none), int32
 * partition, int32 option (string, -1 none), int32 flags (bit 0: partition present). Then
 * partition results of `RESULT_BYTES`: int32 topic (string), int32 index, int32 error code,
 * int32 record errors (-1 absent), int64 baseOffset, int64 logAppendTimeMs, int64
 * logStartOffset, int32 errorMessage (string, -1 null, -2 absent), int32 first record
 * error (0 when absent); record errors of `RECORD_ERROR_BYTES`: int32 batchIndex, int32
 * message (string, -1 null); then strings as in a request.
 *
 * **Checks where it arrives.** Everything that places a byte (counts, offsets, lengths,
 * indices into the tables, flags, ids) is checked against the buffer; a field whose meaning
 * is the broker's (acks, timeoutMs, a partition index) goes to the broker's own validation,
 * as any client's request does (`KafkaApis`). A message whose header or request table does
 * not hold is refused whole (`readRequestIds` says which ids it named, if any can be read);
 * a request whose own fields do not hold is refused alone (`INVALID_REQUEST`); an answer
 * that does not hold is `CORRUPT_MESSAGE` for the request it answers, or for every request
 * in flight when the answer message itself is unreadable.
 * @internal
 */
import type { RequestContext } from '../../broker/request-context.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { BatchIndexAndErrorMessage, PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData, TopicProduceResponse } from '../../protocol/produce.js';
import type { Request } from '../../protocol/requests.js';
import { errorCodes, knownErrorCode, type ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';

export const REQUESTS_MAGIC = 0x5450_5251; // 'TPRQ'
export const ANSWERS_MAGIC = 0x5450_5241; // 'TPRA'
export const HEADER_BYTES = 24;
export const REQUEST_BYTES = 36;
export const PARTITION_BYTES = 20;
export const STRING_BYTES = 8;
export const ANSWER_BYTES = 32;
export const RESULT_BYTES = 48;
export const RECORD_ERROR_BYTES = 8;
/** The most requests one message carries: far above a turn's worth (a producer keeps five batches a partition in flight). */
export const LAID_REQUESTS_MAX = 1024;
/** The most partitions of one message, all its requests together. */
export const LAID_PARTITIONS_MAX = 1 << 16;
/**
 * The most distinct strings of one message (topic names, client ids, error messages): above
 * what the other maxima allow (a request message: a topic a partition and four a request; an
 * answer message: a topic and a message a result, one a record error, three an error), so a
 * message the writer kept under those is never refused for its strings.
 */
export const LAID_STRINGS_MAX = 1 << 22;
/** The most record errors of one answer message (a batch can name each of its records). */
export const LAID_RECORD_ERRORS_MAX = 1 << 22;
/** A Kafka STRING's most bytes. */
export const LAID_STRING_BYTES_MAX = 0x7fff;

const F_CHECKED = 1;
const F_FIRST_OF_TOPIC = 1;
const F_RECORDS_NULL = 2;
const F_PRESENT = 1;

/** One request of a message, as the port server reads it (or the port transport writes it). */
export interface LaidRequest {
  readonly id: number;
  /** The node the request is for. */
  readonly node: number;
  readonly request: ProduceRequest;
  readonly context: RequestContext | undefined;
  /** Every batch carried the calling thread's checksummed-here mark when it was copied. */
  readonly checked: boolean;
}

/** An answer as the port server writes it: the broker's response, or the error its handler failed with. */
export type LaidAnswer = { readonly id: number; readonly response: ProduceResponse } | { readonly id: number; readonly error: TributaryError };

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isInt32 = (v: unknown): v is number => isInt(v, -0x8000_0000, 0x7fff_ffff);

/**
 * Whether `request` can be laid out as it is: the shape and ranges the layout holds (acks an
 * int16, timeoutMs an int32, names strings, records byte arrays or null, at most
 * `LAID_PARTITIONS_MAX` partitions). Anything else
 * (a garbled request from `cluster.transport`) goes the typed way, where the broker refuses
 * it as any client's.
 */
export function canLayOut(request: ProduceRequest): boolean {
  if (!isInt(request.acks, -0x8000, 0x7fff) || !isInt32(request.timeoutMs)) return false;
  const txn = request.transactionalId;
  if (txn !== undefined && txn !== null && typeof txn !== 'string') return false;
  const topics: unknown = request.topicData;
  if (!Array.isArray(topics) || topics.length === 0) return false;
  let partitions = 0;
  for (const t of topics as unknown[]) {
    if (t === null || typeof t !== 'object') return false;
    const { name, partitionData } = t as { name?: unknown; partitionData?: unknown };
    if (typeof name !== 'string' || !Array.isArray(partitionData) || partitionData.length === 0) return false;
    // More partitions than one message holds: the typed way (the reader would refuse the message whole).
    partitions += partitionData.length;
    if (partitions > LAID_PARTITIONS_MAX) return false;
    for (const p of partitionData as unknown[]) {
      if (p === null || typeof p !== 'object') return false;
      const { index, records } = p as { index?: unknown; records?: unknown };
      if (!isInt32(index) || !(records === null || records instanceof Uint8Array)) return false;
    }
  }
  return true;
}

/**
 * Whether the port transport lays `request` out: a Produce request of a client of ours (no
 * context, or an `'inline'` one without a connection's signal or API version) that fits the
 * layout (`canLayOut`). A Produce request a Kafka listener relays stays typed, with its
 * context (signal and API version), and so does a garbled one, which the broker refuses.
 */
export function laysOut(request: Request, context: RequestContext | undefined): boolean {
  if (request.apiKey !== ApiKey.Produce) return false;
  if (context !== undefined && (context.listenerName !== 'inline' || context.signal !== undefined || context.apiVersion !== undefined)) return false;
  return canLayOut(request);
}

/** Strings of one message, each once. */
class Strings {
  readonly list: string[] = [];
  readonly bytes: number[] = [];
  private readonly index = new Map<string, number>();
  total = 0;

  of(s: string | null | undefined, nullAs = -1, absentAs = -1): number {
    if (s === null) return nullAs;
    if (s === undefined) return absentAs;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      const n = Buffer.byteLength(s, 'utf8');
      this.index.set(s, i);
      this.list.push(s);
      this.bytes.push(n);
      this.total += n;
    }
    return i;
  }

  /** Writes the string table at `table` and the bytes at `at`; returns the end. */
  write(view: DataView, bytes: Buffer, table: number, at: number): number {
    for (let i = 0; i < this.list.length; i++) {
      const n = this.bytes[i]!;
      view.setInt32(table + i * STRING_BYTES, at);
      view.setInt32(table + i * STRING_BYTES + 4, n);
      bytes.write(this.list[i]!, at, n, 'utf8');
      at += n;
    }
    return at;
  }
}

/**
 * Lays out `items` (every request passed `canLayOut`) in a buffer from `take` (at least the
 * bytes asked; a reused one may be larger), the batches copied after the tables. Returns the
 * buffer and the bytes used.
 */
export function writeRequests(items: readonly LaidRequest[], take: (bytes: number) => ArrayBuffer): { buffer: ArrayBuffer; used: number } {
  const strings = new Strings();
  let partitions = 0;
  let batchBytes = 0;
  for (const { request, context } of items) {
    strings.of(request.transactionalId, -1, -2);
    if (context !== undefined) {
      strings.of(context.clientId);
      strings.of(context.clientHost);
      strings.of(context.principal);
    }
    for (const t of request.topicData) {
      strings.of(t.name);
      for (const p of t.partitionData) {
        partitions++;
        if (p.records !== null) batchBytes += p.records.byteLength;
      }
    }
  }
  const requestsAt = HEADER_BYTES;
  const partitionsAt = requestsAt + items.length * REQUEST_BYTES;
  const stringsAt = partitionsAt + partitions * PARTITION_BYTES;
  const stringBytesAt = stringsAt + strings.list.length * STRING_BYTES;
  const batchesAt = stringBytesAt + strings.total;
  const used = batchesAt + batchBytes;
  const buffer = take(used);
  const view = new DataView(buffer);
  const bytes = Buffer.from(buffer, 0, used);
  view.setInt32(0, REQUESTS_MAGIC);
  view.setInt32(4, items.length);
  view.setInt32(8, partitions);
  view.setInt32(12, strings.list.length);
  view.setInt32(16, used);
  view.setInt32(20, 0);
  let r = requestsAt;
  let p = partitionsAt;
  let at = batchesAt;
  for (const { id, node, request, context, checked } of items) {
    let n = 0;
    for (const t of request.topicData) n += t.partitionData.length;
    view.setInt32(r, id);
    view.setInt16(r + 4, request.acks);
    view.setUint16(r + 6, checked ? F_CHECKED : 0);
    view.setInt32(r + 8, request.timeoutMs);
    view.setInt32(r + 12, strings.of(request.transactionalId, -1, -2));
    view.setInt32(r + 16, context === undefined ? -1 : strings.of(context.clientId));
    view.setInt32(r + 20, context === undefined ? -1 : strings.of(context.clientHost));
    view.setInt32(r + 24, context === undefined ? -1 : strings.of(context.principal));
    view.setInt32(r + 28, n);
    view.setInt32(r + 32, node);
    r += REQUEST_BYTES;
    for (const t of request.topicData) {
      const topic = strings.of(t.name);
      let first = F_FIRST_OF_TOPIC;
      for (const part of t.partitionData) {
        view.setInt32(p, topic);
        view.setInt32(p + 4, part.index);
        const records = part.records;
        view.setInt32(p + 8, first | (records === null ? F_RECORDS_NULL : 0));
        view.setInt32(p + 12, records === null ? 0 : at);
        view.setInt32(p + 16, records === null ? 0 : records.byteLength);
        if (records !== null) {
          bytes.set(records, at);
          at += records.byteLength;
        }
        first = 0;
        p += PARTITION_BYTES;
      }
    }
  }
  strings.write(view, bytes, stringsAt, stringBytesAt);
  return { buffer, used };
}

/** What a message's header says, checked against the buffer; a `TributaryError` when it does not hold. */
interface Header {
  readonly count: number;
  readonly partitions: number;
  readonly strings: number;
  readonly used: number;
  readonly extra: number;
  readonly rowsAt: number;
  readonly partsAt: number;
  readonly stringsAt: number;
  readonly tablesEnd: number;
}

function readHeader(view: DataView, magic: number, rowBytes: number, partBytes: number, extraBytes: number, bad: (why: string) => TributaryError): Header {
  if (view.byteLength < HEADER_BYTES) throw bad(`${view.byteLength} bytes, fewer than a header`);
  if (view.getInt32(0) !== magic) throw bad('a wrong magic number');
  const count = view.getInt32(4);
  const partitions = view.getInt32(8);
  const strings = view.getInt32(12);
  const used = view.getInt32(16);
  const extra = view.getInt32(20);
  if (count < 1 || count > LAID_REQUESTS_MAX) throw bad(`a count of ${count}`);
  if (partitions < 0 || partitions > LAID_PARTITIONS_MAX) throw bad(`${partitions} partitions`);
  if (strings < 0 || strings > LAID_STRINGS_MAX) throw bad(`${strings} strings`);
  if (extra < 0 || extra > (extraBytes === 0 ? 0 : LAID_RECORD_ERRORS_MAX)) throw bad(`a count of ${extra} at 20`);
  if (used < HEADER_BYTES || used > view.byteLength) throw bad(`${used} bytes used of ${view.byteLength}`);
  const rowsAt = HEADER_BYTES;
  const partsAt = rowsAt + count * rowBytes;
  const extraAt = partsAt + partitions * partBytes;
  const stringsAt = extraAt + extra * extraBytes;
  const tablesEnd = stringsAt + strings * STRING_BYTES;
  if (tablesEnd > used) throw bad(`tables of ${tablesEnd} bytes in ${used}`);
  return { count, partitions, strings, used, extra, rowsAt, partsAt, stringsAt, tablesEnd };
}

/** The message's strings, decoded on first use; a bad one throws `bad`. */
class StringTable {
  private readonly cache: (string | undefined)[];
  constructor(
    private readonly view: DataView,
    private readonly bytes: Uint8Array,
    private readonly h: Header,
    private readonly bad: (why: string) => TributaryError,
  ) {
    this.cache = new Array<string | undefined>(h.strings);
  }

  get(i: number): string {
    if (!Number.isInteger(i) || i < 0 || i >= this.h.strings) throw this.bad(`a string index ${i} of ${this.h.strings}`);
    const cached = this.cache[i];
    if (cached !== undefined) return cached;
    const at = this.view.getInt32(this.h.stringsAt + i * STRING_BYTES);
    const n = this.view.getInt32(this.h.stringsAt + i * STRING_BYTES + 4);
    if (n < 0 || n > LAID_STRING_BYTES_MAX || at < this.h.tablesEnd || at > this.h.used - n) throw this.bad(`string ${i} at ${at}, ${n} bytes, outside the message`);
    let s: string;
    try {
      s = fatalUtf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      throw this.bad(`string ${i} is not UTF-8`);
    }
    this.cache[i] = s;
    return s;
  }

  /** A string, or null for -1 (and undefined for -2 where `absent` is allowed). */
  maybe(i: number, absent: boolean): string | null | undefined {
    if (i === -1) return null;
    if (i === -2 && absent) return undefined;
    return this.get(i);
  }
}

/**
 * The ids a request message names, if its header and request table can be read (for
 * answering a message refused whole); `[]` when not.
 */
export function readRequestIds(buffer: unknown): number[] {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return [];
  try {
    const view = new DataView(buffer);
    const h = readHeader(view, REQUESTS_MAGIC, REQUEST_BYTES, PARTITION_BYTES, 0, (why) => new TributaryError('INVALID_REQUEST', why));
    const ids: number[] = [];
    for (let i = 0; i < h.count; i++) {
      const id = view.getInt32(h.rowsAt + i * REQUEST_BYTES);
      if (id >= 1 && !ids.includes(id)) ids.push(id);
    }
    return ids;
  } catch {
    return [];
  }
}

/**
 * Reads a request message in the port server's thread: each request, or the `TributaryError`
 * (`INVALID_REQUEST`) that refuses it alone. Throws `INVALID_REQUEST` when the message as a
 * whole does not hold (then `readRequestIds` names what can be answered). The batches are
 * views of `buffer`.
 */
export function readRequests(buffer: unknown): (LaidRequest | { readonly id: number; readonly error: TributaryError })[] {
  const bad = (why: string): TributaryError => new TributaryError('INVALID_REQUEST', `a Produce message from the calling thread with ${why}`);
  if (!(buffer instanceof ArrayBuffer)) throw bad('no buffer');
  const view = new DataView(buffer);
  const h = readHeader(view, REQUESTS_MAGIC, REQUEST_BYTES, PARTITION_BYTES, 0, bad);
  const bytes = new Uint8Array(buffer, 0, h.used);
  const strings = new StringTable(view, bytes, h, bad);
  const out: (LaidRequest | { id: number; error: TributaryError })[] = [];
  const seen = new Set<number>();
  let next = 0;
  for (let i = 0; i < h.count; i++) {
    const r = h.rowsAt + i * REQUEST_BYTES;
    const id = view.getInt32(r);
    const n = view.getInt32(r + 28);
    if (id < 1 || seen.has(id)) throw bad(`request ${i}'s id ${id}`);
    seen.add(id);
    if (n < 1 || n > h.partitions - next) throw bad(`request ${id}'s ${n} partitions (${h.partitions - next} left)`);
    const first = next;
    next += n;
    try {
      out.push(readRequest(view, strings, h, r, id, first, n, bad));
    } catch (err) {
      if (!(err instanceof TributaryError)) throw err;
      out.push({ id, error: err });
    }
  }
  if (next !== h.partitions) throw bad(`${h.partitions} partitions of which the requests name ${next}`);
  return out;
}

function readRequest(view: DataView, strings: StringTable, h: Header, r: number, id: number, first: number, n: number, bad: (why: string) => TributaryError): LaidRequest {
  const acks = view.getInt16(r + 4);
  const flags = view.getUint16(r + 6);
  if ((flags & ~F_CHECKED) !== 0) throw bad(`request ${id}'s flags ${flags}`);
  const timeoutMs = view.getInt32(r + 8);
  const transactionalId = strings.maybe(view.getInt32(r + 12), true);
  const clientIdAt = view.getInt32(r + 16);
  const clientHostAt = view.getInt32(r + 20);
  let context: RequestContext | undefined;
  if (clientIdAt === -1 && clientHostAt === -1) context = undefined;
  else context = { listenerName: 'inline', clientId: strings.get(clientIdAt), clientHost: strings.get(clientHostAt), principal: strings.maybe(view.getInt32(r + 24), false) ?? null };
  const topicData: TopicProduceData[] = [];
  let topic: { name: string; partitionData: { index: number; records: Uint8Array | null }[] } | undefined;
  const bytes = new Uint8Array(view.buffer, 0, h.used);
  for (let k = 0; k < n; k++) {
    const p = h.partsAt + (first + k) * PARTITION_BYTES;
    const topicAt = view.getInt32(p);
    const index = view.getInt32(p + 4);
    const pflags = view.getInt32(p + 8);
    const at = view.getInt32(p + 12);
    const length = view.getInt32(p + 16);
    if ((pflags & ~(F_FIRST_OF_TOPIC | F_RECORDS_NULL)) !== 0) throw bad(`request ${id}'s partition flags ${pflags}`);
    if (k === 0 && (pflags & F_FIRST_OF_TOPIC) === 0) throw bad(`request ${id}'s first partition not the first of a topic`);
    let records: Uint8Array | null;
    if ((pflags & F_RECORDS_NULL) !== 0) {
      if (at !== 0 || length !== 0) throw bad(`request ${id}'s null records at ${at}, ${length} bytes`);
      records = null;
    } else {
      if (length < 0 || at < h.tablesEnd || at > h.used - length) throw bad(`request ${id}'s batch at ${at}, ${length} bytes, outside the message`);
      records = bytes.subarray(at, at + length);
    }
    if ((pflags & F_FIRST_OF_TOPIC) !== 0) {
      topic = { name: strings.get(topicAt), partitionData: [] };
      topicData.push(topic);
    } else if (strings.get(topicAt) !== topic!.name) {
      throw bad(`request ${id}'s partition ${k} of another topic than its group's`);
    }
    topic!.partitionData.push({ index, records });
  }
  const request: ProduceRequest = transactionalId === undefined ? { apiKey: ApiKey.Produce, acks, timeoutMs, topicData } : { apiKey: ApiKey.Produce, transactionalId, acks, timeoutMs, topicData };
  return { id, node: view.getInt32(r + 32), request, context, checked: (flags & F_CHECKED) !== 0 };
}

// ---- answers ----

function setInt64(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  view.setInt32(at, hi);
  view.setUint32(at + 4, v - hi * 0x1_0000_0000);
}

function getInt64(view: DataView, at: number): number {
  return view.getInt32(at) * 0x1_0000_0000 + view.getUint32(at + 4);
}

const codeNumber = (code: unknown): number => (typeof code === 'string' && Object.hasOwn(errorCodes, code) ? errorCodes[code as ErrorCode].code : errorCodes.UNKNOWN_SERVER_ERROR.code);
const safeInt64 = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : -1);
const int32Or = (v: unknown, or: number): number => (isInt32(v) ? v : or);

/**
 * Lays out the answers of one turn in a fresh buffer. The node's own broker wrote the
 * responses; a field out of its type's range (a bug) is written as -1 or
 * UNKNOWN_SERVER_ERROR rather than thrown, and the reader's checks refuse what matters.
 */
export function writeAnswers(answers: readonly LaidAnswer[]): ArrayBuffer {
  const strings = new Strings();
  let results = 0;
  let recordErrors = 0;
  for (const a of answers) {
    if ('error' in a) {
      strings.of(a.error.message);
      strings.of(a.error.topic);
      strings.of(a.error.option);
      continue;
    }
    for (const t of a.response.responses) {
      strings.of(t.name);
      for (const p of t.partitionResponses) {
        results++;
        strings.of(typeof p.errorMessage === 'string' ? p.errorMessage : undefined);
        if (Array.isArray(p.recordErrors)) {
          recordErrors += p.recordErrors.length;
          for (const e of p.recordErrors) strings.of(typeof e.batchIndexErrorMessage === 'string' ? e.batchIndexErrorMessage : undefined);
        }
      }
    }
  }
  const answersAt = HEADER_BYTES;
  const resultsAt = answersAt + answers.length * ANSWER_BYTES;
  const errorsAt = resultsAt + results * RESULT_BYTES;
  const stringsAt = errorsAt + recordErrors * RECORD_ERROR_BYTES;
  const stringBytesAt = stringsAt + strings.list.length * STRING_BYTES;
  const used = stringBytesAt + strings.total;
  const buffer = new ArrayBuffer(used);
  const view = new DataView(buffer);
  view.setInt32(0, ANSWERS_MAGIC);
  view.setInt32(4, answers.length);
  view.setInt32(8, results);
  view.setInt32(12, strings.list.length);
  view.setInt32(16, used);
  view.setInt32(20, recordErrors);
  let a = answersAt;
  let r = resultsAt;
  let e = errorsAt;
  for (const answer of answers) {
    view.setInt32(a, answer.id);
    if ('error' in answer) {
      const err = answer.error;
      view.setInt32(a + 4, 1);
      view.setInt32(a + 8, errorCodes[err.code].code);
      view.setInt32(a + 12, strings.of(err.message));
      view.setInt32(a + 16, strings.of(err.topic));
      view.setInt32(a + 20, int32Or(err.partition, 0));
      view.setInt32(a + 24, strings.of(err.option));
      view.setInt32(a + 28, isInt32(err.partition) ? F_PRESENT : 0);
      a += ANSWER_BYTES;
      continue;
    }
    const res = answer.response;
    let n = 0;
    for (const t of res.responses) n += t.partitionResponses.length;
    view.setInt32(a + 4, 0);
    view.setInt32(a + 8, n);
    view.setInt32(a + 12, int32Or(res.throttleTimeMs, 0));
    view.setInt32(a + 16, isInt32(res.throttleTimeMs) ? F_PRESENT : 0);
    a += ANSWER_BYTES;
    for (const t of res.responses) {
      const topic = strings.of(t.name);
      for (const p of t.partitionResponses) {
        view.setInt32(r, topic);
        view.setInt32(r + 4, int32Or(p.index, -1));
        view.setInt32(r + 8, codeNumber(p.errorCode));
        setInt64(view, r + 16, safeInt64(p.baseOffset));
        setInt64(view, r + 24, safeInt64(p.logAppendTimeMs));
        setInt64(view, r + 32, safeInt64(p.logStartOffset));
        view.setInt32(r + 40, typeof p.errorMessage === 'string' ? strings.of(p.errorMessage) : p.errorMessage === null ? -1 : -2);
        if (Array.isArray(p.recordErrors)) {
          view.setInt32(r + 44, ((e - errorsAt) / RECORD_ERROR_BYTES) | 0);
          for (const re of p.recordErrors) {
            view.setInt32(e, int32Or(re.batchIndex, -1));
            view.setInt32(e + 4, typeof re.batchIndexErrorMessage === 'string' ? strings.of(re.batchIndexErrorMessage) : -1);
            e += RECORD_ERROR_BYTES;
          }
          view.setInt32(r + 12, p.recordErrors.length);
        } else {
          view.setInt32(r + 44, 0);
          view.setInt32(r + 12, -1);
        }
        r += RESULT_BYTES;
      }
    }
  }
  strings.write(view, Buffer.from(buffer), stringsAt, stringBytesAt);
  return buffer;
}

/** The error for an answer message from `from` (`node 2`, `the cluster`) that does not hold. */
function corrupt(from: string, why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${from} answered a Produce request with ${why}`);
}

/**
 * Reads an answer message in the port transport's thread: for each answer its id and what it
 * settles the request with (the response, checked against the request it answers, named by
 * `asked`, or the node's error; `CORRUPT_MESSAGE` when a field does not hold). Throws
 * `CORRUPT_MESSAGE` when the message as a whole does not hold. An id no request waits for
 * (`asked` gives undefined) is skipped.
 */
export function readAnswers(buffer: unknown, from: string, asked: (id: number) => ProduceRequest | undefined): { id: number; response?: ProduceResponse; error?: TributaryError }[] {
  const whole = (why: string): TributaryError => corrupt(from, why);
  if (!(buffer instanceof ArrayBuffer)) throw whole('a message that is not a buffer');
  const view = new DataView(buffer);
  const h = readHeader(view, ANSWERS_MAGIC, ANSWER_BYTES, RESULT_BYTES, RECORD_ERROR_BYTES, whole);
  const strings = new StringTable(view, new Uint8Array(buffer, 0, h.used), h, whole);
  const errorsAt = h.partsAt + h.partitions * RESULT_BYTES;
  const out: { id: number; response?: ProduceResponse; error?: TributaryError }[] = [];
  let next = 0;
  for (let i = 0; i < h.count; i++) {
    const a = h.rowsAt + i * ANSWER_BYTES;
    const id = view.getInt32(a);
    const kind = view.getInt32(a + 4);
    if (kind === 1) {
      const request = asked(id);
      if (request === undefined) continue;
      try {
        const code = knownErrorCode(view.getInt32(a + 8));
        if (code === undefined) throw whole(`an unknown error code ${view.getInt32(a + 8)}`);
        const flags = view.getInt32(a + 28);
        if ((flags & ~F_PRESENT) !== 0) throw whole(`error flags ${flags}`);
        const topic = strings.maybe(view.getInt32(a + 16), false);
        const option = strings.maybe(view.getInt32(a + 24), false);
        const place: { topic?: string; partition?: number; option?: string } = {};
        if (topic !== null && topic !== undefined) place.topic = topic;
        if ((flags & F_PRESENT) !== 0) place.partition = view.getInt32(a + 20);
        if (option !== null && option !== undefined) place.option = option;
        out.push({ id, error: new TributaryError(code, strings.get(view.getInt32(a + 12)), place) });
      } catch (err) {
        out.push({ id, error: err as TributaryError });
      }
      continue;
    }
    if (kind !== 0) throw whole(`answer ${i}'s kind ${kind}`);
    const n = view.getInt32(a + 8);
    if (n < 0 || n > h.partitions - next) throw whole(`answer ${i}'s ${n} partitions (${h.partitions - next} left)`);
    const first = next;
    next += n;
    const request = asked(id);
    if (request === undefined) continue;
    try {
      out.push({ id, response: readResponse(view, strings, h, errorsAt, a, first, n, request, whole) });
    } catch (err) {
      out.push({ id, error: err as TributaryError });
    }
  }
  if (next !== h.partitions) throw whole(`${h.partitions} partition results of which the answers name ${next}`);
  return out;
}

function readResponse(view: DataView, strings: StringTable, h: Header, errorsAt: number, a: number, first: number, n: number, request: ProduceRequest, bad: (why: string) => TributaryError): ProduceResponse {
  const flags = view.getInt32(a + 16);
  if ((flags & ~F_PRESENT) !== 0) throw bad(`response flags ${flags}`);
  let asked = 0;
  for (const t of request.topicData) asked += t.partitionData.length;
  if (n !== asked) throw bad(`${n} partitions for ${asked} asked`);
  const responses: TopicProduceResponse[] = [];
  let k = first;
  for (const t of request.topicData) {
    const partitionResponses: PartitionProduceResponse[] = [];
    for (const asked of t.partitionData) {
      const r = h.partsAt + k++ * RESULT_BYTES;
      const index = view.getInt32(r + 4);
      if (strings.get(view.getInt32(r)) !== t.name || index !== asked.index) throw bad(`an answer for another partition than ${t.name}-${asked.index}`);
      const errorCode = knownErrorCode(view.getInt32(r + 8));
      if (errorCode === undefined) throw bad(`an unknown error code ${view.getInt32(r + 8)} for ${t.name}-${index}`);
      const baseOffset = getInt64(view, r + 16);
      const logAppendTimeMs = getInt64(view, r + 24);
      const logStartOffset = getInt64(view, r + 32);
      if (!Number.isSafeInteger(baseOffset) || !Number.isSafeInteger(logAppendTimeMs) || !Number.isSafeInteger(logStartOffset)) throw bad(`an offset or time out of range for ${t.name}-${index}`);
      const m = view.getInt32(r + 40);
      const errorMessage = m === -2 ? undefined : strings.maybe(m, false);
      const count = view.getInt32(r + 12);
      let recordErrors: BatchIndexAndErrorMessage[] | undefined;
      if (count !== -1) {
        const at = view.getInt32(r + 44);
        if (count < 0 || at < 0 || at > h.extra - count) throw bad(`record errors ${at}+${count} of ${h.extra}`);
        recordErrors = [];
        for (let j = 0; j < count; j++) {
          const e = errorsAt + (at + j) * RECORD_ERROR_BYTES;
          recordErrors.push({ batchIndex: view.getInt32(e), batchIndexErrorMessage: strings.maybe(view.getInt32(e + 4), false) ?? null });
        }
      } else if (view.getInt32(r + 44) !== 0) {
        throw bad('record errors without a count');
      }
      const p: PartitionProduceResponse = { index, errorCode, baseOffset, logAppendTimeMs, logStartOffset };
      if (recordErrors !== undefined) (p as { recordErrors?: BatchIndexAndErrorMessage[] }).recordErrors = recordErrors;
      if (errorMessage !== undefined) (p as { errorMessage?: string | null }).errorMessage = errorMessage;
      partitionResponses.push(p);
    }
    responses.push({ name: t.name, partitionResponses });
  }
  const response: ProduceResponse = (flags & F_PRESENT) !== 0 ? { apiKey: ApiKey.Produce, responses, throttleTimeMs: view.getInt32(a + 12) } : { apiKey: ApiKey.Produce, responses };
  return response;
}

/**
 * `answers` cut into runs that each stay within an answer message's maxima
 * (`LAID_REQUESTS_MAX` answers, `LAID_PARTITIONS_MAX` partition results,
 * `LAID_RECORD_ERRORS_MAX` record errors): the answers ready in one turn of the server's
 * thread may pass them (those of two request messages of 1,024 each, or their partitions).
 * One answer answers one request, which held at most `LAID_PARTITIONS_MAX` partitions; one
 * whose record errors alone pass the maximum keeps the first `LAID_RECORD_ERRORS_MAX` of
 * them (the partition's error code and message stand), rather than make a message the
 * reader refuses whole.
 */
export function answerChunks(answers: readonly LaidAnswer[]): LaidAnswer[][] {
  const out: LaidAnswer[][] = [];
  let chunk: LaidAnswer[] = [];
  let results = 0;
  let errors = 0;
  for (let a of answers) {
    let r = 0;
    let e = 0;
    if ('response' in a) {
      for (const t of a.response.responses) {
        r += t.partitionResponses.length;
        for (const p of t.partitionResponses) e += p.recordErrors?.length ?? 0;
      }
      if (e > LAID_RECORD_ERRORS_MAX) {
        let left = LAID_RECORD_ERRORS_MAX;
        const responses = a.response.responses.map((t) => ({
          ...t,
          partitionResponses: t.partitionResponses.map((p) => {
            if (p.recordErrors === undefined) return p;
            const kept = p.recordErrors.slice(0, left);
            left -= kept.length;
            return { ...p, recordErrors: kept };
          }),
        }));
        a = { id: a.id, response: { ...a.response, responses } };
        e = LAID_RECORD_ERRORS_MAX;
      }
    }
    if (chunk.length > 0 && (chunk.length >= LAID_REQUESTS_MAX || results + r > LAID_PARTITIONS_MAX || errors + e > LAID_RECORD_ERRORS_MAX)) {
      out.push(chunk);
      chunk = [];
      results = 0;
      errors = 0;
    }
    chunk.push(a);
    results += r;
    errors += e;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
