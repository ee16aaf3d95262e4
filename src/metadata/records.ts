/**
 * Metadata records, shaped after KRaft's (`metadata/src/main/resources/common/metadata/*.json`
 * in apache/kafka, KIP-631), and their binary codec.
 *
 * The cluster's metadata is a log of these records: the controller writes them through
 * Raft, and every controller and broker builds its `MetadataImage` by replaying them, so
 * they are the only source of truth. A snapshot is the same records again, enough to
 * rebuild one image.
 *
 * ## Encoding
 *
 * Each record is framed as Kafka frames metadata records (`MetadataRecordSerde`):
 *
 * ```
 * frameVersion  unsigned varint   always 1
 * apiKey        unsigned varint   the record type (KRaft's number)
 * version       unsigned varint   the record's schema version (0 for every type so far)
 * fields...                       in schema order
 * ```
 *
 * Field encodings, chosen for size because one million partitions means one million
 * Partition records in a snapshot:
 * - int8 and bool: one byte;
 * - int32 (ids, epochs): zig-zag varint, so broker id 3 or epoch 0 is one byte;
 * - int64 (broker epochs, producer ids, offsets): zig-zag varlong;
 * - string: unsigned varint length + 1 (0 is null), then UTF-8;
 * - int32 array: unsigned varint count + 1 (0 is null), then each element as a varint;
 * - Uuid: 16 raw bytes.
 *
 * Worked example: a Partition record for partition 7 of a topic, replicas = ISR = [1,2,3],
 * leader 1, both epochs 0, no ELR is 3 (frame) + 16 (topic id) + 1 (partition) + 4 + 4
 * (replicas, ISR) + 3 (leader and epochs) + 2 (null ELR arrays) = 33 bytes; Kafka's own
 * encoding of the same record is about 60.
 *
 * PartitionChange carries only what changed (Kafka uses tagged fields): a bit mask says
 * which of the optional fields follow.
 *
 * Decoding never trusts its input: an unknown apiKey or version, a truncated field, a
 * length past the end, invalid UTF-8, an out-of-range value or bytes left over is a
 * `TributaryError` with code `CORRUPT_MESSAGE`, never a `RangeError` or a huge allocation.
 */
import { assert, unreachable } from '../util/assert.js';
import { TributaryError } from '../util/errors.js';
import { Reader, sizeOfUnsignedVarint, writeUnsignedVarint, writeVarint, writeVarlong } from '../util/varint.js';
import { ConfigResourceType } from '../protocol/common.js';
import { uuidBytes, uuidFromBytes, writeUuid, type Uuid } from './uuid.js';

/** KRaft's apiKey for each metadata record type; the discriminant of {@link MetadataRecord}. */
export const ApiKey = {
  RegisterBroker: 0,
  UnregisterBroker: 1,
  Topic: 2,
  Partition: 3,
  Config: 4,
  PartitionChange: 5,
  FenceBroker: 7,
  UnfenceBroker: 8,
  RemoveTopic: 9,
  FeatureLevel: 12,
  ProducerIds: 15,
  NoOp: 20,
} as const;

// Kafka's `ConfigResource.Type` numbers, as ConfigRecord stores them, are the protocol's.
export { ConfigResourceType };

/** Kafka's "no leader" value for a partition. */
export const noLeader = -1;

/** A listener a broker accepts connections on (RegisterBrokerRecord.EndPoints). */
export interface BrokerEndpoint {
  /** The listener name, such as `PLAINTEXT`. */
  readonly name: string;
  readonly host: string;
  /** A TCP port, 0 to 65535. */
  readonly port: number;
  /** Kafka's `SecurityProtocol` id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL. */
  readonly securityProtocol: number;
}

/** A broker registered (or re-registered, as a new incarnation). Its `brokerEpoch` is the offset of this record. */
export interface RegisterBrokerRecord {
  readonly apiKey: typeof ApiKey.RegisterBroker;
  readonly brokerId: number;
  /** A Uuid the broker process picks when it starts: a new one means a restarted broker. */
  readonly incarnationId: Uuid;
  readonly brokerEpoch: number;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  /** Whether the broker starts fenced; the controller always registers brokers fenced. */
  readonly fenced: boolean;
}

