/**
 * The membership core driven by hand: scripted answers in, the requests, steps and timers
 * it returns checked. No transport, no clock, no promises: every test reads as the
 * exchange a member has with its coordinator.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/api-keys.js';
import type { FindCoordinatorResponse, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, SyncGroupRequest, SyncGroupResponse } from '../../protocol/group.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import type { TopicPartition } from './membership.js';
import { MembershipCore, type MembershipAction, type MembershipConfig, type SubscriptionData } from './membership-core.js';

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const parse = <T>(b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T;

type Send = Extract<MembershipAction, { kind: 'send' }>;

/** A first retry waits Kafka's 50 ms, give or take 20%. */
const firstBackoff = expect.toSatisfy((ms: number) => ms >= 40 && ms <= 60);

/** A member over the core, with a JSON stand-in for the consumer protocol's bytes. */
class Member {
  readonly core: MembershipCore;
  now = 1_000;
  constructor(config: Partial<MembershipConfig> = {}, nodes: readonly number[] = [1, 2, 3]) {
    this.core = new MembershipCore(
      {
        groupId: 'g',
        groupInstanceId: null,
        assignor: 'range',
        cooperative: false,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 60_000,
        requestTimeoutMs: 30_000,
        heartbeatIntervalMs: 1_000,
        metadataMaxAgeMs: 5_000,
        clientHost: undefined,
        ...config,
      },
      {
        bootstrapNodes: () => nodes,
        encodeSubscription: (s: SubscriptionData) => bytes(s),
        decodeAssignment: (b) => parse<TopicPartition[]>(b),
        rng: new Rng(7),
      },
    );
  }

  /** Finds the coordinator (`node`) for a lookup just returned, then the topics: returns the JoinGroup. */
  findAndJoin(actions: readonly MembershipAction[], node = 2, topics = ['t']): Send {
    const find = only(actions, ApiKey.FindCoordinator);
    const found = this.core.answered(find.id, findAnswer(node), this.now);
    expect(found).toContainEqual({ kind: 'coordinator', node });
    expect(found).toContainEqual({ kind: 'resolve-topics' });
    const joined = this.core.topicsResolved(topics);
    return only(joined, ApiKey.JoinGroup);
  }

