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
import { TributaryError } from '../../util/errors.js';

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
/** Int64 fields are JavaScript numbers: exact below 2^53. */
const int64Max = Number.MAX_SAFE_INTEGER;

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

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int16(v: number): void {
    assert(Number.isInteger(v) && v >= -0x8000 && v <= 0x7fff, `int16 out of range: ${v}`);
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }

  int32(v: number): void {
    assert(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff, `int32 out of range: ${v}`);
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }

  int64(v: number): void {
    assert(Number.isSafeInteger(v), `int64 field out of the safe integer range: ${v}`);
    this.ensure(8);
    this.view.setInt32(this.pos, Math.floor(v / 0x100000000));
    this.view.setUint32(this.pos + 4, v >>> 0);
    this.pos += 8;
  }

  string(v: string | null): void {
    if (v === null) {
      this.int16(-1);
      return;
    }
    const bytes = utf8Encoder.encode(v);
    assert(bytes.length <= groupStringBytesMax, `string field of ${bytes.length} bytes is over ${groupStringBytesMax}`);
    this.int16(bytes.length);
    this.raw(bytes);
  }

  bytes(v: Uint8Array): void {
    assert(v.length <= groupBytesMax, `bytes field of ${v.length} bytes is over ${groupBytesMax}`);
    this.int32(v.length);
    this.raw(v);
  }

  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** The key bytes of a record. Fields out of their type's range are bugs in the caller and fail an assertion. */
export function encodeGroupRecordKey(record: GroupRecord): Uint8Array {
  const w = new Writer();
  if (record.type === 'OffsetCommit') {
    w.int16(offsetCommitKeyVersion);
    w.string(record.key.group);
    w.string(record.key.topic);
    w.int32(record.key.partition);
  } else {
    w.int16(groupMetadataKeyVersion);
    w.string(record.key.group);
  }
  return w.take();
}

/** The value bytes of a record, or null for a tombstone. */
export function encodeGroupRecordValue(record: GroupRecord): Uint8Array | null {
  if (record.value === null) return null;
  const w = new Writer();
  if (record.type === 'OffsetCommit') {
    const v = record.value;
    if (v.expireTimestamp !== null) {
      assert(v.leaderEpoch === -1, 'OffsetCommitValue v1 (with an expire timestamp) has no leader epoch');
      w.int16(offsetCommitValueVersionWithExpiry);
      w.int64(v.offset);
      w.string(v.metadata);
      w.int64(v.commitTimestamp);
      w.int64(v.expireTimestamp);
    } else {
      w.int16(offsetCommitValueVersion);
      w.int64(v.offset);
      w.int32(v.leaderEpoch);
      w.string(v.metadata);
      w.int64(v.commitTimestamp);
    }
  } else {
    const v = record.value;
    w.int16(groupMetadataValueVersion);
    w.string(v.protocolType);
    w.int32(v.generation);
    w.string(v.protocol);
    w.string(v.leader);
    w.int64(v.currentStateTimestamp);
    assert(v.members.length <= groupMembersMax, `${v.members.length} members is over ${groupMembersMax}`);
    w.int32(v.members.length);
    for (const m of v.members) {
      w.string(m.memberId);
      w.string(m.groupInstanceId);
      w.string(m.clientId);
      w.string(m.clientHost);
      w.int32(m.rebalanceTimeout);
      w.int32(m.sessionTimeout);
      w.bytes(m.subscription);
      w.bytes(m.assignment);
    }
  }
  return w.take();
}

// ---- decoding ----

/** Thrown inside the decoder and turned into a `TributaryError` at its edge. */
class Corrupt {
  constructor(readonly why: string) {}
}