export interface UnregisterBrokerRecord {
  readonly apiKey: typeof ApiKey.UnregisterBroker;
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** A topic was created. Its partitions follow as Partition records. */
export interface TopicRecord {
  readonly apiKey: typeof ApiKey.Topic;
  readonly name: string;
  readonly topicId: Uuid;
}

/** The full state of one partition: written when it is created, and in snapshots. */
export interface PartitionRecord {
  readonly apiKey: typeof ApiKey.Partition;
  readonly topicId: Uuid;
  readonly partitionId: number;
  /** The replicas, preferred leader first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** The leader's broker id, or -1 ({@link noLeader}). */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Bumped by every change to the partition; AlterPartition requests are fenced by it. */
  readonly partitionEpoch: number;
  /** KIP-966 eligible leader replicas; null when not in use (the controller does not elect from them yet). */
  readonly eligibleLeaderReplicas: readonly number[] | null;
  /** KIP-966 last known ELR; null when not in use. */
  readonly lastKnownElr: readonly number[] | null;
}

/**
 * A change to one partition: only the fields present changed. Replaying it bumps the
 * partition epoch, and bumps the leader epoch when `leader` is present (the leader
 * changed, possibly to -1), as Kafka does.
 */
export interface PartitionChangeRecord {
  readonly apiKey: typeof ApiKey.PartitionChange;
  readonly topicId: Uuid;
  readonly partitionId: number;
  readonly isr?: readonly number[];
  readonly leader?: number;
  readonly replicas?: readonly number[];
  readonly eligibleLeaderReplicas?: readonly number[] | null;
  readonly lastKnownElr?: readonly number[] | null;
}

/** Sets (`value` a string) or deletes (`value` null) one config of a topic or broker. */
export interface ConfigRecord {
  readonly apiKey: typeof ApiKey.Config;
  readonly resourceType: ConfigResourceType;
  /** The topic name, or the broker id as a string, or `''` for the cluster-wide broker default. */
  readonly resourceName: string;
  readonly name: string;
  readonly value: string | null;
}

export interface FenceBrokerRecord {
  readonly apiKey: typeof ApiKey.FenceBroker;
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

export interface UnfenceBrokerRecord {
  readonly apiKey: typeof ApiKey.UnfenceBroker;
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** A topic was deleted, with its partitions and configs. */
export interface RemoveTopicRecord {
  readonly apiKey: typeof ApiKey.RemoveTopic;
  readonly topicId: Uuid;
}

/** A finalized feature level, such as `metadata.version`; level 0 removes the feature. */
export interface FeatureLevelRecord {
  readonly apiKey: typeof ApiKey.FeatureLevel;
  readonly name: string;
  readonly featureLevel: number;
}

/** A block of producer ids was handed to a broker; `nextProducerId` is the first id not yet handed out. */
export interface ProducerIdsRecord {
  readonly apiKey: typeof ApiKey.ProducerIds;
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly nextProducerId: number;
}

/** Does nothing; written to show the metadata log is alive and to advance its high watermark. */
export interface NoOpRecord {
  readonly apiKey: typeof ApiKey.NoOp;
}

/** Any metadata record, discriminated by `apiKey`. */
export type MetadataRecord =
  | RegisterBrokerRecord
  | UnregisterBrokerRecord
  | TopicRecord
  | PartitionRecord
  | ConfigRecord
  | PartitionChangeRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | RemoveTopicRecord
  | FeatureLevelRecord
  | ProducerIdsRecord
  | NoOpRecord;

/** The most replicas (and ISR or ELR members) one partition may list; Kafka has no tighter rule than the broker count. */
export const partitionReplicasMax = 1024;
/** The most endpoints a broker may register. */
export const brokerEndpointsMax = 64;
/** The longest string field, in UTF-8 bytes: Kafka's strings are int16-length-prefixed. */
export const metadataStringBytesMax = 0x7fff;
/**
 * The largest magnitude of an int64 field (broker epochs, producer ids). Kafka's are
 * int64; Tributary keeps them JavaScript numbers, and the zig-zag varlong of a number is
 * exact below 2^52, which no offset or producer id will reach (at a million records a
 * second, 2^52 offsets last 142 years).
 */
export const metadataInt64Max = 2 ** 52 - 1;
/** The frame version written before every record, as Kafka's `MetadataRecordSerde` does. */
export const metadataFrameVersion = 1;

/** The schema version this code writes for each record type; it reads any version up to this. */
const currentVersion = 0;

// PartitionChange presence bits, in the order the optional fields are written.
const changeIsr = 1;
const changeLeader = 2;
const changeReplicas = 4;
const changeElr = 8;
const changeLastKnownElr = 16;
const changeKnownBits = 31;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A growable output buffer, reused across calls: encoding a million records allocates
 * only the returned copies, not a scratch buffer each.
 */
class Writer {
  buf = new Uint8Array(256);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  uvarint(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `unsigned varint out of range: ${v}`);
    this.ensure(5);
    this.pos = writeUnsignedVarint(this.buf, this.pos, v);
  }

