import { assert } from '../../util/assert.js';

/**
 * A partition leader's view of its followers: the in-sync replica set (ISR) and the high
 * watermark, Kafka's `Partition`/`Replica` rules as a pure core. Time comes in as `now`.
 *
 * - A follower's **caught-up time** advances when a fetch reaches the leader's log end
 *   offset as it was at that fetch, or at the previous fetch (Kafka's `updateFetchState`:
 *   a follower that keeps fetching everything the leader had a moment ago is caught up,
 *   even while new records keep arriving).
 * - A member of the ISR whose caught-up time is older than `replica.lag.time.max.ms`
 *   should leave it; a follower outside the ISR whose log end offset reaches the high
 *   watermark and the leader epoch's start offset should join it. Both are proposals: the
 *   controller commits ISR changes (AlterPartition), then `setIsr` applies them.
 * - The **high watermark** is the smallest log end offset over the ISR (the leader
 *   included), and never goes backwards.
 * @internal
 */
export interface FollowerState {
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  lastFetchLeaderLogEndOffset: number;
}

export class IsrState {
  private readonly followers = new Map<number, FollowerState>();
  private isrSet: Set<number>;
  /**
   * Whether the leader is alone in the ISR, kept with `isrSet`: every keyed append over
   * 10,000 partitions asks, and `isrSet.size` was two more cold loads (the set and its
   * table) a batch.
   */
  private alone: boolean;
  private hw: number;

  constructor(
    readonly leaderId: number,
    replicas: readonly number[],
    isr: readonly number[],
    /** The first offset of the leader's epoch: the ISR only admits followers past it. */
    readonly leaderEpochStartOffset: number,
    highWatermark: number,
    now: number,
  ) {
    assert(isr.includes(leaderId), 'the leader is in its own ISR');
    this.isrSet = new Set(isr);
    this.alone = this.isrSet.size === 1;
    this.hw = highWatermark;
    for (const r of replicas) {
      if (r === leaderId) continue;
      // Followers in the ISR at election start as caught up now, as in Kafka.
      this.followers.set(r, { logEndOffset: -1, lastCaughtUpMs: isr.includes(r) ? now : -1, lastFetchMs: -1, lastFetchLeaderLogEndOffset: -1 });
    }
  }

  get highWatermark(): number {
    return this.hw;
  }
  get isr(): readonly number[] {
    return [...this.isrSet].sort((a, b) => a - b);
  }
  follower(id: number): Readonly<FollowerState> | undefined {
    return this.followers.get(id);
  }

  /**
   * A follower fetched from `fetchOffset` (its log end offset) at `now`, when the leader's
   * log end offset was `leaderLogEndOffset`. Returns whether the high watermark moved.
   */
  onFollowerFetch(replicaId: number, fetchOffset: number, now: number, leaderLogEndOffset: number): boolean {
    const f = this.followers.get(replicaId);
    if (f === undefined) return false;
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset && f.lastFetchMs >= 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchMs = now;
    return this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /** Recomputes the high watermark after the leader's own log grew (a single-replica ISR). */
  maybeAdvanceHighWatermark(leaderLogEndOffset: number): boolean {
    let min = leaderLogEndOffset;
    // A leader alone in its ISR skips the loop: its iterator was an object a batch.
    if (!this.alone) for (const id of this.isrSet) {
      if (id === this.leaderId) continue;
      min = Math.min(min, this.followers.get(id)?.logEndOffset ?? -1);
    }
    if (min > this.hw) {
      this.hw = min;
      return true;
    }
    return false;
  }

  /** ISR members that have not caught up within `replicaLagTimeMaxMs`: the ISR to propose without them, or undefined. */
  shrinkProposal(now: number, replicaLagTimeMaxMs: number): number[] | undefined {
    const out = [...this.isrSet].filter((id) => {
      if (id === this.leaderId) return false;
      const f = this.followers.get(id)!;
      return now - f.lastCaughtUpMs > replicaLagTimeMaxMs;
    });
    if (out.length === 0) return undefined;
    return this.isr.filter((id) => !out.includes(id));
  }

  /** The ISR to propose with `replicaId` added, if it has caught up enough to join; else undefined. */
  expandProposal(replicaId: number): number[] | undefined {
    if (this.isrSet.has(replicaId)) return undefined;
    const f = this.followers.get(replicaId);
    if (f === undefined) return undefined;
    if (f.logEndOffset < this.hw || f.logEndOffset < this.leaderEpochStartOffset) return undefined;
    return [...this.isr, replicaId].sort((a, b) => a - b);
  }

  /** Applies an ISR the controller committed. */
  setIsr(isr: readonly number[], leaderLogEndOffset: number): void {
    assert(isr.includes(this.leaderId), 'the leader stays in its ISR');
    this.isrSet = new Set(isr);
    this.alone = this.isrSet.size === 1;
    this.maybeAdvanceHighWatermark(leaderLogEndOffset);
  }

  /**
   * Whether an acks=all produce may be appended now: `NOT_ENOUGH_REPLICAS` when the ISR is
   * smaller than `min.insync.replicas`, as Kafka checks before appending.
   */
  admitsAcksAll(minInsyncReplicas: number): boolean {
    return this.isrSet.size >= minInsyncReplicas;
  }

  /** Whether an acks=all produce whose last offset is `lastOffset` is complete: the high watermark is past it. */
  acksAllComplete(lastOffset: number): boolean {
    return this.hw > lastOffset;
  }
}
