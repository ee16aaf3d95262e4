/**
 * The records the group coordinator writes to `__consumer_offsets`, shaped after Kafka's
 * (`group-coordinator/src/main/resources/common/message/{OffsetCommitKey,OffsetCommitValue,
 * GroupMetadataKey,GroupMetadataValue}.json`), and their binary codec, byte for byte
 * Kafka's non-flexible versions.
 *
 * `__consumer_offsets` is a compacted topic: each record is a key and a value, and the
 * latest value of a key is the state. A null value (a tombstone) deletes the key:
 * an expired or deleted offset, a deleted group.
 *
 * ## Encoding (Kafka's, big-endian)
 *
 * Every key and value starts with an int16 version. The key's version says which record
 * it is: 0 or 1 an offset commit, 2 group metadata (Kafka uses 3 and up for KIP-848
 * records, which this coordinator neither writes nor reads). Strings are an int16 length
 * (-1 for null) and UTF-8; bytes are an int32 length and the bytes; arrays an int32 count.
 *
 * ```
 * OffsetCommitKey v1     version=1 group:string topic:string partition:int32
 * OffsetCommitValue v3   version=3 offset:int64 leaderEpoch:int32 metadata:string commitTimestamp:int64
 * OffsetCommitValue v1   version=1 offset:int64 metadata:string commitTimestamp:int64 expireTimestamp:int64
 * GroupMetadataKey v2    version=2 group:string
 * GroupMetadataValue v3  version=3 protocolType:string generation:int32 protocol:string? leader:string?
 *                        currentStateTimestamp:int64 members:[memberId:string groupInstanceId:string?
 *                        clientId:string clientHost:string rebalanceTimeout:int32 sessionTimeout:int32
 *                        subscription:bytes assignment:bytes]
 * ```
 *
 * This writes OffsetCommitValue v3 (v1 only for a value with an explicit expire timestamp,
 * as Kafka does) and GroupMetadataValue v3, and reads every non-flexible version (0 to 3).
 * Worked example: the key of group `g`, topic `t`, partition 0 is
 * `00 01 | 00 01 67 | 00 01 74 | 00 00 00 00` (11 bytes).
 *
 * Decoding never trusts its input: an unknown version, a truncated field, a length past
 * the end, invalid UTF-8, a null where null is not allowed, or bytes left over is a
 * `TributaryError` with code `CORRUPT_MESSAGE`, never a `RangeError` or a huge allocation.
 */
