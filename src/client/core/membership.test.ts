import { describe, expect, it } from 'vitest';
import { assignmentChange, heartbeatOutcome, joinFailureOutcome } from './membership.js';

const tp = (topic: string, partition: number) => ({ topic, partition });

describe('membership core', () => {
  it('a heartbeat answer: stay (again at once only after a held answer), rejoin keeping partitions, rejoin losing them, fenced, find the coordinator', () => {
    expect(heartbeatOutcome('NONE', 0, 3000)).toEqual({ kind: 'stay', again: false });
    expect(heartbeatOutcome('NONE', 49, 3000)).toEqual({ kind: 'stay', again: false });
    expect(heartbeatOutcome('NONE', 50, 3000)).toEqual({ kind: 'stay', again: true });
    // A short interval: a quarter of it counts as held.
    expect(heartbeatOutcome('NONE', 25, 100)).toEqual({ kind: 'stay', again: true });
    expect(heartbeatOutcome('REBALANCE_IN_PROGRESS', 0, 3000)).toEqual({ kind: 'rejoin' });
    expect(heartbeatOutcome('UNKNOWN_MEMBER_ID', 0, 3000)).toEqual({ kind: 'rejoin-lost' });
    expect(heartbeatOutcome('ILLEGAL_GENERATION', 0, 3000)).toEqual({ kind: 'rejoin-lost' });
    expect(heartbeatOutcome('FENCED_INSTANCE_ID', 0, 3000)).toEqual({ kind: 'fenced' });
    for (const code of ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT'] as const) {
      expect(heartbeatOutcome(code, 0, 3000)).toEqual({ kind: 'find-coordinator' });
    }
  });

  it('a failed join: MEMBER_ID_REQUIRED rejoins at once, coordinator errors find it again after a backoff, rebalance errors back off, anything else not retriable ends the member', () => {
    expect(joinFailureOutcome('MEMBER_ID_REQUIRED', false)).toEqual({ next: 'rejoin-now', findCoordinator: false });
    expect(joinFailureOutcome('NOT_COORDINATOR', true)).toEqual({ next: 'backoff', findCoordinator: true });
    expect(joinFailureOutcome('UNKNOWN_MEMBER_ID', false)).toEqual({ next: 'backoff', findCoordinator: false });
    expect(joinFailureOutcome('ILLEGAL_GENERATION', false)).toEqual({ next: 'backoff', findCoordinator: false });
    expect(joinFailureOutcome('REBALANCE_IN_PROGRESS', false)).toEqual({ next: 'backoff', findCoordinator: false });
    expect(joinFailureOutcome('UNKNOWN_TOPIC_OR_PARTITION', true)).toEqual({ next: 'backoff', findCoordinator: false });
    expect(joinFailureOutcome('INVALID_GROUP_ID', false).next).toBe('fatal');
    expect(joinFailureOutcome('GROUP_AUTHORIZATION_FAILED', false).next).toBe('fatal');
    expect(joinFailureOutcome('FENCED_INSTANCE_ID', false).next).toBe('fatal');
  });

  it('an assignment: revoke what it lacks, take what it adds; cooperative rejoins when anything claimed was withheld, also a partition lost since the claim', () => {
    const owned = [tp('a', 0), tp('a', 1)];
    expect(assignmentChange(owned, [tp('a', 1), tp('a', 2)], owned, false)).toEqual({ revoked: [tp('a', 0)], added: [tp('a', 2)], rejoin: false });
    expect(assignmentChange(owned, [tp('a', 1)], owned, true)).toEqual({ revoked: [tp('a', 0)], added: [], rejoin: true });
    // Lost since the JoinGroup (owned is empty now), but claimed: the leader withheld it, so a second rebalance is needed.
    expect(assignmentChange([], [tp('a', 1)], owned, true)).toEqual({ revoked: [], added: [tp('a', 1)], rejoin: true });
    expect(assignmentChange(owned, owned, owned, true)).toEqual({ revoked: [], added: [], rejoin: false });
  });
});
