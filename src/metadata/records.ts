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
import { ByteReader } from '../util/byte-reader.js';
import { ByteWriter } from '../util/byte-writer.js';
import { ConfigResourceType } from '../protocol/common.js';
import { uuidBytes, uuidFromBytes, type Uuid } from './uuid.js';

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

/**
 * The writer behind `encodeMetadataRecord`, reused across calls: encoding a million records
 * allocates only the returned copies, not a scratch buffer each.
 */
const scratch = new ByteWriter();

/** An int32 field: a zig-zag varint. */
function int32(w: ByteWriter, v: number): void {
  w.varint(v);
}

/** An int64 field: a zig-zag varlong, exact within `metadataInt64Max`. */
function int64(w: ByteWriter, v: number): void {
  if (!(Number.isInteger(v) && Math.abs(v) <= metadataInt64Max)) assert(false, `int64 field out of range: ${v}`);
  w.varlong(v);
}

/** A string field: unsigned varint length + 1 (0 is null), then UTF-8 (the wire's compact string). */
function string(w: ByteWriter, v: string | null): void {
  w.nullableString(true, v);
}

/** An int32 array field: unsigned varint count + 1 (0 is null), then each element as a varint. */
function int32s(w: ByteWriter, v: readonly number[] | null): void {
  if (v === null) {
    w.unsignedVarint(0);
    return;
  }
  if (v.length > partitionReplicasMax) assert(false, `replica list of ${v.length} is over ${partitionReplicasMax}`);
  w.unsignedVarint(v.length + 1);
  for (const x of v) w.varint(x);
}