import { assert } from '../../util/assert.js';
import { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';

export interface OffsetCommitKey {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  /** The next offset the group will consume. */
  readonly offset: number;
  /** The leader epoch of the last consumed record, or -1. */
  readonly leaderEpoch: number;
  /** The client's metadata string (`''` when it gave none). */
  readonly metadata: string;
  /** When the coordinator accepted the commit (ms). */
  readonly commitTimestamp: number;
  /** Only in OffsetCommitValue v1 (per-commit retention, OffsetCommit v2 to v4); null otherwise. */
  readonly expireTimestamp: number | null;
}

export interface GroupMetadataKey {
  readonly group: string;
}

export interface GroupMemberValue {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeout: number;
  readonly sessionTimeout: number;
  /** The member's metadata for the chosen protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

export interface GroupMetadataValue {
  readonly protocolType: string;
  readonly generation: number;
  /** The chosen protocol; null for a group without members. */
  readonly protocol: string | null;
  readonly leader: string | null;
  /** When the group entered its current state (ms); offsets of an Empty group expire counted from it. -1 when unknown (v0, v1). */
  readonly currentStateTimestamp: number;
  readonly members: readonly GroupMemberValue[];
}

/** An offset commit, or its deletion (`value` null). */
export interface OffsetCommitRecord {
  readonly type: 'OffsetCommit';
  readonly key: OffsetCommitKey;
  readonly value: OffsetCommitValue | null;
}

/** A group's metadata, written at the end of each rebalance, or the group's deletion (`value` null). */
export interface GroupMetadataRecord {
  readonly type: 'GroupMetadata';
  readonly key: GroupMetadataKey;
  readonly value: GroupMetadataValue | null;
}

/** A record of `__consumer_offsets`. */
export type GroupRecord = OffsetCommitRecord | GroupMetadataRecord;

/** The longest string field, in UTF-8 bytes: an int16 length. */
export const groupStringBytesMax = 0x7fff;
/** The largest bytes field (a subscription or an assignment) this coordinator writes: 1 MiB, the default `message.max.bytes`. */
export const groupBytesMax = 1 << 20;
/** The most members one GroupMetadataValue may list. */
export const groupMembersMax = 100_000;
const offsetCommitKeyVersion = 1;
const groupMetadataKeyVersion = 2;
const offsetCommitValueVersion = 3;
const offsetCommitValueVersionWithExpiry = 1;
const groupMetadataValueVersion = 3;

/**
 * Kafka's `Utils.abs(groupId.hashCode()) % partitionCount`: the partition of
 * `__consumer_offsets` that holds a group, whose leader is the group's coordinator.
 * `hashCode` is Java's `String.hashCode` over UTF-16 code units (`h = 31 * h + c` in
 * int32 arithmetic), and `Utils.abs` maps `Integer.MIN_VALUE` to 0.
 */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  assert(Number.isInteger(partitionCount) && partitionCount > 0, 'the offsets topic has at least one partition');
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0;
  const abs = h === -0x80000000 ? 0 : Math.abs(h);
  return abs % partitionCount;
}

// ---- encoding ----

/** A string field: int16 length (-1 null), then UTF-8; the writer asserts it fits `groupStringBytesMax` (Kafka's 32,767). */
function writeString(w: ByteWriter, v: string | null): void {
  w.nullableString(false, v);
}

/** A bytes field: int32 length, then the bytes. */
function writeBytes(w: ByteWriter, v: Uint8Array): void {
  assert(v.length <= groupBytesMax, `bytes field of ${v.length} bytes is over ${groupBytesMax}`);
  w.bytes(false, v);
}

/** The key bytes of a record. Fields out of their type's range are bugs in the caller and fail an assertion. */
export function encodeGroupRecordKey(record: GroupRecord): Uint8Array {
  const w = new ByteWriter();
  if (record.type === 'OffsetCommit') {
    w.int16(offsetCommitKeyVersion);
    writeString(w, record.key.group);
    writeString(w, record.key.topic);
    w.int32(record.key.partition);
  } else {
    w.int16(groupMetadataKeyVersion);
    writeString(w, record.key.group);
  }
  return w.take();
}

/** The value bytes of a record, or null for a tombstone. */
export function encodeGroupRecordValue(record: GroupRecord): Uint8Array | null {
  if (record.value === null) return null;
  const w = new ByteWriter();
  if (record.type === 'OffsetCommit') {
    const v = record.value;
    if (v.expireTimestamp !== null) {
      assert(v.leaderEpoch === -1, 'OffsetCommitValue v1 (with an expire timestamp) has no leader epoch');
      w.int16(offsetCommitValueVersionWithExpiry);
      w.int64(v.offset);
      writeString(w, v.metadata);
      w.int64(v.commitTimestamp);
      w.int64(v.expireTimestamp);
    } else {
      w.int16(offsetCommitValueVersion);
      w.int64(v.offset);
      w.int32(v.leaderEpoch);
      writeString(w, v.metadata);
      w.int64(v.commitTimestamp);
    }
  } else {
    const v = record.value;
    w.int16(groupMetadataValueVersion);
    writeString(w, v.protocolType);
    w.int32(v.generation);
    writeString(w, v.protocol);
    writeString(w, v.leader);
    w.int64(v.currentStateTimestamp);
    assert(v.members.length <= groupMembersMax, `${v.members.length} members is over ${groupMembersMax}`);
    w.int32(v.members.length);
    for (const m of v.members) {
      writeString(w, m.memberId);
      writeString(w, m.groupInstanceId);
      writeString(w, m.clientId);
      writeString(w, m.clientHost);
      w.int32(m.rebalanceTimeout);
      w.int32(m.sessionTimeout);
      writeBytes(w, m.subscription);
      writeBytes(w, m.assignment);
    }
  }
  return w.take();
}

