/**
 * The offsets half of a group coordinator, in the shape of Kafka's
 * `OffsetMetadataManager`: OffsetCommit (checked against the membership half, the
 * `GroupMetadataManager`, as Kafka's `validateOffsetCommit` does), OffsetFetch and
 * OffsetDelete (KIP-496, checked the same way by `offset-delete.ts`); the
 * committed offsets of every group of one `__consumer_offsets` partition (durable state,
 * changed only by {@link OffsetMetadataManager.replay}); the commits emitted and not yet
 * replayed (soft state, so that expiry and deletion never write a tombstone that lands
 * after a newer commit); and the tombstones of expiry and deletion. The contract both
 * halves keep is in group-coordinator.ts. Pure: no I/O, no timers.
 */
import { ApiKey } from '../../protocol/api-keys.js';
import { noLeaderEpoch } from '../../protocol/common.js';
import type * as P from '../../protocol/group.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { isInt32, stringTooLong } from './classic-group.js';
import type { CoordinatorResult, GroupResponseFor } from './coordinator-result.js';
import type { GroupMetadataManager } from './group-metadata-manager.js';
import type { OffsetCommitKey, OffsetCommitValue } from './group-records.js';
import { subscribedTopicsOf, validateOffsetDelete } from './offset-delete.js';

/** The offset OffsetFetch returns for a partition with no committed offset (`OffsetFetchResponse.INVALID_OFFSET`). */
const noOffset = -1;
/** OffsetCommit's `retentionTimeMs` that asks for the broker's retention (`OffsetCommitRequest.DEFAULT_RETENTION_TIME`). */
const defaultRetentionTimeMs = -1;

type OffsetFetchResponse = GroupResponseFor<P.OffsetFetchRequest>;

export interface OffsetMetadataManagerOptions {
  /** The membership half, which says whether a member may commit. */
  readonly groups: GroupMetadataManager;
  /** Whether this coordinator serves a group (its partition of `__consumer_offsets`). */
  readonly ownsGroup: (groupId: string) => boolean;
  /** Whether a topic partition exists (from the metadata image). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
  /** `offset.metadata.max.bytes`. */
  readonly offsetMetadataMaxBytes: number;
}

