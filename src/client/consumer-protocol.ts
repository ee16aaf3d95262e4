/**
 * Kafka's `ConsumerProtocol`: the bytes a consumer group's members exchange through the
 * coordinator, which stores them opaquely. A member's subscription (topics, the partitions
 * it owns and their generation, KIP-429) goes in its JoinGroup; the leader's assignment
 * for each member comes back in SyncGroup. Versions 0 to 3 read, 3 written, not flexible,
 * so a Java or KafkaJS member can share a group. Also the leader's assignment step, which
 * turns every member's subscription into each one's partitions.
 */
import { cooperativeStickyAssign, rangeAssign, roundRobinAssign, type AssignorMember } from './assignors.js';
import { ByteReader } from '../util/byte-reader.js';
import { ByteWriter } from '../util/byte-writer.js';
import type { AssignorName } from './consumer-group-options.js';
import type { TopicPartition } from './consumer.js';

/** Kafka's ConsumerProtocolSubscription (versions 0-3, not flexible). @internal */
export interface Subscription {
  readonly topics: readonly string[];
  readonly userData: Uint8Array | null;
  readonly ownedPartitions: readonly TopicPartition[];
  readonly generationId: number;
  readonly rackId: string | null;
}

/** Kafka's ConsumerProtocolAssignment (versions 0-3, not flexible). @internal */
export interface Assignment {
  readonly partitions: readonly TopicPartition[];
  readonly userData: Uint8Array | null;
}

/** A reader of consumer protocol bytes, which come from other members through the coordinator: every read bounded, CORRUPT_MESSAGE when malformed. */
function reader(bytes: Uint8Array): ByteReader {
  return new ByteReader(bytes, 'CORRUPT_MESSAGE', 0, bytes.length, 'corrupt consumer protocol message');
}

/** An int32-counted array; null (-1) reads as empty, as Kafka's assignors treat it. */
function readArray<T>(r: ByteReader, item: (r: ByteReader) => T): T[] {
  return r.nullableArray(false, item) ?? [];
}

/** Nullable bytes, copied out of the (shared) response buffer. */
function readBytes(r: ByteReader): Uint8Array | null {
  const bytes = r.nullableBytes(false);
  return bytes === null ? null : new Uint8Array(bytes);
}

function writeTopicPartitions(w: ByteWriter, tps: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
  w.int32(byTopic.size);
  for (const [topic, ps] of byTopic) {
    w.string(false, topic).int32(ps.length);
    for (const p of ps) w.int32(p);
  }
}

function readTopicPartitions(r: ByteReader): TopicPartition[] {
  return readArray(r, (r) => {
    const topic = r.nullableString(false) ?? '';
    return readArray(r, (r) => r.int32()).map((partition) => ({ topic, partition }));
  }).flat();
}

/** The subscription bytes, at version 3 (version 0 and 1 readers ignore the fields they do not know). @internal */
export function encodeSubscription(s: Subscription): Uint8Array {
  const w = new ByteWriter().int16(3).int32(s.topics.length);
  for (const t of s.topics) w.string(false, t);
  w.nullableBytes(false, s.userData);
  writeTopicPartitions(w, s.ownedPartitions);
  return w.int32(s.generationId).nullableString(false, s.rackId).take();
}

/** Reads any version of a subscription; a newer version is read as version 3 (its extra fields ignored), as Kafka does. @internal */
export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = reader(bytes);
  const version = r.int16();
  if (version < 0) r.fail(`subscription version ${version}`);
  const topics = readArray(r, (r) => r.nullableString(false) ?? '');
  const userData = readBytes(r);
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  const rackId = version >= 3 ? r.nullableString(false) : null;
  return { topics, userData, ownedPartitions, generationId, rackId };
}

/** The assignment bytes, at version 3 (the same layout as 0). @internal */
export function encodeAssignment(a: Assignment): Uint8Array {
  const w = new ByteWriter().int16(3);
  writeTopicPartitions(w, a.partitions);
  return w.nullableBytes(false, a.userData).take();
}

/** Reads any version of an assignment; empty bytes (an error reply) are an empty assignment. @internal */
export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = reader(bytes);
  const version = r.int16();
  if (version < 0) r.fail(`assignment version ${version}`);
  const partitions = readTopicPartitions(r);
  return { partitions, userData: readBytes(r) };
}

/**
 * The leader's assignment: every member's subscription in, bytes for each member out.
 * For cooperative-sticky, ownership claims from an older generation than the newest
 * claimed are dropped (a member that missed a generation may hold stale claims), as
 * Kafka's assignor does. @internal
 */
export function computeAssignment(assignor: AssignorName, members: readonly { memberId: string; subscription: Subscription }[], counts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const newest = Math.max(-1, ...members.map((m) => m.subscription.generationId));
  const input: AssignorMember[] = members.map((m) => ({
    memberId: m.memberId,
    topics: m.subscription.topics.filter((t) => counts.has(t)),
    owned: m.subscription.generationId === newest ? m.subscription.ownedPartitions.filter((tp) => tp.partition < (counts.get(tp.topic) ?? 0)) : [],
  }));
  if (assignor === 'range') return rangeAssign(input, counts);
  if (assignor === 'roundrobin') return roundRobinAssign(input, counts);
  return cooperativeStickyAssign(input, counts).assignment;
}