  /** A whole first join as the only member and leader (MEMBER_ID_REQUIRED first), ending owning `assigned`. */
  joinAlone(assigned: TopicPartition[], memberId = 'm1'): void {
    let join = this.findAndJoin(this.core.start(this.now));
    expect((join.request as JoinGroupRequest).memberId).toBe('');
    // KIP-394: the first JoinGroup gets an id and is sent again at once, with it.
    const again = this.core.answered(join.id, joinAnswer({ errorCode: 'MEMBER_ID_REQUIRED', memberId }), this.now);
    expect(again).toEqual([{ kind: 'coordinator', node: 2 }, { kind: 'resolve-topics' }]);
    join = only(this.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect((join.request as JoinGroupRequest).memberId).toBe(memberId);
    expect(this.core.state).toBe('PREPARING_REBALANCE');
    const leaderStep = this.core.answered(join.id, joinAnswer({ generationId: 1, memberId, leader: memberId, members: [{ memberId, groupInstanceId: null, metadata: bytes({}) }] }), this.now);
    expect(leaderStep).toEqual([expect.objectContaining({ kind: 'compute-assignment' })]);
    expect(this.core.state).toBe('COMPLETING_REBALANCE');
    const sync = only(this.core.assignmentComputed([{ memberId, assignment: bytes(assigned) }], new Map([['t', 2]])), ApiKey.SyncGroup);
    expect(sync.request).toMatchObject({ generationId: 1, memberId, assignments: [{ memberId }] });
    const taken = this.core.answered(sync.id, syncAnswer(assigned), this.now);
    expect(taken).toEqual([
      { kind: 'timer', timer: 'heartbeat-now', afterMs: 0 },
      { kind: 'rebalanced', generationId: 1, memberId, assigned },
      { kind: 'assign', partitions: assigned },
    ]);
    this.core.partitionsTaken(assigned);
    expect(this.core.assignDone(this.now)).toEqual([{ kind: 'joined' }, { kind: 'timer', timer: 'metadata-check', afterMs: 5_000 }]);
    expect(this.core.state).toBe('STABLE');
  }

  /** Sends a heartbeat (the coordinator known) and answers it with `code`. */
  heartbeat(code: ErrorCode, tookMs = 0): MembershipAction[] {
    const hb = only(this.core.heartbeat(this.now), ApiKey.Heartbeat);
    this.now += tookMs;
    return this.core.answered(hb.id, { apiKey: ApiKey.Heartbeat, errorCode: code } satisfies HeartbeatResponse, this.now);
  }
}

function only(actions: readonly MembershipAction[], apiKey: number): Send {
  const sends = actions.filter((a): a is Send => a.kind === 'send');
  expect(sends.map((s) => s.request.apiKey)).toEqual([apiKey]);
  return sends[0]!;
}

const findAnswer = (node: number, errorCode: ErrorCode = 'NONE'): FindCoordinatorResponse => ({ apiKey: ApiKey.FindCoordinator, coordinators: [{ key: 'g', nodeId: errorCode === 'NONE' ? node : -1, host: '', port: 0, errorCode, errorMessage: null }] }) as unknown as FindCoordinatorResponse;
const joinAnswer = (r: Partial<JoinGroupResponse>): JoinGroupResponse => ({ apiKey: ApiKey.JoinGroup, errorCode: 'NONE', generationId: -1, protocolType: 'consumer', protocolName: 'range', leader: '', memberId: '', members: [], ...r });
const syncAnswer = (assigned: TopicPartition[], errorCode: ErrorCode = 'NONE'): SyncGroupResponse => ({ apiKey: ApiKey.SyncGroup, errorCode, protocolType: 'consumer', protocolName: 'range', assignment: bytes(assigned) });

/** Rejoins as a follower (the coordinator known): the JoinGroup sent, its subscription, and what the answer `generationId` with `assigned` returns. */
function rejoinAsFollower(m: Member, first: readonly MembershipAction[], generationId: number, assigned: TopicPartition[]): { subscription: SubscriptionData; taken: MembershipAction[] } {
  expect(first).toContainEqual({ kind: 'resolve-topics' });
  const join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
  const subscription = parse<SubscriptionData>((join.request as JoinGroupRequest).protocols[0]!.metadata);
  const sync = only(m.core.answered(join.id, joinAnswer({ generationId, memberId: 'm1', leader: 'm0' }), m.now), ApiKey.SyncGroup);
  expect((sync.request as SyncGroupRequest).assignments).toEqual([]);
  return { subscription, taken: m.core.answered(sync.id, syncAnswer(assigned), m.now) };
}

describe('MembershipCore', () => {
  it('a first join: FindCoordinator, JoinGroup, MEMBER_ID_REQUIRED and JoinGroup again with the id, the leader assigns, SyncGroup, assign; heartbeats from then on', () => {
    const m = new Member();
    expect(m.core.state).toBe('UNJOINED');
    // No heartbeat before the member has a generation.
    expect(m.core.heartbeat(m.now)).toEqual([]);
    m.joinAlone([tp('t', 0), tp('t', 1)]);
    expect(m.core.assignment()).toEqual([tp('t', 0), tp('t', 1)]);
    const hb = only(m.core.heartbeat(m.now), ApiKey.Heartbeat);
    expect(hb).toMatchObject({ node: 2, timeoutMs: 10_000, request: { generationId: 1, memberId: 'm1' } satisfies Partial<HeartbeatRequest> });
    // One heartbeat at a time.
    expect(m.core.heartbeat(m.now)).toEqual([]);
    // Answered at once: the next goes at the interval; held (50 ms or more): again at once.
    expect(m.core.answered(hb.id, { apiKey: ApiKey.Heartbeat, errorCode: 'NONE' }, m.now)).toEqual([]);
    expect(m.heartbeat('NONE', 400)).toEqual([{ kind: 'timer', timer: 'heartbeat-now', afterMs: 0 }]);
  });

  it('an eager rebalance: REBALANCE_IN_PROGRESS revokes everything before the JoinGroup, which claims nothing', () => {
    const m = new Member();
    m.joinAlone([tp('t', 0), tp('t', 1)]);
    const revoke = m.heartbeat('REBALANCE_IN_PROGRESS');
    expect(revoke).toEqual([{ kind: 'revoke', partitions: [tp('t', 0), tp('t', 1)] }]);
    m.core.partitionsRevoked([tp('t', 0), tp('t', 1)]);
    const { subscription, taken } = rejoinAsFollower(m, m.core.revokeDone(m.now), 2, [tp('t', 1)]);
    expect(subscription).toMatchObject({ topics: ['t'], ownedPartitions: [], generationId: -1 });
    expect(taken).toEqual([
      { kind: 'timer', timer: 'heartbeat-now', afterMs: 0 },
      { kind: 'rebalanced', generationId: 2, memberId: 'm1', assigned: [tp('t', 1)] },
      { kind: 'assign', partitions: [tp('t', 1)] },
    ]);
  });

  it('a cooperative rebalance: nothing revoked first, the JoinGroup claims what it owns, only what moves is revoked, then a second JoinGroup hands it over', () => {
    const m = new Member({ assignor: 'cooperative-sticky', cooperative: true });
    m.joinAlone([tp('t', 0), tp('t', 1)]);
    const first = m.heartbeat('REBALANCE_IN_PROGRESS');
    expect(first.filter((a) => a.kind === 'revoke')).toEqual([]);
    const { subscription, taken } = rejoinAsFollower(m, first, 2, [tp('t', 0)]);
    expect(subscription).toMatchObject({ ownedPartitions: [tp('t', 0), tp('t', 1)], generationId: 1 });
    expect(taken).toEqual([{ kind: 'timer', timer: 'heartbeat-now', afterMs: 0 }, { kind: 'revoke', partitions: [tp('t', 1)] }]);
    // t-0 is kept throughout; t-1 goes, and the member joins again so the leader can give it away.
    expect(m.core.assignment()).toEqual([tp('t', 0), tp('t', 1)]);
    m.core.partitionsRevoked([tp('t', 1)]);
    const after = m.core.revokeDone(m.now);
    expect(after.slice(0, 2)).toEqual([{ kind: 'rebalanced', generationId: 2, memberId: 'm1', assigned: [tp('t', 0)] }, { kind: 'joined' }]);
    const second = rejoinAsFollower(m, after, 3, [tp('t', 0)]);
    expect(second.subscription).toMatchObject({ ownedPartitions: [tp('t', 0)], generationId: 2 });
    expect(second.taken.filter((a) => a.kind === 'revoke' || a.kind === 'assign')).toEqual([]);
  });

  it('a cooperative member that missed a generation loses what it owns before it syncs', () => {
    const m = new Member({ assignor: 'cooperative-sticky', cooperative: true });
    m.joinAlone([tp('t', 0)]);
    const first = m.heartbeat('REBALANCE_IN_PROGRESS');
    const join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect(first).toContainEqual({ kind: 'resolve-topics' });
    // Generation 3, not 2: the partitions may already be someone else's.
    expect(m.core.answered(join.id, joinAnswer({ generationId: 3, memberId: 'm1', leader: 'm0' }), m.now)).toEqual([{ kind: 'lose', partitions: [tp('t', 0)] }]);
    expect(m.core.assignment()).toEqual([]);
    only(m.core.loseDone(m.now), ApiKey.SyncGroup);
  });

  it('the coordinator moved: a NOT_COORDINATOR heartbeat forgets it, the next heartbeat finds it again first; a JoinGroup that meets it backs off and finds it again', () => {
    const m = new Member();
    m.joinAlone([tp('t', 0)]);
    expect(m.heartbeat('NOT_COORDINATOR')).toEqual([]);
    expect(m.core.coordinatorId).toBeUndefined();
    const find = only(m.core.heartbeat(m.now), ApiKey.FindCoordinator);
    expect(find.node).toBe(1);
    // Not found yet: the same lookup tries the next node after a backoff.
    expect(m.core.answered(find.id, findAnswer(0, 'COORDINATOR_NOT_AVAILABLE'), m.now)).toEqual([{ kind: 'timer', timer: 'lookup-backoff', afterMs: firstBackoff }]);
    const again = only(m.core.timerFired('lookup-backoff', m.now), ApiKey.FindCoordinator);
    expect(again.node).toBe(2);
    const found = m.core.answered(again.id, findAnswer(3), m.now);
    expect(found[0]).toEqual({ kind: 'coordinator', node: 3 });
    expect(only(found, ApiKey.Heartbeat).node).toBe(3);

    const rejoin = m.core.requestRejoin(false, m.now);
    expect(rejoin).toEqual([{ kind: 'revoke', partitions: [tp('t', 0)] }]);
    m.core.partitionsRevoked([tp('t', 0)]);
    expect(m.core.revokeDone(m.now)).toEqual([{ kind: 'coordinator', node: 3 }, { kind: 'resolve-topics' }]);
    const join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect(join.node).toBe(3);
    expect(m.core.requestFailed(join.id, new TributaryError('NOT_COORDINATOR', 'moved'), m.now)).toEqual([{ kind: 'timer', timer: 'join-backoff', afterMs: firstBackoff }]);
    expect(m.core.coordinatorId).toBeUndefined();
    expect(m.findAndJoin(m.core.timerFired('join-backoff', m.now), 1).node).toBe(1);
  });

  it('an unknown member loses its partitions and joins again without its member id; a fenced static member ends', () => {
    const m = new Member();
    m.joinAlone([tp('t', 0)]);
    // The group moved on without it: its partitions are lost (not revoked, nothing committed).
    expect(m.heartbeat('UNKNOWN_MEMBER_ID')).toEqual([{ kind: 'lose', partitions: [tp('t', 0)] }]);
    expect(m.core.assignment()).toEqual([]);
    expect(m.core.loseDone(m.now)).toEqual([{ kind: 'coordinator', node: 2 }, { kind: 'resolve-topics' }]);
    let join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect((join.request as JoinGroupRequest).memberId).toBe('m1');
    expect(m.core.answered(join.id, joinAnswer({ errorCode: 'UNKNOWN_MEMBER_ID' }), m.now)).toEqual([{ kind: 'timer', timer: 'join-backoff', afterMs: firstBackoff }]);
    expect(m.core.timerFired('join-backoff', m.now)).toEqual([{ kind: 'coordinator', node: 2 }, { kind: 'resolve-topics' }]);
    join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect((join.request as JoinGroupRequest).memberId).toBe('');

    const s = new Member({ groupInstanceId: 'i1' });
    s.joinAlone([tp('t', 0)]);
    const fenced = s.heartbeat('FENCED_INSTANCE_ID');
    expect(fenced).toEqual([{ kind: 'fatal', error: expect.objectContaining({ code: 'FENCED_INSTANCE_ID' }) }]);
    const t = new Member({ groupInstanceId: 'i1' });
    const tj = t.findAndJoin(t.core.start(t.now));
    expect(t.core.answered(tj.id, joinAnswer({ errorCode: 'FENCED_INSTANCE_ID' }), t.now)).toEqual([{ kind: 'fatal', error: expect.objectContaining({ code: 'FENCED_INSTANCE_ID' }) }]);
    expect(t.core.step).toBe('ended');
  });

  it('a slow revoke while a heartbeat says rebalance: heartbeats go on, no JoinGroup until the revoke is done, then the member joins again at once', () => {
    const m = new Member({ assignor: 'cooperative-sticky', cooperative: true });
    m.joinAlone([tp('t', 0), tp('t', 1)]);
    const { taken } = rejoinAsFollower(m, m.heartbeat('REBALANCE_IN_PROGRESS'), 2, [tp('t', 0)]);
    expect(taken).toContainEqual({ kind: 'revoke', partitions: [tp('t', 1)] });
    // The `revoked` handler is slow; the member is in generation 2 and heartbeats meanwhile.
    expect(m.core.state).toBe('STABLE');
    m.now += 1_000;
    const during = m.heartbeat('REBALANCE_IN_PROGRESS');
    expect(during).toEqual([]);
    expect(m.core.step).toBe('taking-revoke');
    // The handler returns: the generation's assignment is reported, then a JoinGroup follows at once.
    m.core.partitionsRevoked([tp('t', 1)]);
    const after = m.core.revokeDone(m.now);
    expect(after).toEqual([
      { kind: 'rebalanced', generationId: 2, memberId: 'm1', assigned: [tp('t', 0)] },
      { kind: 'joined' },
      { kind: 'coordinator', node: 2 },
      { kind: 'resolve-topics' },
    ]);

    // Eager: the revoke before the JoinGroup is slow; a heartbeat of the old generation still goes.
    const e = new Member();
    e.joinAlone([tp('t', 0)]);
    expect(e.heartbeat('REBALANCE_IN_PROGRESS')).toEqual([{ kind: 'revoke', partitions: [tp('t', 0)] }]);
    expect(e.heartbeat('REBALANCE_IN_PROGRESS')).toEqual([]);
    e.core.partitionsRevoked([tp('t', 0)]);
    expect(e.core.revokeDone(e.now)).toEqual([{ kind: 'coordinator', node: 2 }, { kind: 'resolve-topics' }]);
  });

  it('no heartbeat between JoinGroup and the SyncGroup answer; a closed member sends nothing more of its join and asks for the coordinator once', () => {
    const m = new Member();
    m.joinAlone([tp('t', 0)]);
    m.core.requestRejoin(false, m.now);
    m.core.partitionsRevoked([tp('t', 0)]);
    m.core.revokeDone(m.now);
    const join = only(m.core.topicsResolved(['t']), ApiKey.JoinGroup);
    expect(m.core.heartbeat(m.now)).toEqual([]);
    expect(m.core.stop(m.now)).toEqual([]);
    // The answer still names the member; no SyncGroup follows.
    expect(m.core.answered(join.id, joinAnswer({ generationId: 2, memberId: 'm1', leader: 'm0' }), m.now)).toEqual([]);
    // Leave asked: nothing owned any more (revoked before the JoinGroup), so a LeaveGroup at once.
    const leave = only(m.core.leave(), ApiKey.LeaveGroup);
    expect(leave).toMatchObject({ node: 2, timeoutMs: 30_000, request: { members: [{ memberId: 'm1', groupInstanceId: null }] } });
    expect(m.core.requestFailed(leave.id, new TributaryError('REQUEST_TIMED_OUT', 'slow'), m.now)).toEqual([{ kind: 'left' }]);
    // Closed while a generation's revoke step ran: nothing new is taken after it.
    const c = new Member({ assignor: 'cooperative-sticky', cooperative: true });
    c.joinAlone([tp('t', 0), tp('t', 1)]);
    const { taken } = rejoinAsFollower(c, c.heartbeat('REBALANCE_IN_PROGRESS'), 2, [tp('t', 0), tp('t', 2)]);
    expect(taken).toContainEqual({ kind: 'revoke', partitions: [tp('t', 1)] });
    c.core.stop(c.now);
    c.core.partitionsRevoked([tp('t', 1)]);
    expect(c.core.revokeDone(c.now)).toEqual([]);
    expect(c.core.assignment()).toEqual([tp('t', 0)]);

    m.core.coordinatorUnknown();
    const find = only(m.core.needCoordinator(m.now), ApiKey.FindCoordinator);
    expect(m.core.requestFailed(find.id, new TributaryError('NETWORK_EXCEPTION', 'gone'), m.now)).toEqual([{ kind: 'coordinator-failed', error: expect.objectContaining({ code: 'CLIENT_CLOSED' }) }]);
  });

  it('leave asked: the revoked handlers and a commit first, then LeaveGroup, then left; a static member leaves no LeaveGroup', () => {
    const m = new Member();
    m.joinAlone([tp('t', 0), tp('t', 1)]);
    m.core.stop(m.now);
    expect(m.core.leave()).toEqual([{ kind: 'leave-revoke', partitions: [tp('t', 0), tp('t', 1)] }]);
    // Asked twice (close called again): nothing more.
    expect(m.core.leave()).toEqual([]);
    const leave = only(m.core.leaveRevokeDone(), ApiKey.LeaveGroup);
    expect(leave.request).toEqual({ apiKey: ApiKey.LeaveGroup, groupId: 'g', members: [{ memberId: 'm1', groupInstanceId: null, reason: 'the consumer is closing' }] });
    expect(m.core.assignment()).toHaveLength(2);
    expect(m.core.answered(leave.id, { apiKey: ApiKey.LeaveGroup, errorCode: 'NONE', members: [] }, m.now)).toEqual([{ kind: 'left' }]);
    expect(m.core.assignment()).toEqual([]);

    const s = new Member({ groupInstanceId: 'i1' });
    s.joinAlone([tp('t', 0)]);
    s.core.stop(s.now);
    expect(s.core.leave()).toEqual([{ kind: 'leave-revoke', partitions: [tp('t', 0)] }]);
    expect(s.core.leaveRevokeDone()).toEqual([{ kind: 'left' }]);
    // Never joined: nothing to give up, nobody to tell.
    const n = new Member();
    expect(n.core.leave()).toEqual([{ kind: 'left' }]);
  });
});