function writeBody(w: ByteWriter, r: MetadataRecord): void {
  w.unsignedVarint(metadataFrameVersion);
  w.unsignedVarint(r.apiKey);
  w.unsignedVarint(currentVersion);
  switch (r.apiKey) {
    case ApiKey.RegisterBroker:
      int32(w, r.brokerId);
      w.uuid(r.incarnationId);
      int64(w, r.brokerEpoch);
      assert(r.endpoints.length <= brokerEndpointsMax, `${r.endpoints.length} endpoints is over ${brokerEndpointsMax}`);
      w.unsignedVarint(r.endpoints.length);
      for (const e of r.endpoints) {
        assert(Number.isInteger(e.port) && e.port >= 0 && e.port <= 0xffff, `port out of range: ${e.port}`);
        string(w, e.name);
        string(w, e.host);
        int32(w, e.port);
        int32(w, e.securityProtocol);
      }
      string(w, r.rack);
      w.bool(r.fenced);
      return;
    case ApiKey.UnregisterBroker:
    case ApiKey.FenceBroker:
    case ApiKey.UnfenceBroker:
      int32(w, r.brokerId);
      int64(w, r.brokerEpoch);
      return;
    case ApiKey.Topic:
      string(w, r.name);
      w.uuid(r.topicId);
      return;
    case ApiKey.Partition:
      w.uuid(r.topicId);
      int32(w, r.partitionId);
      int32s(w, r.replicas);
      int32s(w, r.isr);
      int32(w, r.leader);
      int32(w, r.leaderEpoch);
      int32(w, r.partitionEpoch);
      int32s(w, r.eligibleLeaderReplicas);
      int32s(w, r.lastKnownElr);
      return;
    case ApiKey.PartitionChange: {
      w.uuid(r.topicId);
      int32(w, r.partitionId);
      let mask = 0;
      if (r.isr !== undefined) mask |= changeIsr;
      if (r.leader !== undefined) mask |= changeLeader;
      if (r.replicas !== undefined) mask |= changeReplicas;
      if (r.eligibleLeaderReplicas !== undefined) mask |= changeElr;
      if (r.lastKnownElr !== undefined) mask |= changeLastKnownElr;
      w.unsignedVarint(mask);
      if (r.isr !== undefined) int32s(w, r.isr);
      if (r.leader !== undefined) int32(w, r.leader);
      if (r.replicas !== undefined) int32s(w, r.replicas);
      if (r.eligibleLeaderReplicas !== undefined) int32s(w, r.eligibleLeaderReplicas);
      if (r.lastKnownElr !== undefined) int32s(w, r.lastKnownElr);
      return;
    }
    case ApiKey.Config:
      w.uint8(r.resourceType);
      string(w, r.resourceName);
      string(w, r.name);
      string(w, r.value);
      return;
    case ApiKey.RemoveTopic:
      w.uuid(r.topicId);
      return;
    case ApiKey.FeatureLevel:
      string(w, r.name);
      int32(w, r.featureLevel);
      return;
    case ApiKey.ProducerIds:
      int32(w, r.brokerId);
      int64(w, r.brokerEpoch);
      int64(w, r.nextProducerId);
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
  writeBody(scratch.reset(), record);
  return scratch.take();
}

/**
 * Encodes a sequence of records into one buffer, each as an unsigned varint length and
 * its bytes (no count: the buffer's end is the end of the sequence). A controller result
 * appended as one Raft entry, or a chunk of a snapshot, is one of these.
 */
export class MetadataRecordsWriter {
  private readonly w = new ByteWriter();
  private count = 0;

  /** Bytes written so far. */
  get byteLength(): number {
    return this.w.position;
  }

  /** Records written so far. */
  get recordCount(): number {
    return this.count;
  }

  add(record: MetadataRecord): void {
    this.w.lengthPrefixed((w) => writeBody(w, record));
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

/** What every decoding error's message starts with. */
const context = 'corrupt metadata record';

/**
 * The metadata fields over the one bounded reader, which throws `CORRUPT_MESSAGE` for a
 * truncated field, an overlong varint, a length past the end or invalid UTF-8.
 */
class Decoder {
  /** Where the last Uuid was read, to reuse its string when the next one has the same bytes. */
  private lastUuidAt = -1;
  private lastUuid: Uuid = '';

  constructor(readonly r: ByteReader) {}

  fail(why: string): never {
    return this.r.fail(why);
  }

  u8(): number {
    return this.r.uint8();
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`a boolean byte is ${b}`);
    return b === 1;
  }

  uvarint(): number {
    return this.r.unsignedVarint();
  }

  int32(): number {
    return this.r.varint();
  }

  /** An int32 that must be at least `min` (an id, an epoch). */
  int32Min(min: number, what: string): number {
    const v = this.int32();
    if (v < min) this.fail(`${what} is ${v}, below ${min}`);
    return v;
  }

  int64(): number {
    const v = this.r.varlong();
    if (Math.abs(v) > metadataInt64Max) this.fail(`int64 ${v} is out of range`);
    return v;
  }

  uuid(): Uuid {
    const r = this.r;
    const pos = r.position;
    r.skip(uuidBytes, 'a Uuid');
    // A snapshot lists a topic's partitions one after another, each with the topic's id:
    // comparing 16 bytes with the previous id is cheaper than printing a new string, and
    // shares one string among them.
    const buf = r.buf;
    const at = this.lastUuidAt;
    let same = at >= 0;
    for (let i = 0; same && i < uuidBytes; i++) same = buf[at + i] === buf[pos + i];
    if (!same) {
      this.lastUuid = uuidFromBytes(buf, pos);
      this.lastUuidAt = pos;
    }
    return this.lastUuid;
  }

  nullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const length = n - 1;
    if (length > metadataStringBytesMax) this.fail(`string of ${length} bytes is over ${metadataStringBytesMax}`);
    return this.r.text(length);
  }

  string(what: string): string {
    const s = this.nullableString();
    if (s === null) this.fail(`${what} is null`);
    return s;
  }

  nullableInt32s(min: number, what: string): number[] | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const count = n - 1;
    // Each element takes at least one byte, so a count past the remaining bytes is a lie
    // that would otherwise allocate a huge array.
    if (count > partitionReplicasMax) this.fail(`${what} has ${count} entries, over ${partitionReplicasMax}`);
    if (count > this.r.remaining) this.fail(`${what} runs past the end`);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.int32Min(min, what);
    return out;
  }

  int32s(min: number, what: string): number[] {
    const v = this.nullableInt32s(min, what);
    if (v === null) this.fail(`${what} is null`);
    return v;
  }
}

