import type { ErrorCode } from '../../util/error-codes.js';
import { type EpochEndOffset, type LeaderEpochCache, undefinedEpoch, undefinedEpochOffset } from './leader-epoch-cache.js';

/**
 * The decisions of follower fetching with leader epochs, as pure functions: what a leader
 * answers a fetch whose last fetched epoch it does not share (Kafka 2.7+, Fetch v12's
 * `DivergingEpoch`, KIP-320/KIP-595), and where the follower then truncates (Kafka's
 * `AbstractFetcherThread.getOffsetTruncationState`).
 *
 * Worked example, KIP-101's scenario. Leader A (epoch 1) wrote offsets 0-9; B replicated
 * 0-7. A dies; B leads in epoch 2 and writes 8-11. A returns as a follower and fetches
 * from offset 10 with lastFetchedEpoch 1. B's cache is [{1,0},{2,8}]:
 * `endOffsetFor(1)` = {1, 8} and 8 < 10, so B answers divergingEpoch {1, 8}. A's own end
 * of epoch 1 is 10; it truncates to min(8, 10) = 8, dropping exactly its unreplicated
 * 8-9, and fetches again from 8.
 * @internal
 */

/**
 * Kafka's current-leader-epoch check on a request that names the epoch it expects:
 * FENCED_LEADER_EPOCH when the sender is behind this replica, UNKNOWN_LEADER_EPOCH when
 * it is ahead (this replica has not yet seen the change). -1 skips the check.
 */
export function leaderEpochProblem(requestedEpoch: number, currentEpoch: number): ErrorCode | undefined {
  if (requestedEpoch === undefinedEpoch) return undefined;
  if (requestedEpoch < currentEpoch) return 'FENCED_LEADER_EPOCH';
  if (requestedEpoch > currentEpoch) return 'UNKNOWN_LEADER_EPOCH';
  return undefined;
}

/**
 * The leader's side: whether a follower fetching from `fetchOffset`, whose log ends in
 * `lastFetchedEpoch`, has diverged. Returns the `DivergingEpoch` to send (the leader's end
 * offset of the largest epoch at or below the follower's), or undefined when the
 * follower's log is a prefix of the leader's and the fetch can be served. As in Kafka's
 * `Partition.readRecords`, it diverges when the leader's answer is an older epoch or ends
 * before `fetchOffset`.
 */
export function divergingEpoch(leaderCache: LeaderEpochCache, leaderLogEndOffset: number, fetchOffset: number, lastFetchedEpoch: number): EpochEndOffset | undefined {
  if (lastFetchedEpoch === undefinedEpoch) return undefined;
  const end = leaderCache.endOffsetFor(lastFetchedEpoch, leaderLogEndOffset);
  if (end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset) return end;
  return undefined;
}

/** Where a follower truncates on a `DivergingEpoch`, and whether that settles it. */
export interface TruncationDecision {
  /** The new log end offset (the follower truncates to it; equal to its log end offset when nothing goes). */
  readonly offset: number;
  /**
   * False when the follower does not know the leader's epoch: it cut to the end of its own
   * largest epoch below it and must fetch again to learn more.
   */
  readonly complete: boolean;
}

/**
 * The follower's side (Kafka's `getOffsetTruncationState`): given the leader's diverging
 * epoch and end offset, the offset to truncate to.
 *
 * - The leader knows no epoch for us ({-1, -1}): nothing safe to conclude; keep the log
 *   up to the high watermark at most (`fallbackOffset`, Kafka uses the fetch state's
 *   offset) and consider it settled.
 * - Our own largest epoch at or below the leader's is that same epoch: truncate to the
 *   smaller of the two end offsets.
 * - Ours is older (we never saw the leader's epoch): truncate to the end of ours and ask
 *   again, unfinished.
 * - We know no epoch at or below it: truncate to the leader's end offset.
 * Never beyond our own log end offset.
 */
export function truncationOffset(followerCache: LeaderEpochCache, followerLogEndOffset: number, diverging: EpochEndOffset, fallbackOffset: number): TruncationDecision {
  if (diverging.endOffset === undefinedEpochOffset) return { offset: Math.min(fallbackOffset, followerLogEndOffset), complete: true };
  if (diverging.epoch === undefinedEpoch) return { offset: Math.min(diverging.endOffset, followerLogEndOffset), complete: true };
  const ours = followerCache.endOffsetFor(diverging.epoch, followerLogEndOffset);
  if (ours.endOffset === undefinedEpochOffset) return { offset: Math.min(diverging.endOffset, followerLogEndOffset), complete: true };
  if (ours.epoch !== diverging.epoch) return { offset: Math.min(ours.endOffset, followerLogEndOffset), complete: false };
  return { offset: Math.min(ours.endOffset, diverging.endOffset, followerLogEndOffset), complete: true };
}