// ---- decoding ----

/** A reader of a record's key or value: every read bounded, CORRUPT_MESSAGE when malformed. */
function reader(bytes: Uint8Array): ByteReader {
  return new ByteReader(bytes, 'CORRUPT_MESSAGE', 0, bytes.length, '__consumer_offsets record');
}

/** An array count, checked against the bytes left (each element takes at least `elementBytesMin`). */
function readCount(r: ByteReader, what: string, elementBytesMin: number): number {
  const n = r.int32();
  if (n < 0) r.fail(`${what} count is ${n}`);
  if (n * elementBytesMin > r.remaining) r.fail(`${what} count ${n} runs past the end`);
  return n;
}

/** A bytes field, sliced out of the record's bytes (a copy when they are a plain Uint8Array, as the log's reads give them). */
function readBytes(r: ByteReader): Uint8Array {
  return r.bytes(false).slice();
}

/** The smallest encoded member: four empty strings, two int32s, two empty byte arrays. */
const memberBytesMin = 4 * 2 + 2 * 4 + 2 * 4;

function decodeOffsetCommitValue(r: ByteReader): OffsetCommitValue {
  const version = r.int16();
  if (version < 0 || version > 3) r.fail(`OffsetCommitValue version ${version} is not 0 to 3`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string(false);
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : null;
  r.done('OffsetCommitValue');
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

function decodeGroupMetadataValue(r: ByteReader): GroupMetadataValue {
  const version = r.int16();
  if (version < 0 || version > 3) r.fail(`GroupMetadataValue version ${version} is not 0 to 3`);
  const protocolType = r.string(false);
  const generation = r.int32();
  const protocol = r.nullableString(false);
  const leader = r.nullableString(false);
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const count = readCount(r, 'members', memberBytesMin - (version < 1 ? 4 : 0) - (version < 3 ? 2 : 0));
  const members: GroupMemberValue[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string(false);
    const groupInstanceId = version >= 3 ? r.nullableString(false) : null;
    const clientId = r.string(false);
    const clientHost = r.string(false);
    const sessionTimeoutV0 = version === 0 ? r.int32() : undefined;
    const rebalanceTimeout = version >= 1 ? r.int32() : sessionTimeoutV0!;
    const sessionTimeout = sessionTimeoutV0 ?? r.int32();
    const subscription = readBytes(r);
    const assignment = readBytes(r);
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  r.done('GroupMetadataValue');
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/**
 * Decodes a record of `__consumer_offsets` from its key and value (null for a tombstone).
 * Throws `TributaryError` `CORRUPT_MESSAGE` for anything that is not a record this
 * coordinator understands.
 */
export function decodeGroupRecord(key: Uint8Array, value: Uint8Array | null): GroupRecord {
  const k = reader(key);
  const keyVersion = k.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const group = k.string(false);
    const topic = k.string(false);
    const partition = k.int32();
    k.done('OffsetCommitKey');
    return { type: 'OffsetCommit', key: { group, topic, partition }, value: value === null ? null : decodeOffsetCommitValue(reader(value)) };
  }
  if (keyVersion === 2) {
    const group = k.string(false);
    k.done('GroupMetadataKey');
    return { type: 'GroupMetadata', key: { group }, value: value === null ? null : decodeGroupMetadataValue(reader(value)) };
  }
  return k.fail(`key version ${keyVersion} is not an offset commit (0, 1) or group metadata (2) key`);
}
