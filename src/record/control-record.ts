import { assert } from '../util/assert.js';
import { TributaryError } from '../util/errors.js';
import { ByteReader } from '../util/byte-reader.js';
import { sizeOfUnsignedVarint, writeUnsignedVarint } from '../util/varint.js';
import {
  asBuffer,
  encodeBatchUncompressed,
  isControlBatch,
  readBatchHeader,
  writeInt64,
  type BatchHeader,
  type DecodedRecord,
} from './batch.js';
import { decodeBatch, type DecodeBatchOptions } from './codecs/index.js';

/**
 * Control records: the records Kafka writes into a log for its own bookkeeping, in
 * control batches (attribute bit 5), which consumers never see. One control batch holds
 * one control record. Its key says what it is (Kafka's `ControlRecordType`):
 *
 * ```
 * key   = version int16 (0) | type int16
 * ```
 *
 * and its value is that type's message, in Kafka's exact bytes:
 *
 * | type | id | value | written by |
 * | --- | --- | --- | --- |
 * | ABORT, COMMIT | 0, 1 | `EndTxnMarker`: version int16 (0), coordinatorEpoch int32 | the transaction coordinator, in a transactional batch of the transaction's producer id and epoch |
 * | LEADER_CHANGE | 2 | `LeaderChangeMessage` v0 (flexible): version int16, leaderId int32, voters and grantingVoters as compact arrays of { voterId int32, tagged fields }, tagged fields | a new KRaft leader, first thing in its epoch |
 * | SNAPSHOT_HEADER | 3 | `SnapshotHeaderRecord` v0 (flexible): version int16, lastContainedLogTimestamp int64, tagged fields | first batch of a KRaft snapshot |
 * | SNAPSHOT_FOOTER | 4 | `SnapshotFooterRecord` v0 (flexible): version int16, tagged fields | last batch of a KRaft snapshot |
 *
 * Kafka also defines KRAFT_VERSION (5) and KRAFT_VOTERS (6) for dynamic quorums
 * (KIP-853); Tributary does not write them and reads them, like any other type it does
 * not know, as `UNKNOWN`, which is what Kafka does with a type it does not know.
 * Sources: Kafka's `ControlRecordType.java`, `EndTransactionMarker.java`,
 * `ControlRecordUtils.java` and `common/message/{EndTxnMarker,LeaderChangeMessage,
 * SnapshotHeaderRecord,SnapshotFooterRecord}.json`.
 */
export const controlRecordTypeIds = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
} as const;

/** The name of a control record type Tributary reads and writes. */
export type ControlRecordType = keyof typeof controlRecordTypeIds;

/** A control record's meaning, decoded from its key and value. */
export type ControlRecord =
  | { readonly type: 'ABORT' | 'COMMIT'; readonly coordinatorEpoch: number }
  | { readonly type: 'LEADER_CHANGE'; readonly leaderId: number; readonly voters: readonly number[]; readonly grantingVoters: readonly number[] }
  | { readonly type: 'SNAPSHOT_HEADER'; readonly lastContainedLogTimestamp: number }
  | { readonly type: 'SNAPSHOT_FOOTER' };

/** A control record of a type Tributary does not know, kept as its raw value. */
export interface UnknownControlRecord {
  readonly type: 'UNKNOWN';
  readonly typeId: number;
  readonly value: Uint8Array | null;
}

const controlKeyVersion = 0;
const controlKeyBytes = 4;
const endTxnMarkerVersion = 0;
const endTxnMarkerBytes = 6;
/** The `Version` field Kafka writes inside the KRaft messages (`ControlRecordUtils.*_CURRENT_VERSION`). */
const kraftMessageVersion = 0;
/** A voter in a compact array takes at least its int32 id and an empty tagged-field count. */
const voterBytesMin = 5;

const typeNames = new Map<number, ControlRecordType>(Object.entries(controlRecordTypeIds).map(([name, id]) => [id, name as ControlRecordType]));

function corrupt(why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `corrupt control record: ${why}`);
}

/** The 4-byte key of a control record of `type`. */
export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(controlKeyBytes);
  key.writeInt16BE(controlKeyVersion, 0);
  key.writeInt16BE(controlRecordTypeIds[type], 2);
  return key;
}

/**
 * The type id in a control record's key. As in Kafka, a key version above 0 is read as
 * version 0 (later versions may only add fields), a negative one or a short key is corrupt.
 */
export function decodeControlRecordTypeId(key: Uint8Array | null): number {
  if (key === null || key.length < controlKeyBytes) throw corrupt(`key of ${key?.length ?? 'null'} bytes, need ${controlKeyBytes}`);
  const buf = asBuffer(key);
  if (buf.readInt16BE(0) < 0) throw corrupt(`negative key version ${buf.readInt16BE(0)}`);
  return buf.readInt16BE(2);
}

function compactVoters(voters: readonly number[]): number {
  return sizeOfUnsignedVarint(voters.length + 1) + voters.length * voterBytesMin;
}

function writeVoters(buf: Buffer, pos: number, voters: readonly number[]): number {
  pos = writeUnsignedVarint(buf, pos, voters.length + 1);
  for (const id of voters) {
    buf.writeInt32BE(id, pos);
    buf[pos + 4] = 0; // no tagged fields
    pos += voterBytesMin;
  }
  return pos;
}

