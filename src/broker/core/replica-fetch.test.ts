import { describe, expect, it } from 'vitest';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { divergingEpoch, leaderEpochProblem, truncationOffset } from './replica-fetch.js';

const cacheOf = (...pairs: [number, number][]): LeaderEpochCache => new LeaderEpochCache(pairs.map(([epoch, startOffset]) => ({ epoch, startOffset })));

describe('leaderEpochProblem', () => {
  it('fences an older epoch, does not know a newer one, and skips -1', () => {
    expect(leaderEpochProblem(3, 4)).toBe('FENCED_LEADER_EPOCH');
    expect(leaderEpochProblem(5, 4)).toBe('UNKNOWN_LEADER_EPOCH');
    expect(leaderEpochProblem(4, 4)).toBeUndefined();
    expect(leaderEpochProblem(-1, 4)).toBeUndefined();
  });
});

describe('divergence (KIP-101 scenario)', () => {
  // Leader A (epoch 1) wrote 0-9; B replicated 0-7, then led epoch 2 and wrote 8-11.
  const leaderB = cacheOf([1, 0], [2, 8]);
  const followerA = cacheOf([1, 0]);

  it('the new leader answers the old leader’s fetch with its end of epoch 1', () => {
    expect(divergingEpoch(leaderB, 12, 10, 1)).toEqual({ epoch: 1, endOffset: 8 });
  });

  it('the old leader truncates exactly its unreplicated tail', () => {
    expect(truncationOffset(followerA, 10, { epoch: 1, endOffset: 8 }, 0)).toEqual({ offset: 8, complete: true });
  });

  it('a follower whose log is a prefix is served', () => {
    expect(divergingEpoch(leaderB, 12, 8, 1)).toBeUndefined();
    expect(divergingEpoch(leaderB, 12, 6, 1)).toBeUndefined();
    expect(divergingEpoch(leaderB, 12, 10, 2)).toBeUndefined();
    expect(divergingEpoch(leaderB, 12, 12, 2)).toBeUndefined();
    // A follower with nothing fetched yet names no epoch.
    expect(divergingEpoch(leaderB, 12, 0, -1)).toBeUndefined();
  });

  it('a follower past the leader’s end in the leader’s own latest epoch diverges at the leader’s end', () => {
    expect(divergingEpoch(leaderB, 12, 13, 2)).toEqual({ epoch: 2, endOffset: 12 });
  });
});

describe('truncationOffset', () => {
  it('takes the smaller end when both know the epoch', () => {
    // The follower wrote more of epoch 3 than the leader kept.
    expect(truncationOffset(cacheOf([1, 0], [3, 5]), 20, { epoch: 3, endOffset: 9 }, 0)).toEqual({ offset: 9, complete: true });
    // The leader has more of epoch 3 than the follower: nothing to cut.
    expect(truncationOffset(cacheOf([1, 0], [3, 5]), 7, { epoch: 3, endOffset: 9 }, 0)).toEqual({ offset: 7, complete: true });
  });

  it('cuts to its own older epoch and asks again when it never saw the leader’s epoch', () => {
    // Follower: epoch 1 at 0-4, epoch 4 at 5-9. Leader: epoch 1 at 0-2, epoch 3 at 3-5,
    // epoch 5 from 6. The follower asks about 4; the leader's floor is 3, ending at 6.
    const follower = cacheOf([1, 0], [4, 5]);
    const leader = cacheOf([1, 0], [3, 3], [5, 6]);
    const d = divergingEpoch(leader, 10, 10, 4)!;
    expect(d).toEqual({ epoch: 3, endOffset: 6 });
    // The follower knows no epoch 3: its floor is epoch 1, ending at 5.
    const first = truncationOffset(follower, 10, d, 0);
    expect(first).toEqual({ offset: 5, complete: false });
    follower.truncateFromEnd(first.offset);
    // Next fetch: from 5 with last epoch 1; the leader's epoch 1 ended at 3.
    const d2 = divergingEpoch(leader, 10, 5, 1)!;
    expect(d2).toEqual({ epoch: 1, endOffset: 3 });
    expect(truncationOffset(follower, 5, d2, 0)).toEqual({ offset: 3, complete: true });
  });

  it('follows the leader’s end when it knows no epochs at all', () => {
    expect(truncationOffset(new LeaderEpochCache(), 20, { epoch: 2, endOffset: 12 }, 0)).toEqual({ offset: 12, complete: true });
  });

  it('cuts to its own earliest start when the leader’s epoch is older than all it kept', () => {
    // Our history begins with epoch 5 at 10 (older records deleted): epoch 2 ended by 10.
    expect(truncationOffset(cacheOf([5, 10]), 20, { epoch: 2, endOffset: 12 }, 0)).toEqual({ offset: 10, complete: true });
  });

  it('falls back to the given offset when the leader knows nothing', () => {
    expect(truncationOffset(cacheOf([1, 0]), 20, { epoch: -1, endOffset: -1 }, 7)).toEqual({ offset: 7, complete: true });
  });

  it('never moves past its own log end', () => {
    expect(truncationOffset(cacheOf([1, 0]), 4, { epoch: 1, endOffset: 9 }, 0)).toEqual({ offset: 4, complete: true });
  });
});
