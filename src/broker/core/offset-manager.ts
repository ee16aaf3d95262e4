/**
 * The offsets half of a group coordinator, in the shape of Kafka's
 * `OffsetMetadataManager`: the committed offsets of every group of one
 * `__consumer_offsets` partition (durable state, changed only by {@link replay}), the
 * commits emitted and not yet replayed (soft state, so that expiry and deletion never
 * write a tombstone that lands after a newer commit), and the answers that read them
 * (OffsetFetch, expiry). The membership half, and the contract both halves keep, are in
 * `group-coordinator.ts`. Pure: no I/O, no timers.
 */
import type { OffsetCommitKey, OffsetCommitValue } from './group-records.js';
import { noLeaderEpoch, noOffset, type OffsetFetchRequest, type OffsetFetchResponse, type OffsetFetchResponsePartition, type OffsetFetchResponseTopic } from './group-requests.js';

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
  addPending(group: string, topic: string, partition: number): void {
    let pending = this.pendingCommits.get(group);
    if (pending === undefined) this.pendingCommits.set(group, (pending = new Map()));
    const entry = pending.get(offsetKey(topic, partition));
    if (entry === undefined) pending.set(offsetKey(topic, partition), { topic, partition, count: 1 });
    else entry.count++;
  }

  /** The partitions of a group with a commit on its way. */
  pending(group: string): readonly { readonly topic: string; readonly partition: number }[] {
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

  /** OffsetFetch: committed offsets only (-1 where none); a Dead group has none. */
  fetch(req: OffsetFetchRequest, dead: boolean): OffsetFetchResponse {
    const offsets = dead ? undefined : this.offsets.get(req.groupId);
    const partitionOf = (topic: string, partition: number): OffsetFetchResponsePartition => {
      const c = offsets?.get(offsetKey(topic, partition));
      if (c === undefined) return { partitionIndex: partition, committedOffset: noOffset, committedLeaderEpoch: noLeaderEpoch, metadata: '', errorCode: 'NONE' };
      return { partitionIndex: partition, committedOffset: c.value.offset, committedLeaderEpoch: c.value.leaderEpoch, metadata: c.value.metadata, errorCode: 'NONE' };
    };
    let topics: OffsetFetchResponseTopic[];
    if (req.topics === null) {
      const byTopic = new Map<string, OffsetFetchResponsePartition[]>();
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

  /**
   * The offsets of an Empty group that expire at `now`: `retentionMs` after `emptySince`
   * (or, when that is unknown, after each commit's own timestamp), or at a v1 record's
   * expire timestamp; never one with a commit on its way. `all` says whether every
   * committed offset expired and nothing is pending (the group may then be deleted).
   */
  expired(group: string, now: number, retentionMs: number, emptySince: number | undefined): { readonly expired: CommittedOffset[]; readonly all: boolean } {
    const committed = this.committed(group);
    const pending = this.pendingCommits.get(group);
    const expired = committed.filter((c) => {
      if (pending?.has(offsetKey(c.topic, c.partition))) return false;
      if (c.value.expireTimestamp !== null) return now >= c.value.expireTimestamp;
      return now - (emptySince ?? c.value.commitTimestamp) >= retentionMs;
    });
    return { expired, all: expired.length === committed.length && pending === undefined };
  }
}