/** A committed offset, as OffsetFetch returns it. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetCommitValue;
}

const offsetKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class OffsetMetadataManager {
  // Durable: group -> topic and partition -> the committed offset.
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  /** Offset commits emitted and not yet replayed: group -> topic and partition -> how many. */
  private readonly pendingCommits = new Map<string, Map<string, { readonly topic: string; readonly partition: number; count: number }>>();

  constructor(private readonly options: OffsetMetadataManagerOptions) {}

  /** Applies one committed OffsetCommit record (a tombstone when `value` is null). */
  replay(key: OffsetCommitKey, value: OffsetCommitValue | null): void {
    const { group, topic, partition } = key;
    const k = offsetKey(topic, partition);
    const pending = this.pendingCommits.get(group);
    const entry = pending?.get(k);
    if (entry !== undefined && --entry.count === 0) {
      pending!.delete(k);
      if (pending!.size === 0) this.pendingCommits.delete(group);
    }
    let byGroup = this.offsets.get(group);
    if (value === null) {
      byGroup?.delete(k);
      if (byGroup?.size === 0) this.offsets.delete(group);
      return;
    }
    if (byGroup === undefined) this.offsets.set(group, (byGroup = new Map()));
    byGroup.set(k, { topic, partition, value });
  }

  /** Notes a commit record emitted for this partition; it is pending until replayed. */
  private addPending(group: string, topic: string, partition: number): void {
    let pending = this.pendingCommits.get(group);
    if (pending === undefined) this.pendingCommits.set(group, (pending = new Map()));
    const entry = pending.get(offsetKey(topic, partition));
    if (entry === undefined) pending.set(offsetKey(topic, partition), { topic, partition, count: 1 });
    else entry.count++;
  }

  /** The partitions of a group with a commit on its way. */
  private pending(group: string): readonly { readonly topic: string; readonly partition: number }[] {
    return [...(this.pendingCommits.get(group)?.values() ?? [])];
  }

  /** Forgets the pending commits (leadership moved; they commit or not without us). */
  clearPending(): void {
    this.pendingCommits.clear();
  }

  /** The committed offsets of a group. */
  committed(group: string): CommittedOffset[] {
    return [...(this.offsets.get(group)?.values() ?? [])];
  }

  /** The groups with committed offsets. */
  groupIds(): IterableIterator<string> {
    return this.offsets.keys();
  }

  /** OffsetCommit, OffsetFetch and OffsetDelete, as the coordinator routes them here. */
  handle(id: number, req: P.OffsetCommitRequest | P.OffsetFetchRequest | P.OffsetDeleteRequest, now: number, out: CoordinatorResult): void {
    if (req.apiKey === ApiKey.OffsetCommit) this.commit(id, req, now, out);
    else if (req.apiKey === ApiKey.OffsetFetch) this.fetch(id, req, out);
    else this.deleteOffsets(id, req, out);
  }

  // ---- OffsetCommit ----

  commit(id: number, req: P.OffsetCommitRequest, now: number, out: CoordinatorResult): void {
    const results = new Map<P.OffsetCommitRequestTopic, P.OffsetCommitResponsePartition[]>();
    const respond = (afterCommit: boolean): void => {
      const topics: P.OffsetCommitResponseTopic[] = req.topics.map((t) => ({ name: t.name, partitions: results.get(t)! }));
      out.reply(id, { topics }, afterCommit);
    };
    const all = (errorCode: ErrorCode): void => {
      for (const t of req.topics) results.set(t, t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })));
      respond(false);
    };
    if (stringTooLong(req.groupId)) return all('INVALID_GROUP_ID');
    if (!this.options.ownsGroup(req.groupId)) return all('NOT_COORDINATOR');
    // As Kafka's request handler does before the coordinator sees it: unknown partitions first.
    const valid: { topic: string; p: P.OffsetCommitRequestPartition; result: { partitionIndex: number; errorCode: ErrorCode } }[] = [];
    for (const t of req.topics) {
      const list: { partitionIndex: number; errorCode: ErrorCode }[] = [];
      results.set(t, list);
      for (const p of t.partitions) {
        const result = { partitionIndex: p.partitionIndex, errorCode: 'NONE' as ErrorCode };
        list.push(result);
        if (t.name === '' || stringTooLong(t.name) || !isInt32(p.partitionIndex) || p.partitionIndex < 0 || !this.options.partitionExists(t.name, p.partitionIndex)) {
          result.errorCode = 'UNKNOWN_TOPIC_OR_PARTITION';
        } else valid.push({ topic: t.name, p, result });
      }
    }
    const fenced = this.options.groups.validateOffsetCommit(req.groupId, req.memberId, req.groupInstanceId ?? null, req.generationId, now);
    if (fenced !== 'NONE') {
      for (const v of valid) v.result.errorCode = fenced;
      return respond(false);
    }
    // OffsetCommit v2-v4's retention: -1 (the default) leaves the offset to the group's expiry;
    // any other value gives it Kafka's own expire timestamp (`expireTimestampMs`), written in
    // an OffsetCommitValue v1.
    // A retention so long that the sum leaves the safe integers is forever (Kafka's long
    // overflows there, and expires the offset at once).
    const retentionMs = req.retentionTimeMs ?? defaultRetentionTimeMs;
    const expireTimestamp = retentionMs === defaultRetentionTimeMs ? null : Math.min(now + retentionMs, Number.MAX_SAFE_INTEGER);
    for (const v of valid) {
      const metadata = v.p.committedMetadata ?? '';
      const leaderEpoch = v.p.committedLeaderEpoch ?? noLeaderEpoch;
      if (metadata.length > this.options.offsetMetadataMaxBytes || stringTooLong(metadata)) {
        v.result.errorCode = 'OFFSET_METADATA_TOO_LARGE';
        continue;
      }
      if (!Number.isSafeInteger(v.p.committedOffset) || !isInt32(leaderEpoch)) {
        v.result.errorCode = 'INVALID_COMMIT_OFFSET_SIZE';
        continue;
      }
      out.records.push({
        type: 'OffsetCommit',
        key: { group: req.groupId, topic: v.topic, partition: v.p.partitionIndex },
        value: { offset: v.p.committedOffset, leaderEpoch, metadata, commitTimestamp: now, expireTimestamp },
      });
      this.addPending(req.groupId, v.topic, v.p.partitionIndex);
    }
    respond(out.records.length > 0);
  }

  // ---- OffsetFetch ----

  /** OffsetFetch: committed offsets only (-1 where none); a Dead group has none. */
  fetch(id: number, req: P.OffsetFetchRequest, out: CoordinatorResult): void {
    if (!this.options.ownsGroup(req.groupId)) return out.reply(id, { errorCode: 'NOT_COORDINATOR', topics: [] });
    out.reply(id, this.fetchCommitted(req, this.options.groups.group(req.groupId)?.state === 'Dead'));
  }

  private fetchCommitted(req: P.OffsetFetchRequest, dead: boolean): OffsetFetchResponse {
    const offsets = dead ? undefined : this.offsets.get(req.groupId);
    const partitionOf = (topic: string, partition: number): P.OffsetFetchResponsePartition => {
      const c = offsets?.get(offsetKey(topic, partition));
      if (c === undefined) return { partitionIndex: partition, committedOffset: noOffset, committedLeaderEpoch: noLeaderEpoch, metadata: '', errorCode: 'NONE' };
      return { partitionIndex: partition, committedOffset: c.value.offset, committedLeaderEpoch: c.value.leaderEpoch, metadata: c.value.metadata, errorCode: 'NONE' };
    };
    let topics: P.OffsetFetchResponseTopic[];
    if (req.topics === null) {
      const byTopic = new Map<string, P.OffsetFetchResponsePartition[]>();
      for (const c of [...(offsets?.values() ?? [])].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))) {
        let list = byTopic.get(c.topic);
        if (list === undefined) byTopic.set(c.topic, (list = []));
        list.push(partitionOf(c.topic, c.partition));
      }
      topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    } else {
      topics = req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => partitionOf(t.name, p)) }));
    }
    return { errorCode: 'NONE', topics };
  }

  // ---- OffsetDelete ----

  /**
   * OffsetDelete (Kafka's `OffsetMetadataManager.deleteOffsets`): a group-wide error when the
   * group cannot have offsets deleted (see `validateOffsetDelete`); otherwise, per
   * partition, UNKNOWN_TOPIC_OR_PARTITION for one that does not exist (Kafka's request
   * handler checks that first), GROUP_SUBSCRIBED_TO_TOPIC for a topic an active member
   * subscribes to, and NONE for the rest, with a tombstone where an offset is committed or
   * on its way (the tombstone lands after it, so the deletion wins). The reply waits for
   * the tombstones to commit.
   */
  deleteOffsets(id: number, req: P.OffsetDeleteRequest, out: CoordinatorResult): void {
    // Kafka's GroupCoordinatorService.deleteOffsets: an empty group id is INVALID_GROUP_ID, before any lookup.
    if (req.groupId === '' || stringTooLong(req.groupId)) return out.reply(id, { errorCode: 'INVALID_GROUP_ID', topics: [] });
    if (!this.options.ownsGroup(req.groupId)) return out.reply(id, { errorCode: 'NOT_COORDINATOR', topics: [] });
    const group = this.options.groups.group(req.groupId);
    const invalid = validateOffsetDelete(group);
    if (invalid !== 'NONE') return out.reply(id, { errorCode: invalid, topics: [] });
    const committed = this.offsets.get(req.groupId);
    const pending = this.pendingCommits.get(req.groupId);
    const tombstoned = new Set<string>();
    const before = out.records.length;
    const isSubscribed = subscribedTopicsOf(group!); // the members' subscriptions read once, not once a topic
    const topics = req.topics.map((t) => {
      const subscribed = isSubscribed(t.name);
      const partitions = t.partitions.map(({ partitionIndex }): P.OffsetDeleteResponsePartition => {
        if (t.name === '' || stringTooLong(t.name) || !isInt32(partitionIndex) || partitionIndex < 0 || !this.options.partitionExists(t.name, partitionIndex)) {
          return { partitionIndex, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' };
        }
        if (subscribed) return { partitionIndex, errorCode: 'GROUP_SUBSCRIBED_TO_TOPIC' };
        const k = offsetKey(t.name, partitionIndex);
        if ((committed?.has(k) || pending?.has(k)) && !tombstoned.has(k)) {
          tombstoned.add(k);
          out.records.push({ type: 'OffsetCommit', key: { group: req.groupId, topic: t.name, partition: partitionIndex }, value: null });
        }
        return { partitionIndex, errorCode: 'NONE' };
      });
      return { name: t.name, partitions };
    });
    out.reply(id, { errorCode: 'NONE', topics }, out.records.length > before);
  }

  // ---- expiry and deletion ----

  /**
   * Tombstones for every committed offset of a group and for every commit still on its
   * way (so none lands after the tombstones and revives an offset): Kafka's
   * `deleteAllOffsets`, for DeleteGroups and for a group whose offsets all expired.
   */
  deleteAllOffsets(group: string, out: CoordinatorResult): void {
    const seen = new Set<string>();
    const tombstone = (topic: string, partition: number): void => {
      const k = offsetKey(topic, partition);
      if (seen.has(k)) return;
      seen.add(k);
      out.records.push({ type: 'OffsetCommit', key: { group, topic, partition }, value: null });
    };
    for (const c of this.committed(group)) tombstone(c.topic, c.partition);
    for (const p of this.pending(group)) tombstone(p.topic, p.partition);
  }

  /**
   * Tombstones for every offset of every group on `topics`, committed or on its way (so
   * none lands after them), for topics the metadata deleted (Kafka's
   * `OffsetMetadataManager.onPartitionsDeleted`).
   */
  deleteOffsetsOfTopics(topics: ReadonlySet<string>, out: CoordinatorResult): void {
    const groups = new Set([...this.offsets.keys(), ...this.pendingCommits.keys()]);
    for (const group of groups) {
      const seen = new Set<string>();
      for (const p of [...this.committed(group), ...this.pending(group)]) {
        const k = offsetKey(p.topic, p.partition);
        if (!topics.has(p.topic) || seen.has(k)) continue;
        seen.add(k);
        out.records.push({ type: 'OffsetCommit', key: { group, topic: p.topic, partition: p.partition }, value: null });
      }
    }
  }

  /**
   * Kafka's `cleanupExpiredOffsets`: tombstones for the group's offsets that expire at
   * `now`, never one with a commit on its way, nor one of a topic the group's members
   * subscribe to (`subscribed`, for a Stable consumer group). An offset with an expire
   * timestamp of its own (OffsetCommit v2-v4's retention) expires then; any other
   * `retentionMs` after `emptySince` (an Empty group: when it became Empty) or, when that is
   * undefined (a simple consumer's group, an old record, a Stable group), after its commit.
   * True when every committed offset expired and nothing is pending: the group has no
   * offsets left and, if Empty, may be deleted.
   */
  cleanupExpiredOffsets(group: string, now: number, retentionMs: number, emptySince: number | undefined, out: CoordinatorResult, subscribed: (topic: string) => boolean = () => false): boolean {
    const committed = this.committed(group);
    const pending = this.pendingCommits.get(group);
    const expired = committed.filter((c) => {
      if (pending?.has(offsetKey(c.topic, c.partition))) return false;
      const due = c.value.expireTimestamp !== null ? now >= c.value.expireTimestamp : now - (emptySince ?? c.value.commitTimestamp) >= retentionMs;
      // Asked last: reading the members' subscriptions is the dear part (see expirableGroups).
      return due && !subscribed(c.topic);
    });
    if (expired.length === committed.length && pending === undefined) {
      this.deleteAllOffsets(group, out);
      return true;
    }
    for (const c of expired) out.records.push({ type: 'OffsetCommit', key: { group, topic: c.topic, partition: c.partition }, value: null });
    return false;
  }
}