function readBody(d: Decoder): MetadataRecord {
  const frame = d.uvarint();
  if (frame !== metadataFrameVersion) d.fail(`unknown frame version ${frame}`);
  const apiKey = d.uvarint();
  const version = d.uvarint();
  if (version > currentVersion) d.fail(`apiKey ${apiKey} version ${version} is newer than this code reads (${currentVersion})`);
  switch (apiKey) {
    case ApiKey.RegisterBroker: {
      const brokerId = d.int32Min(0, 'broker id');
      const incarnationId = d.uuid();
      const brokerEpoch = d.int64();
      const endpointCount = d.uvarint();
      if (endpointCount > brokerEndpointsMax) d.fail(`${endpointCount} endpoints is over ${brokerEndpointsMax}`);
      const endpoints: BrokerEndpoint[] = [];
      for (let i = 0; i < endpointCount; i++) {
        const name = d.string('endpoint name');
        const host = d.string('endpoint host');
        const port = d.int32();
        if (port < 0 || port > 0xffff) d.fail(`port ${port} is out of range`);
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
      if (mask > changeKnownBits) d.fail(`unknown PartitionChange fields in mask ${mask}`);
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
      if (resourceType !== ConfigResourceType.Topic && resourceType !== ConfigResourceType.Broker) d.fail(`unknown config resource type ${resourceType}`);
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
      if (featureLevel < 0 || featureLevel > 0x7fff) d.fail(`feature level ${featureLevel} is not an int16 >= 0`);
      return { apiKey: ApiKey.FeatureLevel, name, featureLevel };
    }
    case ApiKey.ProducerIds: {
      const brokerId = d.int32Min(0, 'broker id');
      const brokerEpoch = d.int64();
      const nextProducerId = d.int64();
      if (nextProducerId < 0) d.fail(`next producer id ${nextProducerId} is negative`);
      return { apiKey: ApiKey.ProducerIds, brokerId, brokerEpoch, nextProducerId };
    }
    case ApiKey.NoOp:
      return { apiKey: ApiKey.NoOp };
    default:
      return d.fail(`unknown metadata record apiKey ${apiKey}`);
  }
}

/** Decodes one record encoded by {@link encodeMetadataRecord}. Throws `CORRUPT_MESSAGE` for anything else. */
export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  const d = new Decoder(new ByteReader(bytes, 'CORRUPT_MESSAGE', 0, bytes.length, context));
  const record = readBody(d);
  if (d.r.remaining !== 0) d.fail(`${d.r.remaining} bytes left after the record`);
  return record;
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
  const reader = new ByteReader(bytes, 'CORRUPT_MESSAGE', 0, bytes.length, context);
  const d = new Decoder(reader);
  let index = 0;
  while (reader.remaining > 0) {
    const length = d.uvarint();
    if (length > reader.remaining) d.fail(`record ${index} of ${length} bytes runs past the end`);
    const end = reader.position + length;
    const record = readBody(d);
    if (reader.position !== end) d.fail(`record ${index} takes ${reader.position - end + length} bytes, not the ${length} its length says`);
    fn(record, index++);
  }
}

/** Decodes the output of {@link encodeMetadataRecords}. Throws `CORRUPT_MESSAGE` for anything else. */
export function decodeMetadataRecords(bytes: Uint8Array): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  forEachMetadataRecord(bytes, (r) => out.push(r));
  return out;
}

const recordNames = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, `${name}Record`]));

/** A short human-readable name for a record's type, for messages. */
export function metadataRecordName(apiKey: number): string {
  return recordNames.get(apiKey) ?? `apiKey ${apiKey}`;
}

/**
 * Whether two records encode to the same bytes. Why not always compare the encodings: the
 * active controller checks every record it replays against the one it wrote, and encoding
 * both was 2 encodings of each of a topic's 10,000 partition records; equal fields (the
 * common case) imply equal bytes, so the encodings are compared only when the fields differ
 * (`undefined` against a missing field, a typed array).
 */
export function sameMetadataRecord(a: MetadataRecord, b: MetadataRecord): boolean {
  if (a === b || sameFields(a, b)) return true;
  const x = encodeMetadataRecord(a);
  const y = encodeMetadataRecord(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Deep equality of plain data (objects, arrays, primitives); false for anything else, which the caller then compares by encoding. */
function sameFields(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameFields(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || !sameFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