/** The value of a control record, in Kafka's bytes for its type. */
export function encodeControlRecordValue(record: ControlRecord): Buffer {
  switch (record.type) {
    case 'ABORT':
    case 'COMMIT': {
      const value = Buffer.allocUnsafe(endTxnMarkerBytes);
      value.writeInt16BE(endTxnMarkerVersion, 0);
      value.writeInt32BE(record.coordinatorEpoch, 2);
      return value;
    }
    case 'LEADER_CHANGE': {
      const value = Buffer.allocUnsafe(2 + 4 + compactVoters(record.voters) + compactVoters(record.grantingVoters) + 1);
      value.writeInt16BE(kraftMessageVersion, 0);
      value.writeInt32BE(record.leaderId, 2);
      let pos = writeVoters(value, 6, record.voters);
      pos = writeVoters(value, pos, record.grantingVoters);
      value[pos++] = 0; // no tagged fields
      assert(pos === value.length, 'leader change size was computed exactly');
      return value;
    }
    case 'SNAPSHOT_HEADER': {
      const value = Buffer.allocUnsafe(2 + 8 + 1);
      value.writeInt16BE(kraftMessageVersion, 0);
      writeInt64(value, 2, record.lastContainedLogTimestamp);
      value[10] = 0; // no tagged fields
      return value;
    }
    case 'SNAPSHOT_FOOTER': {
      const value = Buffer.allocUnsafe(2 + 1);
      value.writeInt16BE(kraftMessageVersion, 0);
      value[2] = 0; // no tagged fields
      return value;
    }
  }
}

/** A voter of a compact voters array: its int32 id, then its own tagged fields. */
function readVoter(r: ByteReader): number {
  const id = r.int32();
  r.taggedFields();
  return id;
}

/**
 * Decodes a control record from its key and value. Throws `CORRUPT_MESSAGE` when the
 * key or a known type's value is malformed. Like Kafka's readers, it ignores bytes after
 * the fields it knows (a later version may add some), and reads the `Version` fields
 * without requiring 0.
 */
export function decodeControlRecord(record: { readonly key: Uint8Array | null; readonly value: Uint8Array | null }): ControlRecord | UnknownControlRecord {
  const typeId = decodeControlRecordTypeId(record.key);
  const type = typeNames.get(typeId);
  if (type === undefined) return { type: 'UNKNOWN', typeId, value: record.value };
  if (record.value === null) throw corrupt(`${type} record has no value`);
  const r = new ByteReader(record.value, 'CORRUPT_MESSAGE', 0, record.value.length, `corrupt ${type} control record value`);
  switch (type) {
    case 'ABORT':
    case 'COMMIT': {
      if (r.int16() < 0) throw corrupt('negative end transaction marker version');
      return { type, coordinatorEpoch: r.int32() };
    }
    case 'LEADER_CHANGE': {
      r.int16(); // its Version, read without requiring 0
      const leaderId = r.int32();
      const voters = r.array(true, readVoter);
      const grantingVoters = r.array(true, readVoter);
      r.taggedFields();
      return { type, leaderId, voters, grantingVoters };
    }
    case 'SNAPSHOT_HEADER': {
      r.int16(); // Version
      const lastContainedLogTimestamp = r.int64();
      r.taggedFields();
      return { type, lastContainedLogTimestamp };
    }
    case 'SNAPSHOT_FOOTER': {
      r.int16(); // Version
      r.taggedFields();
      return { type };
    }
  }
}

/** Header fields of a control batch. */
export interface ControlBatchOptions {
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  /** Required for ABORT and COMMIT markers: the transaction's producer. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  /** The control record's timestamp; defaults to `Date.now()`. */
  readonly now?: number;
}

/**
 * Encodes a control batch holding one control record, uncompressed, as Kafka's
 * `MemoryRecords.withEndTransactionMarker` and `withLeaderChangeMessage` do: the control
 * bit set; for ABORT and COMMIT also the transactional bit and the transaction's
 * producer id and epoch; base sequence -1, since a control record is not part of any
 * producer's sequence.
 */
export function encodeControlBatch(record: ControlRecord, options: ControlBatchOptions = {}): Buffer {
  const marker = record.type === 'ABORT' || record.type === 'COMMIT';
  if (marker) {
    assert(options.producerId !== undefined && options.producerId >= 0, 'a transaction marker names its producer id');
    assert(options.producerEpoch !== undefined && options.producerEpoch >= 0, 'a transaction marker names its producer epoch');
  }
  return encodeBatchUncompressed([{ key: encodeControlRecordKey(record.type), value: encodeControlRecordValue(record) }], {
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    now: options.now,
    producerId: marker ? options.producerId : -1,
    producerEpoch: marker ? options.producerEpoch : -1,
    baseSequence: -1,
    transactional: marker,
    control: true,
  });
}

/** A control record with its place in the log. */
export type ControlRecordAt = (ControlRecord | UnknownControlRecord) & { readonly offset: number; readonly timestamp: number };

/**
 * Decodes the control batch at `pos`: its header and its control records (one, unless
 * compaction emptied it). Throws `INVALID_RECORD` if the batch is not a control batch,
 * and `CORRUPT_MESSAGE` if it is malformed.
 */
export async function decodeControlBatch(
  bytes: Uint8Array,
  pos = 0,
  options: DecodeBatchOptions = {},
): Promise<{ header: BatchHeader; records: ControlRecordAt[] }> {
  const records: DecodedRecord[] = await decodeBatch(bytes, pos, options);
  const header = readBatchHeader(bytes, pos);
  if (!isControlBatch(header.attributes)) throw new TributaryError('INVALID_RECORD', 'not a control batch');
  return { header, records: records.map((r) => ({ ...decodeControlRecord(r), offset: r.offset, timestamp: r.timestamp })) };
}
