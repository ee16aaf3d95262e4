import { assert } from '../util/assert.js';

/**
 * Partition assignors for consumer groups, pure functions, after Kafka's client-side
 * assignors. The group's leader runs one over every member's subscription and hands out
 * the result through SyncGroup.
 * @internal
 */
export interface AssignorMember {
  readonly memberId: string;
  /** Topics the member subscribes to. */
  readonly topics: readonly string[];
  /** Partitions the member owned in the previous generation (cooperative protocol). */
  readonly owned?: readonly TopicPartition[];
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** memberId -> its partitions, sorted by topic then partition. */
export type Assignment = Map<string, TopicPartition[]>;

/** topic -> number of partitions. */
export type TopicPartitionCounts = ReadonlyMap<string, number>;

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function emptyAssignment(members: readonly AssignorMember[]): Assignment {
  const out: Assignment = new Map();
  for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) out.set(m.memberId, []);
  return out;
}

function sortAll(a: Assignment): Assignment {
  for (const list of a.values()) list.sort(byTopicPartition);
  return a;
}

/**
 * Kafka's RangeAssignor: per topic, the subscribed members sorted by id each take a
 * contiguous range; the first `partitions % members` take one more. Co-partitioned
 * topics line up (partition i of each topic goes to the same member), which joins need.
 */
export function rangeAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): Assignment {
  const out = emptyAssignment(members);
  for (const [topic, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subscribed = [...out.keys()].filter((id) => members.find((m) => m.memberId === id)!.topics.includes(topic));
    if (subscribed.length === 0) continue;
    const per = Math.floor(n / subscribed.length);
    const extra = n % subscribed.length;
    let p = 0;
    subscribed.forEach((id, i) => {
      const take = per + (i < extra ? 1 : 0);
      for (let k = 0; k < take; k++) out.get(id)!.push({ topic, partition: p++ });
    });
  }
  return sortAll(out);
}

/**
 * Kafka's RoundRobinAssignor: every topic-partition in order, dealt to the members in
 * turn, skipping members not subscribed to its topic.
 */
export function roundRobinAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): Assignment {
  const out = emptyAssignment(members);
  const ids = [...out.keys()];
  const subs = new Map(members.map((m) => [m.memberId, new Set(m.topics)]));
  let turn = 0;
  for (const [topic, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!ids.some((id) => subs.get(id)!.has(topic))) continue;
    for (let p = 0; p < n; p++) {
      while (!subs.get(ids[turn % ids.length]!)!.has(topic)) turn++;
      out.get(ids[turn % ids.length]!)!.push({ topic, partition: p });
      turn++;
    }
  }
  return sortAll(out);
}

const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * A sticky, balanced assignment: every partition of a subscribed topic goes to exactly
 * one subscribed member; members keep what they owned where the balance allows; the
 * least-loaded eligible member takes each partition nobody keeps; then partitions move
 * from the most to the least loaded eligible member while they differ by more than one.
 * With identical subscriptions every member ends with floor or ceil of partitions /
 * members, and only the partitions needed to reach that balance move.
 */
export function stickyAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): Assignment {
  const out = emptyAssignment(members);
  const subs = new Map(members.map((m) => [m.memberId, new Set(m.topics)]));
  const all: TopicPartition[] = [];
  for (const [topic, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (![...subs.values()].some((s) => s.has(topic))) continue;
    for (let p = 0; p < n; p++) all.push({ topic, partition: p });
  }
  const eligible = (tp: TopicPartition): string[] => [...out.keys()].filter((id) => subs.get(id)!.has(tp.topic));
  // Quota for identical subscriptions; with mixed ones the balancing loop below decides.
  const taken = new Set<string>();
  const exists = new Set(all.map(key));
  const ceil = Math.ceil(all.length / Math.max(1, out.size));
  // Keep owned partitions (still existing, still subscribed, not claimed twice), up to the quota.
  for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
    const mine = out.get(m.memberId)!;
    for (const tp of [...(m.owned ?? [])].sort(byTopicPartition)) {
      const k = key(tp);
      if (!exists.has(k) || taken.has(k) || !subs.get(m.memberId)!.has(tp.topic) || mine.length >= ceil) continue;
      mine.push({ topic: tp.topic, partition: tp.partition });
      taken.add(k);
    }
  }
  // Place the rest on the least-loaded eligible member.
  for (const tp of all) {
    if (taken.has(key(tp))) continue;
    const candidates = eligible(tp);
    let best = candidates[0]!;
    for (const id of candidates) if (out.get(id)!.length < out.get(best)!.length) best = id;
    out.get(best)!.push(tp);
    taken.add(key(tp));
  }
  // Balance: move from the most loaded to an eligible member with at least two fewer.
  for (let guard = 0; guard < all.length * out.size + 1; guard++) {
    let moved = false;
    const ids = [...out.keys()].sort((a, b) => out.get(b)!.length - out.get(a)!.length);
    for (const from of ids) {
      const list = out.get(from)!;
      for (let i = list.length - 1; i >= 0 && !moved; i--) {
        const tp = list[i]!;
        const to = eligible(tp).filter((id) => out.get(id)!.length + 1 < list.length).sort((a, b) => out.get(a)!.length - out.get(b)!.length)[0];
        if (to !== undefined) {
          list.splice(i, 1);
          out.get(to)!.push(tp);
          moved = true;
        }
      }
      if (moved) break;
    }
    if (!moved) break;
  }
  assert(taken.size === all.length, 'every partition of a subscribed topic is assigned');
  return sortAll(out);
}

/**
 * KIP-429's cooperative-sticky: the sticky target, minus every partition that changes
 * owner. Those stay with nobody for this generation: their old owners revoke them (they
 * are absent from their new assignment), and `followUp` says a second rebalance is needed,
 * in which they are handed to their new owners. Members keep consuming everything else
 * throughout.
 */
export function cooperativeStickyAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): { assignment: Assignment; followUp: boolean } {
  const target = stickyAssign(members, counts);
  const ownerOf = new Map<string, string>();
  for (const m of members) for (const tp of m.owned ?? []) if (!ownerOf.has(key(tp))) ownerOf.set(key(tp), m.memberId);
  let followUp = false;
  for (const [id, list] of target) {
    const kept = list.filter((tp) => {
      const owner = ownerOf.get(key(tp));
      const moving = owner !== undefined && owner !== id && target.has(owner);
      if (moving) followUp = true;
      return !moving;
    });
    target.set(id, kept);
  }
  return { assignment: target, followUp };
}