function corrupt(why: string): never {
  throw new Corrupt(why);
}

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) corrupt(`truncated ${what}`);
  }

  int16(what: string): number {
    this.need(2, what);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  int64(what: string): number {
    this.need(8, what);
    const high = this.view.getInt32(this.pos);
    const low = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    const v = high * 0x100000000 + low;
    if (!Number.isSafeInteger(v) || Math.abs(v) > int64Max) corrupt(`${what} ${v} is outside the safe integer range`);
    return v;
  }

  nullableString(what: string): string | null {
    const n = this.int16(`${what} length`);
    if (n === -1) return null;
    if (n < 0) corrupt(`${what} has length ${n}`);
    this.need(n, what);
    let text: string;
    try {
      text = utf8Decoder.decode(this.buf.subarray(this.pos, this.pos + n));
    } catch {
      corrupt(`${what} is not valid UTF-8`);
    }
    this.pos += n;
    return text;
  }

  string(what: string): string {
    const s = this.nullableString(what);
    if (s === null) corrupt(`${what} is null`);
    return s;
  }

  bytes(what: string): Uint8Array {
    const n = this.int32(`${what} length`);
    if (n < 0) corrupt(`${what} has length ${n}`);
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An array count, checked against the bytes left (each element takes at least `elementBytesMin`). */
  count(what: string, elementBytesMin: number): number {
    const n = this.int32(`${what} count`);
    if (n < 0) corrupt(`${what} count is ${n}`);
    if (n * elementBytesMin > this.buf.length - this.pos) corrupt(`${what} count ${n} runs past the end`);
    return n;
  }

  end(what: string): void {
    if (this.pos !== this.buf.length) corrupt(`${this.buf.length - this.pos} bytes left over after the ${what}`);
  }
}

/** The smallest encoded member: four empty strings, two int32s, two empty byte arrays. */
const memberBytesMin = 4 * 2 + 2 * 4 + 2 * 4;

function decodeOffsetCommitValue(r: Reader): OffsetCommitValue {
  const version = r.int16('value version');
  if (version < 0 || version > 3) corrupt(`OffsetCommitValue version ${version} is not 0 to 3`);
  const offset = r.int64('offset');
  const leaderEpoch = version >= 3 ? r.int32('leader epoch') : -1;
  const metadata = r.string('metadata');
  const commitTimestamp = r.int64('commit timestamp');
  const expireTimestamp = version === 1 ? r.int64('expire timestamp') : null;
  r.end('OffsetCommitValue');
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

function decodeGroupMetadataValue(r: Reader): GroupMetadataValue {
  const version = r.int16('value version');
  if (version < 0 || version > 3) corrupt(`GroupMetadataValue version ${version} is not 0 to 3`);
  const protocolType = r.string('protocol type');
  const generation = r.int32('generation');
  const protocol = r.nullableString('protocol');
  const leader = r.nullableString('leader');
  const currentStateTimestamp = version >= 2 ? r.int64('current state timestamp') : -1;
  const count = r.count('members', memberBytesMin - (version < 1 ? 4 : 0) - (version < 3 ? 2 : 0));
  const members: GroupMemberValue[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string('member id');
    const groupInstanceId = version >= 3 ? r.nullableString('group instance id') : null;
    const clientId = r.string('client id');
    const clientHost = r.string('client host');
    const sessionTimeoutV0 = version === 0 ? r.int32('session timeout') : undefined;
    const rebalanceTimeout = version >= 1 ? r.int32('rebalance timeout') : sessionTimeoutV0!;
    const sessionTimeout = sessionTimeoutV0 ?? r.int32('session timeout');
    const subscription = r.bytes('subscription');
    const assignment = r.bytes('assignment');
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  r.end('GroupMetadataValue');
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}

/**
 * Decodes a record of `__consumer_offsets` from its key and value (null for a tombstone).
 * Throws `TributaryError` `CORRUPT_MESSAGE` for anything that is not a record this
 * coordinator understands.
 */
export function decodeGroupRecord(key: Uint8Array, value: Uint8Array | null): GroupRecord {
  try {
    const k = new Reader(key);
    const keyVersion = k.int16('key version');
    if (keyVersion === 0 || keyVersion === 1) {
      const group = k.string('group');
      const topic = k.string('topic');
      const partition = k.int32('partition');
      k.end('OffsetCommitKey');
      return { type: 'OffsetCommit', key: { group, topic, partition }, value: value === null ? null : decodeOffsetCommitValue(new Reader(value)) };
    }
    if (keyVersion === 2) {
      const group = k.string('group');
      k.end('GroupMetadataKey');
      return { type: 'GroupMetadata', key: { group }, value: value === null ? null : decodeGroupMetadataValue(new Reader(value)) };
    }
    return corrupt(`key version ${keyVersion} is not an offset commit (0, 1) or group metadata (2) key`);
  } catch (err) {
    if (err instanceof Corrupt) throw new TributaryError('CORRUPT_MESSAGE', `__consumer_offsets record: ${err.why}`);
    throw err;
  }
}
