/**
 * Kafka's `ConsumerProtocol`: the bytes a consumer group's members exchange through the
 * coordinator, which stores them opaquely. A member's subscription (topics, the partitions
 * it owns and their generation, KIP-429) goes in its JoinGroup; the leader's assignment
 * for each member comes back in SyncGroup. Versions 0 to 3 read, 3 written, not flexible,
 * so a Java or KafkaJS member can share a group. Also the leader's assignment step, which
 * turns every member's subscription into each one's partitions.
 */
import { cooperativeStickyAssign, rangeAssign, roundRobinAssign, type AssignorMember } from './assignors.js';
import { TributaryError } from '../util/errors.js';
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

class Writer {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const s = Buffer.from(v, 'utf8');
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  bytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    this.parts.push(Buffer.from(v));
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

class Reader {
  private pos = 0;
  private readonly buf: Buffer;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new TributaryError('CORRUPT_MESSAGE', 'consumer protocol bytes are truncated');
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    this.need(n);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  bytes(): Uint8Array | null {
    const n = this.int32();
    if (n === -1) return null;
    this.need(n);
    const v = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  array<T>(item: () => T): T[] {
    const n = this.int32();
    if (n === -1) return [];
    if (n < 0 || n > this.buf.length) throw new TributaryError('CORRUPT_MESSAGE', `bad array length ${n}`);
    return Array.from({ length: n }, item);
  }
}

function writeTopicPartitions(w: Writer, tps: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) (byTopic.get(tp.topic) ?? byTopic.set(tp.topic, []).get(tp.topic)!).push(tp.partition);
  w.int32(byTopic.size);
  for (const [topic, ps] of byTopic) {
    w.string(topic).int32(ps.length);
    for (const p of ps) w.int32(p);
  }
}

function readTopicPartitions(r: Reader): TopicPartition[] {
  return r.array(() => {
    const topic = r.string() ?? '';
    return r.array(() => r.int32()).map((partition) => ({ topic, partition }));
  }).flat();
}

/** The subscription bytes, at version 3 (version 0 and 1 readers ignore the fields they do not know). @internal */
export function encodeSubscription(s: Subscription): Uint8Array {
  const w = new Writer().int16(3).int32(s.topics.length);
  for (const t of s.topics) w.string(t);
  w.bytes(s.userData);
  writeTopicPartitions(w, s.ownedPartitions);
  return w.int32(s.generationId).string(s.rackId).done();
}

/** Reads any version of a subscription; a newer version is read as version 3 (its extra fields ignored), as Kafka does. @internal */
export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0) throw new TributaryError('CORRUPT_MESSAGE', `subscription version ${version}`);
  const topics = r.array(() => r.string() ?? '');
  const userData = r.bytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  const rackId = version >= 3 ? r.string() : null;
  return { topics, userData, ownedPartitions, generationId, rackId };
}

/** The assignment bytes, at version 3 (the same layout as 0). @internal */
export function encodeAssignment(a: Assignment): Uint8Array {
  const w = new Writer().int16(3);
  writeTopicPartitions(w, a.partitions);
  return w.bytes(a.userData).done();
}

/** Reads any version of an assignment; empty bytes (an error reply) are an empty assignment. @internal */
export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0) throw new TributaryError('CORRUPT_MESSAGE', `assignment version ${version}`);
  const partitions = readTopicPartitions(r);
  return { partitions, userData: r.bytes() };
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