  int32(v: number): void {
    assert(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff, `int32 out of range: ${v}`);
    this.ensure(5);
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  int64(v: number): void {
    assert(Number.isInteger(v) && Math.abs(v) <= metadataInt64Max, `int64 field out of range: ${v}`);
    this.ensure(10);
    this.pos = writeVarlong(this.buf, this.pos, v);
  }

  uuid(v: Uuid): void {
    this.ensure(uuidBytes);
    writeUuid(this.buf, this.pos, v);
    this.pos += uuidBytes;
  }

  string(v: string | null): void {
    if (v === null) {
      this.uvarint(0);
      return;
    }
    const bytes = utf8Encoder.encode(v);
    assert(bytes.length <= metadataStringBytesMax, `string field of ${bytes.length} bytes is over ${metadataStringBytesMax}`);
    this.uvarint(bytes.length + 1);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  int32s(v: readonly number[] | null): void {
    if (v === null) {
      this.uvarint(0);
      return;
    }
    assert(v.length <= partitionReplicasMax, `replica list of ${v.length} is over ${partitionReplicasMax}`);
    this.uvarint(v.length + 1);
    for (const x of v) this.int32(x);
  }

  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const scratch = new Writer();

function writeBody(w: Writer, r: MetadataRecord): void {
  w.uvarint(metadataFrameVersion);
  w.uvarint(r.apiKey);
  w.uvarint(currentVersion);
  switch (r.apiKey) {
    case ApiKey.RegisterBroker:
      w.int32(r.brokerId);
      w.uuid(r.incarnationId);
      w.int64(r.brokerEpoch);
      assert(r.endpoints.length <= brokerEndpointsMax, `${r.endpoints.length} endpoints is over ${brokerEndpointsMax}`);
      w.uvarint(r.endpoints.length);
      for (const e of r.endpoints) {
        assert(Number.isInteger(e.port) && e.port >= 0 && e.port <= 0xffff, `port out of range: ${e.port}`);
        w.string(e.name);
        w.string(e.host);
        w.int32(e.port);
        w.int32(e.securityProtocol);
      }
      w.string(r.rack);
      w.bool(r.fenced);
      return;
    case ApiKey.UnregisterBroker:
    case ApiKey.FenceBroker:
    case ApiKey.UnfenceBroker:
      w.int32(r.brokerId);
      w.int64(r.brokerEpoch);
      return;
    case ApiKey.Topic:
      w.string(r.name);
      w.uuid(r.topicId);
      return;
    case ApiKey.Partition:
      w.uuid(r.topicId);
      w.int32(r.partitionId);
      w.int32s(r.replicas);
      w.int32s(r.isr);
      w.int32(r.leader);
      w.int32(r.leaderEpoch);
      w.int32(r.partitionEpoch);
      w.int32s(r.eligibleLeaderReplicas);
      w.int32s(r.lastKnownElr);
      return;
    case ApiKey.PartitionChange: {
      w.uuid(r.topicId);
      w.int32(r.partitionId);
      let mask = 0;
      if (r.isr !== undefined) mask |= changeIsr;
      if (r.leader !== undefined) mask |= changeLeader;
      if (r.replicas !== undefined) mask |= changeReplicas;
      if (r.eligibleLeaderReplicas !== undefined) mask |= changeElr;
      if (r.lastKnownElr !== undefined) mask |= changeLastKnownElr;
      w.uvarint(mask);
      if (r.isr !== undefined) w.int32s(r.isr);
      if (r.leader !== undefined) w.int32(r.leader);
      if (r.replicas !== undefined) w.int32s(r.replicas);
      if (r.eligibleLeaderReplicas !== undefined) w.int32s(r.eligibleLeaderReplicas);
      if (r.lastKnownElr !== undefined) w.int32s(r.lastKnownElr);
      return;
    }
    case ApiKey.Config:
      w.u8(r.resourceType);
      w.string(r.resourceName);
      w.string(r.name);
      w.string(r.value);
      return;
    case ApiKey.RemoveTopic:
      w.uuid(r.topicId);
      return;
    case ApiKey.FeatureLevel:
      w.string(r.name);
      w.int32(r.featureLevel);
      return;
    case ApiKey.ProducerIds:
      w.int32(r.brokerId);
      w.int64(r.brokerEpoch);
      w.int64(r.nextProducerId);
      return;
    case ApiKey.NoOp:
      return;
    default:
      unreachable(r, 'unknown metadata record type');
  }
}

/**
 * Encodes one metadata record. Fields out of their type's range (a non-integer epoch, a
 * malformed Uuid) are bugs in the caller and fail an assertion.
 */
export function encodeMetadataRecord(record: MetadataRecord): Uint8Array {
  scratch.reset();
  writeBody(scratch, record);
  return scratch.take();
}

/**
 * Encodes a sequence of records into one buffer, each as an unsigned varint length and
 * its bytes (no count: the buffer's end is the end of the sequence). A controller result
 * appended as one Raft entry, or a chunk of a snapshot, is one of these.
 */
export class MetadataRecordsWriter {
  private readonly w = new Writer();
  private count = 0;

  /** Bytes written so far. */
  get byteLength(): number {
    return this.w.pos;
  }

  /** Records written so far. */
  get recordCount(): number {
    return this.count;
  }

  add(record: MetadataRecord): void {
    const w = this.w;
    // Reserve the longest length prefix a record can need, write the body, then move it
    // back over the unused bytes of the prefix (records are short: usually one byte).
    const lengthAt = w.pos;
    w.ensure(5);
    w.pos += 5;
    const bodyAt = w.pos;
    writeBody(w, record);
    const length = w.pos - bodyAt;
    const prefix = sizeOfUnsignedVarint(length);
    writeUnsignedVarint(w.buf, lengthAt, length);
    w.buf.copyWithin(lengthAt + prefix, bodyAt, w.pos);
    w.pos = lengthAt + prefix + length;
    this.count++;
  }

  /** The bytes written, and a fresh start. */
  take(): Uint8Array {
    const out = this.w.take();
    this.w.reset();
    this.count = 0;
    return out;
  }
}

/** Encodes records as {@link MetadataRecordsWriter} does. */
export function encodeMetadataRecords(records: Iterable<MetadataRecord>): Uint8Array {
  const w = new MetadataRecordsWriter();
  for (const r of records) w.add(r);
  return w.take();
}

/** Thrown inside the decoder and turned into a `TributaryError` at its edge. */
class Corrupt {
  constructor(readonly why: string) {}
}

function corrupt(why: string): never {
  throw new Corrupt(why);
}

class Decoder {
  /** Where the last Uuid was read, to reuse its string when the next one has the same bytes. */
  private lastUuidAt = -1;
  private lastUuid: Uuid = '';

  constructor(readonly r: Reader) {}

  u8(): number {
    if (this.r.pos >= this.r.end) corrupt('truncated');
    return this.r.buf[this.r.pos++]!;
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) corrupt(`a boolean byte is ${b}`);
    return b === 1;
  }

  uvarint(): number {
    const v = this.r.unsignedVarint();
    if (v === undefined) corrupt('truncated or overlong unsigned varint');
    return v;
  }

  int32(): number {
    const v = this.r.varint();
    if (v === undefined) corrupt('truncated or overlong varint');
    return v;
  }

  /** An int32 that must be at least `min` (an id, an epoch). */
  int32Min(min: number, what: string): number {
    const v = this.int32();
    if (v < min) corrupt(`${what} is ${v}, below ${min}`);
    return v;
  }

  int64(): number {
    const v = this.r.varlong();
    if (v === undefined) corrupt('truncated, overlong or unsafe varlong');
    if (Math.abs(v) > metadataInt64Max) corrupt(`int64 ${v} is out of range`);
    return v;
  }

  uuid(): Uuid {
    const r = this.r;
    if (r.remaining < uuidBytes) corrupt('truncated Uuid');
    // A snapshot lists a topic's partitions one after another, each with the topic's id:
    // comparing 16 bytes with the previous id is cheaper than printing a new string, and
    // shares one string among them.
    const buf = r.buf;
    const at = this.lastUuidAt;
    let same = at >= 0;
    for (let i = 0; same && i < uuidBytes; i++) same = buf[at + i] === buf[r.pos + i];
    if (!same) {
      this.lastUuid = uuidFromBytes(buf, r.pos);
      this.lastUuidAt = r.pos;
    }
    r.pos += uuidBytes;
    return this.lastUuid;
  }

  nullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const length = n - 1;
    if (length > metadataStringBytesMax) corrupt(`string of ${length} bytes is over ${metadataStringBytesMax}`);
    if (length > this.r.remaining) corrupt('string runs past the end');
    let text: string;
    try {
      text = utf8Decoder.decode(this.r.buf.subarray(this.r.pos, this.r.pos + length));
    } catch {
      corrupt('string is not valid UTF-8');
    }
    this.r.pos += length;
    return text;
  }

  string(what: string): string {
    const s = this.nullableString();
    if (s === null) corrupt(`${what} is null`);
    return s;
  }

  nullableInt32s(min: number, what: string): number[] | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const count = n - 1;
    // Each element takes at least one byte, so a count past the remaining bytes is a lie
    // that would otherwise allocate a huge array.
    if (count > partitionReplicasMax) corrupt(`${what} has ${count} entries, over ${partitionReplicasMax}`);
    if (count > this.r.remaining) corrupt(`${what} runs past the end`);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.int32Min(min, what);
    return out;
  }

