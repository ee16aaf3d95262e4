/**
 * What OffsetDelete (KIP-496) asks of a classic group, in the shape of Kafka's
 * `ClassicGroup.validateOffsetDelete` and `ClassicGroup.isSubscribedToTopic`: a group's
 * committed offsets may be deleted for a topic that no active member subscribes to, so an
 * operator can drop the offsets of a topic the group stopped reading without deleting the
 * whole group. The subscribed topics are read from the members' ConsumerProtocolSubscription
 * metadata (Kafka's `ConsumerProtocol.deserializeSubscription`: an int16 version, then the
 * topics as an int32-counted array of int16-length strings and the user data, v0, which
 * every later version starts with; what follows is not read). Pure.
 */
import type { ErrorCode } from '../../util/error-codes.js';
import type { ClassicGroup } from './classic-group.js';

/** The protocol type of consumer groups; only their subscriptions can be read. */
export const consumerProtocolType = 'consumer';
/** A subscription never lists more topics than its bytes can hold (4 bytes a topic, at least); a bound for malformed counts. */
const topicBytesMin = 2;

/**
 * Whether OffsetDelete may touch the group at all: GROUP_ID_NOT_FOUND for an unknown or
 * Dead group, NON_EMPTY_GROUP for a group with members that is not a consumer group
 * (its members' metadata cannot say which topics they use), NONE otherwise.
 */
export function validateOffsetDelete(group: ClassicGroup | undefined): ErrorCode {
  if (group === undefined || group.state === 'Dead') return 'GROUP_ID_NOT_FOUND';
  if (group.state !== 'Empty' && group.members.size > 0 && group.protocolType !== consumerProtocolType) return 'NON_EMPTY_GROUP';
  return 'NONE';
}

/**
 * Which topics the group's active members subscribe to, as a test: every protocol a member
 * offered counts (between rebalances the chosen one is among them); a subscription that
 * cannot be read counts as subscribed to everything, so its offsets are never deleted
 * under a member that may be using them. Each member's metadata is read once, however
 * many topics the request names (Kafka keeps the set from the last rebalance): a request
 * of many topics against a group with large subscriptions must not parse them per topic.
 */
export function subscribedTopicsOf(group: ClassicGroup): (topic: string) => boolean {
  const all = new Set<string>();
  for (const m of group.members.values()) {
    for (const p of m.protocols) {
      const topics = subscribedTopics(p.metadata);
      if (topics === undefined) return () => true;
      for (const t of topics) all.add(t);
    }
  }
  return (topic) => all.has(topic);
}

/** Whether an active member of the group subscribes to `topic` (see `subscribedTopicsOf`). */
export function isSubscribedToTopic(group: ClassicGroup, topic: string): boolean {
  return subscribedTopicsOf(group)(topic);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The topics of a ConsumerProtocolSubscription (any version), or undefined when the bytes are not one. */
export function subscribedTopics(metadata: Uint8Array): string[] | undefined {
  const view = new DataView(metadata.buffer, metadata.byteOffset, metadata.byteLength);
  if (metadata.byteLength < 6 || view.getInt16(0) < 0) return undefined;
  const count = view.getInt32(2);
  if (count < 0 || count > (metadata.byteLength - 6) / topicBytesMin) return undefined;
  const topics: string[] = [];
  let p = 6;
  for (let i = 0; i < count; i++) {
    if (p + 2 > metadata.byteLength) return undefined;
    const length = view.getInt16(p);
    p += 2;
    if (length < 0 || p + length > metadata.byteLength) return undefined;
    try {
      topics.push(utf8.decode(metadata.subarray(p, p + length)));
    } catch {
      return undefined;
    }
    p += length;
  }
  // v0's user data (nullable bytes) must be whole too, as Kafka reads all of v0: bytes that
  // end before it are not a subscription Kafka can read, and it then knows no topics.
  if (p + 4 > metadata.byteLength) return undefined;
  const userData = view.getInt32(p);
  if (userData < -1 || p + 4 + Math.max(userData, 0) > metadata.byteLength) return undefined;
  return topics;
}