  int32s(min: number, what: string): number[] {
    const v = this.nullableInt32s(min, what);
    if (v === null) corrupt(`${what} is null`);
    return v;
  }
}

function readBody(d: Decoder): MetadataRecord {
  const frame = d.uvarint();
  if (frame !== metadataFrameVersion) corrupt(`unknown frame version ${frame}`);
  const apiKey = d.uvarint();
  const version = d.uvarint();
  if (version > currentVersion) corrupt(`apiKey ${apiKey} version ${version} is newer than this code reads (${currentVersion})`);
  switch (apiKey) {
    case ApiKey.RegisterBroker: {
      const brokerId = d.int32Min(0, 'broker id');
      const incarnationId = d.uuid();
      const brokerEpoch = d.int64();
      const endpointCount = d.uvarint();
      if (endpointCount > brokerEndpointsMax) corrupt(`${endpointCount} endpoints is over ${brokerEndpointsMax}`);
      const endpoints: BrokerEndpoint[] = [];
      for (let i = 0; i < endpointCount; i++) {
        const name = d.string('endpoint name');
        const host = d.string('endpoint host');
        const port = d.int32();
        if (port < 0 || port > 0xffff) corrupt(`port ${port} is out of range`);
        const securityProtocol = d.int32();
        endpoints.push({ name, host, port, securityProtocol });
      }
      const rack = d.nullableString();
      const fenced = d.bool();
      return { apiKey: ApiKey.RegisterBroker, brokerId, incarnationId, brokerEpoch, endpoints, rack, fenced };
    }
    case ApiKey.UnregisterBroker:
    case ApiKey.FenceBroker:
    case ApiKey.UnfenceBroker: {
      const brokerId = d.int32Min(0, 'broker id');
      const brokerEpoch = d.int64();
      if (apiKey === ApiKey.UnregisterBroker) return { apiKey: ApiKey.UnregisterBroker, brokerId, brokerEpoch };
      if (apiKey === ApiKey.FenceBroker) return { apiKey: ApiKey.FenceBroker, brokerId, brokerEpoch };
      return { apiKey: ApiKey.UnfenceBroker, brokerId, brokerEpoch };
    }
    case ApiKey.Topic: {
      const name = d.string('topic name');
      const topicId = d.uuid();
      return { apiKey: ApiKey.Topic, name, topicId };
    }
    case ApiKey.Partition: {
      const topicId = d.uuid();
      const partitionId = d.int32Min(0, 'partition id');
      const replicas = d.int32s(0, 'replicas');
      const isr = d.int32s(0, 'isr');
      const leader = d.int32Min(noLeader, 'leader');
      const leaderEpoch = d.int32Min(0, 'leader epoch');
      const partitionEpoch = d.int32Min(0, 'partition epoch');
      const eligibleLeaderReplicas = d.nullableInt32s(0, 'eligible leader replicas');
      const lastKnownElr = d.nullableInt32s(0, 'last known ELR');
      return { apiKey: ApiKey.Partition, topicId, partitionId, replicas, isr, leader, leaderEpoch, partitionEpoch, eligibleLeaderReplicas, lastKnownElr };
    }
    case ApiKey.PartitionChange: {
      const topicId = d.uuid();
      const partitionId = d.int32Min(0, 'partition id');
      const mask = d.uvarint();
      if (mask > changeKnownBits) corrupt(`unknown PartitionChange fields in mask ${mask}`);
      const change: { -readonly [K in keyof PartitionChangeRecord]: PartitionChangeRecord[K] } = { apiKey: ApiKey.PartitionChange, topicId, partitionId };
      if (mask & changeIsr) change.isr = d.int32s(0, 'isr');
      if (mask & changeLeader) change.leader = d.int32Min(noLeader, 'leader');
      if (mask & changeReplicas) change.replicas = d.int32s(0, 'replicas');
      if (mask & changeElr) change.eligibleLeaderReplicas = d.nullableInt32s(0, 'eligible leader replicas');
      if (mask & changeLastKnownElr) change.lastKnownElr = d.nullableInt32s(0, 'last known ELR');
      return change;
    }
    case ApiKey.Config: {
      const resourceType = d.u8();
      if (resourceType !== ConfigResourceType.Topic && resourceType !== ConfigResourceType.Broker) corrupt(`unknown config resource type ${resourceType}`);
      const resourceName = d.string('resource name');
      const name = d.string('config name');
      const value = d.nullableString();
      return { apiKey: ApiKey.Config, resourceType, resourceName, name, value };
    }
    case ApiKey.RemoveTopic:
      return { apiKey: ApiKey.RemoveTopic, topicId: d.uuid() };
    case ApiKey.FeatureLevel: {
      const name = d.string('feature name');
      const featureLevel = d.int32();
      if (featureLevel < 0 || featureLevel > 0x7fff) corrupt(`feature level ${featureLevel} is not an int16 >= 0`);
      return { apiKey: ApiKey.FeatureLevel, name, featureLevel };
    }
    case ApiKey.ProducerIds: {
      const brokerId = d.int32Min(0, 'broker id');
      const brokerEpoch = d.int64();
      const nextProducerId = d.int64();
      if (nextProducerId < 0) corrupt(`next producer id ${nextProducerId} is negative`);
      return { apiKey: ApiKey.ProducerIds, brokerId, brokerEpoch, nextProducerId };
    }
    case ApiKey.NoOp:
      return { apiKey: ApiKey.NoOp };
    default:
      return corrupt(`unknown metadata record apiKey ${apiKey}`);
  }
}

function asTributaryError(err: unknown): unknown {
  if (err instanceof Corrupt) return new TributaryError('CORRUPT_MESSAGE', `corrupt metadata record: ${err.why}`);
  return err;
}

/** Decodes one record encoded by {@link encodeMetadataRecord}. Throws `CORRUPT_MESSAGE` for anything else. */
export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  try {
    const d = new Decoder(new Reader(bytes));
    const record = readBody(d);
    if (d.r.remaining !== 0) corrupt(`${d.r.remaining} bytes left after the record`);
    return record;
  } catch (err) {
    throw asTributaryError(err);
  }
}

/**
 * Calls `fn` for each record of a buffer written by {@link MetadataRecordsWriter}, in
 * order. Throws `CORRUPT_MESSAGE` at the first malformed record (after calling `fn` for
 * the ones before it).
 */
export function forEachMetadataRecord(bytes: Uint8Array, fn: (record: MetadataRecord, index: number) => void): void {
  // One reader for the whole buffer: a record that reads past its length is caught by the
  // position check after it (it cannot read past the buffer), and a million records need
  // no million readers.
  const reader = new Reader(bytes);
  const d = new Decoder(reader);
  let index = 0;
  while (reader.remaining > 0) {
    let record: MetadataRecord;
    try {
      const length = d.uvarint();
      if (length > reader.remaining) corrupt(`record ${index} of ${length} bytes runs past the end`);
      const end = reader.pos + length;
      record = readBody(d);
      if (reader.pos !== end) corrupt(`record ${index} takes ${reader.pos - end + length} bytes, not the ${length} its length says`);
    } catch (err) {
      throw asTributaryError(err);
    }
    fn(record, index++);
  }
}

/** Decodes the output of {@link encodeMetadataRecords}. Throws `CORRUPT_MESSAGE` for anything else. */
export function decodeMetadataRecords(bytes: Uint8Array): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  forEachMetadataRecord(bytes, (r) => out.push(r));
  return out;
}

/** A short human-readable name for a record's type, for messages. */
export function metadataRecordName(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return `${name}Record`;
  return `apiKey ${apiKey}`;
}
