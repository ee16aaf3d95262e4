import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiKey, apiName } from '../../protocol/api-keys.js';
import { inProcessClientHost } from '../../protocol/group.js';
import type * as P from '../../protocol/group.js';
import { Rng } from '../../util/rng.js';
import { GroupCoordinator, type GroupCoordinatorConfig, type GroupOutput, type GroupReply, type GroupRequest, type GroupResponseFor } from './group-coordinator.js';
import { partitionForGroup, type GroupRecord } from './group-records.js';

/** A JoinGroup with the client id its request header would carry, which the stand-in shell passes as the request context. */
type JoinGroupRequest = P.JoinGroupRequest & { readonly clientId?: string };
type JoinGroupResponse = GroupResponseFor<P.JoinGroupRequest>;
type SyncGroupResponse = GroupResponseFor<P.SyncGroupRequest>;
type HeartbeatResponse = GroupResponseFor<P.HeartbeatRequest>;
type LeaveGroupResponse = GroupResponseFor<P.LeaveGroupRequest>;
type OffsetCommitResponse = GroupResponseFor<P.OffsetCommitRequest>;
type OffsetFetchResponse = GroupResponseFor<P.OffsetFetchRequest>;
type ListGroupsResponse = GroupResponseFor<P.ListGroupsRequest>;
type DescribeGroupsResponse = GroupResponseFor<P.DescribeGroupsRequest>;
type DeleteGroupsResponse = GroupResponseFor<P.DeleteGroupsRequest>;

const sub = (...b: number[]): Uint8Array => new Uint8Array(b);

/**
 * A stand-in for the shell and the offsets partition: it commits (replays) what the
 * coordinator returns at once unless told to hold, and records every reply, checking
 * that each request is answered exactly once.
 */
class Shell {
  now = 0;
  private nextId = 1;
  readonly committed: GroupRecord[] = [];
  readonly uncommitted: GroupRecord[] = [];
  readonly replies = new Map<number, GroupReply>();
  readonly requests = new Map<number, GroupRequest>();
  hold = false;
  coordinator: GroupCoordinator;

  constructor(readonly config: Partial<GroupCoordinatorConfig> = {}, options: { partition?: { index: number; count: number }; partitionExists?: (t: string, p: number) => boolean } = {}) {
    this.coordinator = new GroupCoordinator({ rng: new Rng(7), config, ...options });
    this.coordinator.loadFrom([], 0);
  }

  apply(out: GroupOutput): GroupOutput {
    for (const r of out.records) this.uncommitted.push(r);
    if (!this.hold) this.commit();
    for (const reply of out.replies) {
      expect(this.replies.has(reply.to), `request ${reply.to} answered twice`).toBe(false);
      expect(this.requests.has(reply.to), `reply to unknown request ${reply.to}`).toBe(true);
      this.replies.set(reply.to, reply);
    }
    return out;
  }

  commit(): void {
    for (const r of this.uncommitted.splice(0)) {
      this.coordinator.replay(r);
      this.committed.push(r);
    }
  }

  send(request: GroupRequest): number {
    const id = this.nextId++;
    this.requests.set(id, request);
    const clientId = (request as JoinGroupRequest).clientId;
    this.apply(this.coordinator.handle(id, request, this.now, clientId === undefined ? undefined : { clientId }));
    return id;
  }

  reply<T>(id: number): T | undefined {
    return this.replies.get(id)?.response as T | undefined;
  }

  /** The response to a request that must have been answered. */
  must<T>(id: number): T {
    const r = this.reply<T>(id);
    expect(r, `request ${id} (${apiName(this.requests.get(id)?.apiKey ?? -1)}) has no reply`).toBeDefined();
    return r!;
  }

  tick(ms: number): GroupOutput {
    this.now += ms;
    return this.apply(this.coordinator.tick(this.now));
  }

  // ---- conveniences ----

  joinRequest(group: string, memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
    return {
      apiKey: ApiKey.JoinGroup,
      groupId: group,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: sub(1) }],
      clientId: 'client',
      ...extra,
    };
  }

  /** A dynamic member's first join: MEMBER_ID_REQUIRED, then the join with its id (parked or answered). */
  join(group: string, extra: Partial<JoinGroupRequest> = {}): { memberId: string; id: number } {
    const first = this.must<JoinGroupResponse>(this.send(this.joinRequest(group, '', extra)));
    expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
    expect(first.memberId).not.toBe('');
    return { memberId: first.memberId, id: this.send(this.joinRequest(group, first.memberId, extra)) };
  }

  rejoin(group: string, memberId: string, extra: Partial<JoinGroupRequest> = {}): number {
    return this.send(this.joinRequest(group, memberId, extra));
  }

  sync(group: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Uint8Array }[] = [], groupInstanceId: string | null = null): number {
    return this.send({ apiKey: ApiKey.SyncGroup, groupId: group, generationId, memberId, groupInstanceId, protocolType: 'consumer', protocolName: null, assignments });
  }

  heartbeat(group: string, memberId: string, generationId: number, groupInstanceId: string | null = null): HeartbeatResponse['errorCode'] {
    return this.must<HeartbeatResponse>(this.send({ apiKey: ApiKey.Heartbeat, groupId: group, generationId, memberId, groupInstanceId })).errorCode;
  }

  commitOffsets(group: string, memberId: string, generationId: number, offsets: Record<string, number>, groupInstanceId: string | null = null): number {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const [tp, offset] of Object.entries(offsets)) {
      const [topic, p] = tp.split(':') as [string, string];
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push({ partitionIndex: Number(p), committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: null });
    }
    return this.send({ apiKey: ApiKey.OffsetCommit, groupId: group, generationId, memberId, groupInstanceId, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
  }

  commitErrors(id: number): string[] {
    return this.must<OffsetCommitResponse>(id).topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  fetchOffsets(group: string): Record<string, number> {
    const r = this.must<OffsetFetchResponse>(this.send({ apiKey: ApiKey.OffsetFetch, groupId: group, topics: null }));
    expect(r.errorCode).toBe('NONE');
    return Object.fromEntries(r.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}:${p.partitionIndex}`, p.committedOffset])));
  }

  /** Forms a Stable group of `n` dynamic members; returns their ids, leader first, and the generation. */
  stableGroup(group: string, n: number, extra: Partial<JoinGroupRequest> = {}): { members: string[]; generation: number } {
    const joins: { memberId: string; id: number }[] = [];
    for (let i = 0; i < n; i++) {
      joins.push(this.join(group, extra));
      // Everyone already in rejoins (they would learn of the rebalance from a heartbeat).
      for (const j of joins.slice(0, -1)) if (this.replies.has(j.id)) j.id = this.rejoin(group, j.memberId, extra);
    }
    const results = joins.map((j) => this.must<JoinGroupResponse>(j.id));
    for (const r of results) expect(r.errorCode).toBe('NONE');
    const generation = results[0]!.generationId;
    const leader = results[0]!.leader;
    const members = [leader, ...joins.map((j) => j.memberId).filter((m) => m !== leader)];
    const syncs = members.map((m) => this.sync(group, m, generation, m === leader ? members.map((id, i) => ({ memberId: id, assignment: sub(i) })) : []));
    for (const s of syncs) expect(this.must<SyncGroupResponse>(s).errorCode).toBe('NONE');
    expect(this.coordinator.groupState(group)).toBe('Stable');
    return { members, generation };
  }
}

describe('GroupCoordinator: JoinGroup and SyncGroup', () => {
  it('a first join gets MEMBER_ID_REQUIRED and an id; the join with it forms generation 1 with the member as leader', () => {
    const s = new Shell();
    const { memberId, id } = s.join('g', { clientId: 'app' });
    expect(memberId).toMatch(/^app-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const r = s.must<JoinGroupResponse>(id);
    expect(r).toMatchObject({ errorCode: 'NONE', generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: memberId, memberId });
    expect(r.members).toEqual([{ memberId, groupInstanceId: null, metadata: sub(1) }]);
    expect(s.coordinator.groupState('g')).toBe('CompletingRebalance');
    expect(s.committed).toEqual([]); // nothing durable until the leader syncs
    const sync = s.sync('g', memberId, 1, [{ memberId, assignment: sub(9) }]);
    expect(s.replies.get(sync)).toMatchObject({ afterCommit: true, response: { errorCode: 'NONE', assignment: sub(9), protocolName: 'range' } });
    expect(s.coordinator.groupState('g')).toBe('Stable');
    expect(s.committed).toHaveLength(1);
    expect(s.committed[0]).toMatchObject({ type: 'GroupMetadata', key: { group: 'g' }, value: { generation: 1, protocol: 'range', leader: memberId, members: [{ memberId, assignment: sub(9), subscription: sub(1) }] } });
  });

  it('a second member triggers a rebalance: the first learns from its heartbeat, both rejoin, the leader assigns, followers wait for it', () => {
    const s = new Shell();
    const { members: [a], generation } = s.stableGroup('g', 1);
    const b = s.join('g');
    expect(s.replies.has(b.id)).toBe(false); // parked until a rejoins
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
    expect(s.heartbeat('g', a!, generation)).toBe('REBALANCE_IN_PROGRESS');
    const aJoin = s.rejoin('g', a!);
    const ra = s.must<JoinGroupResponse>(aJoin);
    const rb = s.must<JoinGroupResponse>(b.id);
    expect(ra.generationId).toBe(2);
    expect(rb.generationId).toBe(2);
    expect(ra.leader).toBe(a);
    expect(ra.members.map((m) => m.memberId)).toEqual([a, b.memberId]);
    expect(rb.members).toEqual([]); // only the leader gets the subscriptions
    // The follower's SyncGroup waits for the leader's.
    const syncB = s.sync('g', b.memberId, 2);
    expect(s.replies.has(syncB)).toBe(false);
    expect(s.heartbeat('g', b.memberId, 2)).toBe('NONE'); // CompletingRebalance heartbeats are fine
    const syncA = s.sync('g', a!, 2, [
      { memberId: a!, assignment: sub(1) },
      { memberId: b.memberId, assignment: sub(2) },
    ]);
    expect(s.must<SyncGroupResponse>(syncA).assignment).toEqual(sub(1));
    expect(s.replies.get(syncB)).toMatchObject({ afterCommit: true, response: { errorCode: 'NONE', assignment: sub(2) } });
    expect(s.heartbeat('g', a!, 2)).toBe('NONE');
  });

  it('the leader computes nothing for members it forgot: they get an empty assignment', () => {
    const s = new Shell();
    const { members } = s.stableGroup('g', 2);
    expect(s.coordinator.committedGroupMetadata('g')!.members.map((m) => m.assignment)).toEqual([sub(0), sub(1)]);
    const b = s.join('g');
    const joins = members.map((m) => s.rejoin('g', m));
    const gen = s.must<JoinGroupResponse>(joins[0]!).generationId;
    s.sync('g', members[0]!, gen, [{ memberId: members[0]!, assignment: sub(5) }]);
    const syncB = s.sync('g', b.memberId, gen);
    expect(s.must<SyncGroupResponse>(syncB).assignment).toEqual(sub());
  });

  it('SyncGroup errors: unknown group or member, old generation, another protocol, during the join phase, and a Stable group answers at once', () => {
    const s = new Shell();
    const { members, generation } = s.stableGroup('g', 2);
    const err = (id: number): string => s.must<SyncGroupResponse>(id).errorCode;
    expect(err(s.sync('nope', members[0]!, generation))).toBe('UNKNOWN_MEMBER_ID');
    expect(err(s.sync('g', 'stranger', generation))).toBe('UNKNOWN_MEMBER_ID');
    expect(err(s.sync('g', members[1]!, generation + 1))).toBe('ILLEGAL_GENERATION');
    expect(err(s.send({ apiKey: ApiKey.SyncGroup, groupId: 'g', generationId: generation, memberId: members[1]!, groupInstanceId: null, protocolType: 'connect', protocolName: null, assignments: [] }))).toBe(
      'INCONSISTENT_GROUP_PROTOCOL',
    );
    expect(err(s.send({ apiKey: ApiKey.SyncGroup, groupId: 'g', generationId: generation, memberId: members[1]!, groupInstanceId: null, protocolType: null, protocolName: 'roundrobin', assignments: [] }))).toBe(
      'INCONSISTENT_GROUP_PROTOCOL',
    );
    expect(err(s.send({ apiKey: ApiKey.SyncGroup, groupId: '', generationId: generation, memberId: members[1]!, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }))).toBe('INVALID_GROUP_ID');
    // Stable: the current assignment at once.
    const again = s.sync('g', members[1]!, generation);
    expect(s.must<SyncGroupResponse>(again)).toMatchObject({ errorCode: 'NONE', assignment: sub(1) });
    s.join('g');
    expect(err(s.sync('g', members[1]!, generation))).toBe('REBALANCE_IN_PROGRESS');
  });

  it('a follower parked in SyncGroup is told REBALANCE_IN_PROGRESS when a new member arrives before the leader syncs', () => {
    const s = new Shell();
    const { members } = s.stableGroup('g', 2);
    s.join('g');
    const joins = members.map((m) => s.rejoin('g', m));
    const gen = s.must<JoinGroupResponse>(joins[0]!).generationId;
    expect(gen).toBe(3); // the third member was parked, so the join phase completed when the last old member rejoined
    const follower = members[1]!;
    const parked = s.sync('g', follower, gen);
    expect(s.replies.has(parked)).toBe(false);
    s.join('g'); // a fourth member
    expect(s.must<SyncGroupResponse>(parked).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
  });

  it('JoinGroup errors by name', () => {
    const s = new Shell({ groupMaxSize: 2 });
    const err = (req: JoinGroupRequest): string => s.must<JoinGroupResponse>(s.send(req)).errorCode;
    expect(err(s.joinRequest('', ''))).toBe('INVALID_GROUP_ID');
    expect(err(s.joinRequest('g', '', { sessionTimeoutMs: 10 }))).toBe('INVALID_SESSION_TIMEOUT');
    expect(err(s.joinRequest('g', '', { sessionTimeoutMs: 3_600_000 }))).toBe('INVALID_SESSION_TIMEOUT');
    expect(err(s.joinRequest('g', '', { protocols: [] }))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(err(s.joinRequest('g', '', { protocolType: '' }))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(err(s.joinRequest('unknown', 'some-member-id'))).toBe('UNKNOWN_MEMBER_ID');
    expect(err(s.joinRequest('g', '', { protocols: [{ name: 'x', metadata: new Uint8Array(2 << 20) }] }))).toBe('INVALID_REQUEST');
    s.stableGroup('g', 1);
    expect(err(s.joinRequest('g', '', { protocolType: 'connect' }))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(err(s.joinRequest('g', '', { protocols: [{ name: 'roundrobin', metadata: sub() }] }))).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(err(s.joinRequest('g', 'not-a-member'))).toBe('UNKNOWN_MEMBER_ID');
    // A full group turns a third member away, and keeps its two members.
    const { members } = s.stableGroup('full', 2);
    expect(err(s.joinRequest('full', ''))).toBe('GROUP_MAX_SIZE_REACHED');
    expect(s.coordinator.groupMembers('full')).toEqual(members);
    expect(s.coordinator.groupState('full')).toBe('Stable');
  });

  it('a member that joins again with the same metadata while CompletingRebalance gets the same generation again', () => {
    const s = new Shell();
    const a = s.join('g');
    const r1 = s.must<JoinGroupResponse>(a.id);
    const r2 = s.must<JoinGroupResponse>(s.rejoin('g', a.memberId));
    expect(r2).toEqual(r1);
    // With other metadata it rebalances.
    const r3 = s.rejoin('g', a.memberId, { protocols: [{ name: 'range', metadata: sub(7) }] });
    expect(s.must<JoinGroupResponse>(r3).generationId).toBe(2);
  });

  it('the protocol is the one every member supports, chosen by the members’ preferences', () => {
    const s = new Shell();
    const both = [
      { name: 'cooperative-sticky', metadata: sub(1) },
      { name: 'range', metadata: sub(2) },
    ];
    const a = s.join('g', { protocols: both });
    const b = s.join('g', { protocols: [{ name: 'range', metadata: sub(3) }] });
    s.rejoin('g', a.memberId, { protocols: both });
    expect(s.must<JoinGroupResponse>(b.id).protocolName).toBe('range');
  });

  it('a second JoinGroup while one is parked answers the first with REBALANCE_IN_PROGRESS', () => {
    const s = new Shell();
    const { members } = s.stableGroup('g', 2);
    const first = s.rejoin('g', members[0]!);
    const second = s.rejoin('g', members[0]!);
    expect(s.must<JoinGroupResponse>(first).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(s.replies.has(second)).toBe(false);
  });

  it('the initial rebalance delay gathers the first members into one generation', () => {
    const s = new Shell({ groupInitialRebalanceDelayMs: 3000 });
    const a = s.join('g');
    s.tick(1000);
    const b = s.join('g');
    s.tick(1999);
    expect(s.replies.has(a.id)).toBe(false);
    s.tick(1); // 3000 ms after the first: a new member came, so it waits one more delay
    expect(s.replies.has(a.id)).toBe(false);
    s.tick(3000);
    expect(s.must<JoinGroupResponse>(a.id).generationId).toBe(1);
    expect(s.must<JoinGroupResponse>(b.id).generationId).toBe(1);
  });

  it('requests before activation get COORDINATOR_LOAD_IN_PROGRESS; groups of another partition NOT_COORDINATOR', () => {
    const c = new GroupCoordinator({ rng: new Rng(1) });
    const out = c.handle(1, { apiKey: ApiKey.Heartbeat, groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }, 0);
    expect(out.replies).toEqual([{ to: 1, response: { errorCode: 'COORDINATOR_LOAD_IN_PROGRESS' }, afterCommit: false }]);
    const index = partitionForGroup('group', 50);
    const s = new Shell({}, { partition: { index: (index + 1) % 50, count: 50 } });
    expect(s.must<JoinGroupResponse>(s.send(s.joinRequest('group', ''))).errorCode).toBe('NOT_COORDINATOR');
    const mine = new Shell({}, { partition: { index, count: 50 } });
    expect(mine.must<JoinGroupResponse>(mine.send(mine.joinRequest('group', ''))).errorCode).toBe('MEMBER_ID_REQUIRED');
  });
});

describe('GroupCoordinator: the request language', () => {
  it('takes requests as the wire decodes them: optional fields left out get Kafka defaults, and the context gives the client id and host', () => {
    const c = new GroupCoordinator({ rng: new Rng(5) });
    c.loadFrom([], 0);
    const replies = new Map<number, GroupReply>();
    // Commits at once what the coordinator returns.
    const send = (id: number, request: GroupRequest, context?: { clientId: string; clientHost?: string }): void => {
      const out = c.handle(id, request, 0, context);
      for (const r of out.records) c.replay(r);
      for (const r of out.replies) replies.set(r.to, r);
    };
    const response = <T>(id: number): T => replies.get(id)!.response as T;
    // A JoinGroup v4 carries no group instance id; the context names the client, and its host wins over the request's.
    const join = { apiKey: ApiKey.JoinGroup, groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: sub(1) }], clientHost: 'in-process:r1' } as const;
    const wire = { clientId: 'wire-client', clientHost: '/10.0.0.9' };
    send(1, { ...join, memberId: '' }, wire);
    const memberId = response<JoinGroupResponse>(1).memberId;
    expect(memberId.startsWith('wire-client-')).toBe(true);
    send(2, { ...join, memberId }, wire);
    expect(response<JoinGroupResponse>(2)).toMatchObject({ errorCode: 'NONE', generationId: 1, leader: memberId, skipAssignment: false });
    // A SyncGroup v3 carries no protocol type or name.
    send(3, { apiKey: ApiKey.SyncGroup, groupId: 'g', generationId: 1, memberId, assignments: [{ memberId, assignment: sub(7) }] });
    expect(response<SyncGroupResponse>(3)).toMatchObject({ errorCode: 'NONE', assignment: sub(7) });
    // An OffsetCommit v5 carries no leader epoch: -1 is stored.
    send(4, { apiKey: ApiKey.OffsetCommit, groupId: 'g', generationId: 1, memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] }] });
    expect(c.committedOffsets('g')).toEqual([{ topic: 't', partition: 0, value: { offset: 42, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: null } }]);
    // A ListGroups v3 carries no state filter: every group.
    send(5, { apiKey: ApiKey.ListGroups });
    expect(response<ListGroupsResponse>(5).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable' }]);
    send(6, { apiKey: ApiKey.DescribeGroups, groups: ['g'] });
    expect(response<DescribeGroupsResponse>(6).groups[0]!.members).toMatchObject([{ memberId, groupInstanceId: null, clientId: 'wire-client', clientHost: '/10.0.0.9' }]);
    // With no context the client id is empty, and the JoinGroup's own client host is kept.
    send(7, { ...join, groupId: 'h', memberId: '' });
    const other = response<JoinGroupResponse>(7).memberId;
    expect(other.startsWith('-')).toBe(true);
    send(8, { ...join, groupId: 'h', memberId: other });
    send(9, { apiKey: ApiKey.DescribeGroups, groups: ['h'] });
    expect(response<DescribeGroupsResponse>(9).groups[0]!.members).toMatchObject([{ memberId: other, clientId: '', clientHost: 'in-process:r1' }]);
  });
});

describe('GroupCoordinator: Heartbeat, session expiry, rebalance and sync timeouts', () => {
  it('heartbeat errors by name', () => {
    const s = new Shell();
    const { members, generation } = s.stableGroup('g', 1);
    expect(s.heartbeat('g', members[0]!, generation)).toBe('NONE');
    expect(s.heartbeat('g', members[0]!, generation - 1)).toBe('ILLEGAL_GENERATION');
    expect(s.heartbeat('g', 'stranger', generation)).toBe('UNKNOWN_MEMBER_ID');
    expect(s.heartbeat('nope', members[0]!, generation)).toBe('UNKNOWN_MEMBER_ID');
    expect(s.heartbeat('', members[0]!, generation)).toBe('INVALID_GROUP_ID');
  });

  it('a member that stops heartbeating is removed after its session timeout, and the group rebalances without it', () => {
    const s = new Shell();
    const { members: [a, b], generation } = s.stableGroup('g', 2);
    s.tick(6000);
    expect(s.heartbeat('g', a!, generation)).toBe('NONE');
    s.tick(3999);
    expect(s.coordinator.groupMembers('g')).toContain(b);
    s.tick(1); // b's session (10 s) is over
    expect(s.coordinator.groupMembers('g')).toEqual([a]);
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
    expect(s.heartbeat('g', a!, generation)).toBe('REBALANCE_IN_PROGRESS');
    const r = s.must<JoinGroupResponse>(s.rejoin('g', a!));
    expect(r).toMatchObject({ errorCode: 'NONE', generationId: generation + 1, leader: a });
    expect(s.heartbeat('g', b!, generation)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('when the last member expires the group becomes Empty, and that is written', () => {
    const s = new Shell();
    const { generation } = s.stableGroup('g', 1);
    s.tick(10_000);
    expect(s.coordinator.groupState('g')).toBe('Empty');
    expect(s.coordinator.committedGroupMetadata('g')).toMatchObject({ generation: generation + 1, protocol: null, leader: null, members: [], currentStateTimestamp: 10_000 });
  });

  it('members that do not rejoin within the rebalance timeout are removed; those that did form the generation', () => {
    const s = new Shell();
    const { members: [a, b, c] } = s.stableGroup('g', 3);
    const joinA = s.rejoin('g', a!);
    s.tick(5000);
    const joinB = s.rejoin('g', b!);
    for (let t = 5000; t < 30_000; t += 5000) {
      expect(s.heartbeat('g', c!, 3)).toBe('REBALANCE_IN_PROGRESS'); // heartbeats do not count as rejoining
      s.tick(t === 25_000 ? 4999 : 5000);
    }
    expect(s.replies.has(joinA)).toBe(false);
    s.tick(1); // 30 s after the rebalance began
    expect(s.must<JoinGroupResponse>(joinA).generationId).toBe(4);
    expect(s.must<JoinGroupResponse>(joinB).generationId).toBe(4);
    expect(s.coordinator.groupMembers('g')).toEqual([a, b]);
    expect(s.heartbeat('g', c!, 3)).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a member that rejoined but never syncs is removed after the rebalance timeout, and the group rebalances', () => {
    const s = new Shell();
    const { members: [a, b] } = s.stableGroup('g', 2);
    const joins = [s.rejoin('g', a!), s.rejoin('g', b!)];
    const gen = s.must<JoinGroupResponse>(joins[0]!).generationId;
    s.sync('g', a!, gen, [{ memberId: a!, assignment: sub(1) }]);
    for (let t = 0; t < 6; t++) {
      expect(s.heartbeat('g', a!, gen)).toBe('NONE');
      expect(s.heartbeat('g', b!, gen)).toBe('NONE');
      s.tick(t === 5 ? 4999 : 5000);
    }
    expect(s.coordinator.groupMembers('g')).toEqual([a, b]);
    s.tick(1);
    expect(s.coordinator.groupMembers('g')).toEqual([a]);
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
  });

  it('followers parked in SyncGroup get a fresh session when the leader expires, instead of expiring with it (seed 12013)', () => {
    const s = new Shell();
    const { members: [a, b, c] } = s.stableGroup('g', 3);
    const joins = [s.rejoin('g', a!), s.rejoin('g', b!), s.rejoin('g', c!)];
    const gen = s.must<JoinGroupResponse>(joins[0]!).generationId;
    const leader = s.must<JoinGroupResponse>(joins[0]!).leader;
    const followers = [a!, b!, c!].filter((m) => m !== leader);
    // The followers sync a little later and wait for the leader, which never syncs nor heartbeats.
    s.tick(500);
    const syncs = followers.map((m) => s.sync('g', m, gen));
    s.tick(9500); // the leader's session (10 s from the join phase's end) runs out
    for (const id of syncs) expect(s.must<SyncGroupResponse>(id).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
    expect(s.coordinator.groupMembers('g').sort()).toEqual([...followers].sort());
    // They rejoin, and form the next generation without the leader.
    const rejoins = followers.map((m) => s.rejoin('g', m));
    for (const id of rejoins) expect(s.must<JoinGroupResponse>(id).generationId).toBe(gen + 1);
  });

  it('a leader SyncGroup that assigns to a member the group does not have (computed for a generation a failover lost) is refused and the group rebalances (seed 25056)', () => {
    const s = new Shell();
    const { members: [a, b] } = s.stableGroup('g', 2);
    const joins = [s.rejoin('g', a!), s.rejoin('g', b!)];
    const join = s.must<JoinGroupResponse>(joins[0]!);
    const leader = join.leader;
    const follower = [a!, b!].find((m) => m !== leader)!;
    const parked = s.sync('g', follower, join.generationId);
    const stale = s.sync('g', leader, join.generationId, [
      { memberId: leader, assignment: sub(1) },
      { memberId: 'gone-member', assignment: sub(2) },
    ]);
    expect(s.must<SyncGroupResponse>(stale).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(s.must<SyncGroupResponse>(parked).errorCode).toBe('REBALANCE_IN_PROGRESS');
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
    expect(s.coordinator.groupMembers('g').sort()).toEqual([a!, b!].sort());
  });

  it('a pending member (MEMBER_ID_REQUIRED) holds up the join phase until it joins or its session expires', () => {
    const s = new Shell();
    const { members: [a] } = s.stableGroup('g', 1);
    const pending = s.must<JoinGroupResponse>(s.send(s.joinRequest('g', '')));
    expect(pending.errorCode).toBe('MEMBER_ID_REQUIRED');
    const joinA = s.rejoin('g', a!); // the leader rejoins: a rebalance
    expect(s.replies.has(joinA)).toBe(false);
    s.tick(10_000); // the pending member's session
    expect(s.must<JoinGroupResponse>(joinA).errorCode).toBe('NONE');
    expect(s.must<JoinGroupResponse>(s.rejoin('g', pending.memberId)).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a new member whose parked JoinGroup outlives the new-member timeout is answered UNKNOWN_MEMBER_ID', () => {
    const s = new Shell({ newMemberJoinTimeoutMs: 20_000 });
    const { members: [a] } = s.stableGroup('g', 1);
    const b = s.join('g');
    s.tick(9_000);
    s.heartbeat('g', a!, 1); // a does not rejoin, but keeps its session alive
    s.tick(9_000);
    s.heartbeat('g', a!, 1);
    s.tick(2_000);
    expect(s.must<JoinGroupResponse>(b.id).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });
});

describe('GroupCoordinator: static membership (KIP-345)', () => {
  const staticJoin = (s: Shell, instance: string, memberId = '', metadata = sub(1)): number =>
    s.send(s.joinRequest('g', memberId, { groupInstanceId: instance, clientId: 'c', protocols: [{ name: 'range', metadata }] }));

  it('a static member joins without MEMBER_ID_REQUIRED; its restart takes over its id with no rebalance and fences the old id', () => {
    const s = new Shell();
    const j1 = s.must<JoinGroupResponse>(staticJoin(s, 'i1'));
    expect(j1.errorCode).toBe('NONE');
    expect(j1.memberId.startsWith('i1-')).toBe(true);
    const old = j1.memberId;
    s.sync('g', old, 1, [{ memberId: old, assignment: sub(4) }], 'i1');
    const before = s.committed.length;
    // The process restarts: same instance id, no member id, the same subscription.
    const rejoin = staticJoin(s, 'i1');
    const reply = s.replies.get(rejoin)!;
    const r = reply.response as JoinGroupResponse;
    expect(r).toMatchObject({ errorCode: 'NONE', generationId: 1, leader: r.memberId, skipAssignment: true });
    expect(reply.afterCommit).toBe(true);
    expect(r.memberId).not.toBe(old);
    expect(s.coordinator.groupState('g')).toBe('Stable');
    expect(s.committed.length).toBe(before + 1); // the replacement is persisted
    expect(s.coordinator.committedGroupMetadata('g')!.members.map((m) => m.memberId)).toEqual([r.memberId]);
    expect(s.must<SyncGroupResponse>(s.sync('g', r.memberId, 1, [], 'i1')).assignment).toEqual(sub(4));
    // The old incarnation is fenced everywhere.
    expect(s.heartbeat('g', old, 1, 'i1')).toBe('FENCED_INSTANCE_ID');
    expect(s.must<SyncGroupResponse>(s.sync('g', old, 1, [], 'i1')).errorCode).toBe('FENCED_INSTANCE_ID');
    expect(s.must<JoinGroupResponse>(staticJoin(s, 'i1', old)).errorCode).toBe('FENCED_INSTANCE_ID');
    expect(s.commitErrors(s.commitOffsets('g', old, 1, { 't:0': 5 }, 'i1'))).toEqual(['FENCED_INSTANCE_ID']);
    expect(s.must<LeaveGroupResponse>(s.send({ apiKey: ApiKey.LeaveGroup, groupId: 'g', members: [{ memberId: old, groupInstanceId: 'i1' }] })).members[0]!.errorCode).toBe('FENCED_INSTANCE_ID');
  });

  it('a follower static member that restarts is not told to assign, and the leader keeps leading', () => {
    const s = new Shell();
    const a = s.must<JoinGroupResponse>(staticJoin(s, 'a'));
    const aId = a.memberId;
    s.sync('g', aId, 1, [{ memberId: aId, assignment: sub(1) }], 'a');
    const bJoin = staticJoin(s, 'b');
    const aJoin = staticJoin(s, 'a', aId);
    const gen = s.must<JoinGroupResponse>(aJoin).generationId;
    const bId = s.must<JoinGroupResponse>(bJoin).memberId;
    s.sync('g', aId, gen, [
      { memberId: aId, assignment: sub(1) },
      { memberId: bId, assignment: sub(2) },
    ], 'a');
    const r = s.must<JoinGroupResponse>(staticJoin(s, 'b'));
    expect(r).toMatchObject({ errorCode: 'NONE', generationId: gen, leader: aId, skipAssignment: false, members: [] });
    expect(s.must<SyncGroupResponse>(s.sync('g', r.memberId, gen, [], 'b')).assignment).toEqual(sub(2));
  });

  it('a static member that restarts with other metadata triggers a rebalance', () => {
    const s = new Shell();
    const a = s.must<JoinGroupResponse>(staticJoin(s, 'a'));
    s.sync('g', a.memberId, 1, [], 'a');
    const r = staticJoin(s, 'a', '', sub(2));
    expect(s.coordinator.groupState('g')).not.toBe('Stable');
    expect(s.must<JoinGroupResponse>(r).generationId).toBe(2);
  });

  it('a static member that does not rejoin is kept through the rebalance and removed only when its session expires', () => {
    const s = new Shell();
    const a = s.must<JoinGroupResponse>(staticJoin(s, 'a'));
    s.sync('g', a.memberId, 1, [], 'a');
    const b = s.join('g'); // rebalance; a does not rejoin
    s.tick(9_999);
    expect(s.replies.has(b.id)).toBe(false);
    s.tick(1); // a's session ends before the rebalance timeout
    expect(s.coordinator.groupMembers('g')).toEqual([b.memberId]);
    expect(s.must<JoinGroupResponse>(b.id)).toMatchObject({ errorCode: 'NONE', generationId: 2, leader: b.memberId });
  });

  it('an admin removes a static member by instance id alone', () => {
    const s = new Shell();
    const a = s.must<JoinGroupResponse>(staticJoin(s, 'a'));
    s.sync('g', a.memberId, 1, [], 'a');
    const r = s.must<LeaveGroupResponse>(s.send({ apiKey: ApiKey.LeaveGroup, groupId: 'g', members: [{ memberId: '', groupInstanceId: 'a' }] }));
    expect(r.members).toEqual([{ memberId: '', groupInstanceId: 'a', errorCode: 'NONE' }]);
    expect(s.coordinator.groupState('g')).toBe('Empty');
  });
});

describe('GroupCoordinator: LeaveGroup', () => {
  it('a leave rebalances at once; a batch reports each member; an unknown group reports UNKNOWN_MEMBER_ID for each', () => {
    const s = new Shell();
    const { members: [a, b, c], generation } = s.stableGroup('g', 3);
    const r = s.must<LeaveGroupResponse>(
      s.send({
        apiKey: ApiKey.LeaveGroup,
        groupId: 'g',
        members: [
          { memberId: c!, groupInstanceId: null },
          { memberId: 'stranger', groupInstanceId: null },
        ],
      }),
    );
    expect(r).toEqual({
      errorCode: 'NONE',
      members: [
        { memberId: c, groupInstanceId: null, errorCode: 'NONE' },
        { memberId: 'stranger', groupInstanceId: null, errorCode: 'UNKNOWN_MEMBER_ID' },
      ],
    });
    expect(s.coordinator.groupState('g')).toBe('PreparingRebalance');
    expect(s.heartbeat('g', b!, generation)).toBe('REBALANCE_IN_PROGRESS');
    const joins = [s.rejoin('g', a!), s.rejoin('g', b!)];
    expect(s.must<JoinGroupResponse>(joins[1]!).generationId).toBe(generation + 1);
    const unknown = s.must<LeaveGroupResponse>(s.send({ apiKey: ApiKey.LeaveGroup, groupId: 'nope', members: [{ memberId: 'x', groupInstanceId: null }] }));
    expect(unknown).toEqual({ errorCode: 'NONE', members: [{ memberId: 'x', groupInstanceId: null, errorCode: 'UNKNOWN_MEMBER_ID' }] });
    expect(s.must<LeaveGroupResponse>(s.send({ apiKey: ApiKey.LeaveGroup, groupId: '', members: [] })).errorCode).toBe('INVALID_GROUP_ID');
  });

  it('the last member leaving during a rebalance completes it into an Empty group; a parked member that leaves is answered', () => {
    const s = new Shell();
    const { members: [a, b] } = s.stableGroup('g', 2);
    const joinA = s.rejoin('g', a!);
    s.send({ apiKey: ApiKey.LeaveGroup, groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] });
    expect(s.must<JoinGroupResponse>(joinA).errorCode).toBe('UNKNOWN_MEMBER_ID');
    s.send({ apiKey: ApiKey.LeaveGroup, groupId: 'g', members: [{ memberId: b!, groupInstanceId: null }] });
    expect(s.coordinator.groupState('g')).toBe('Empty');
    expect(s.coordinator.committedGroupMetadata('g')!.members).toEqual([]);
  });
});

describe('GroupCoordinator: OffsetCommit and OffsetFetch', () => {
  it('a member commits in its generation; the reply waits for the commit; OffsetFetch reads what is committed', () => {
    const s = new Shell();
    const { members: [a], generation } = s.stableGroup('g', 1);
    s.hold = true;
    const id = s.commitOffsets('g', a!, generation, { 't:0': 10, 't:1': 20, 'u:0': 5 });
    expect(s.replies.get(id)!.afterCommit).toBe(true);
    expect(s.commitErrors(id)).toEqual(['NONE', 'NONE', 'NONE']);
    expect(s.fetchOffsets('g')).toEqual({}); // not committed yet
    s.commit();
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 10, 't:1': 20, 'u:0': 5 });
    const r = s.must<OffsetFetchResponse>(s.send({ apiKey: ApiKey.OffsetFetch, groupId: 'g', topics: [{ name: 't', partitionIndexes: [1, 7] }] }));
    expect(r.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: 3, metadata: '', errorCode: 'NONE' },
          { partitionIndex: 7, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 'NONE' },
        ],
      },
    ]);
  });

  it('commits are fenced by generation and member; refused between JoinGroup and SyncGroup; allowed while PreparingRebalance', () => {
    const s = new Shell();
    const { members: [a, b], generation } = s.stableGroup('g', 2);
    expect(s.commitErrors(s.commitOffsets('g', a!, generation - 1, { 't:0': 1 }))).toEqual(['ILLEGAL_GENERATION']);
    expect(s.commitErrors(s.commitOffsets('g', 'stranger', generation, { 't:0': 1 }))).toEqual(['UNKNOWN_MEMBER_ID']);
    expect(s.commitErrors(s.commitOffsets('g', '', -1, { 't:0': 1 }))).toEqual(['UNKNOWN_MEMBER_ID']); // the group has members
    expect(s.commitErrors(s.commitOffsets('unknown', 'm', 3, { 't:0': 1 }))).toEqual(['ILLEGAL_GENERATION']);
    const joinA = s.rejoin('g', a!); // PreparingRebalance
    expect(s.commitErrors(s.commitOffsets('g', b!, generation, { 't:0': 7 }))).toEqual(['NONE']);
    s.rejoin('g', b!);
    expect(s.must<JoinGroupResponse>(joinA).generationId).toBe(generation + 1);
    expect(s.commitErrors(s.commitOffsets('g', b!, generation + 1, { 't:0': 8 }))).toEqual(['REBALANCE_IN_PROGRESS']);
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 7 });
  });

  it('generation -1 commits to a group with no members (simple consumers, an admin reset), and may go backwards', () => {
    const s = new Shell();
    expect(s.commitErrors(s.commitOffsets('simple', '', -1, { 't:0': 100 }))).toEqual(['NONE']);
    expect(s.coordinator.groupState('simple')).toBe('Empty');
    expect(s.commitErrors(s.commitOffsets('simple', '', -1, { 't:0': 3 }))).toEqual(['NONE']);
    expect(s.fetchOffsets('simple')).toEqual({ 't:0': 3 });
    const l = s.must<ListGroupsResponse>(s.send({ apiKey: ApiKey.ListGroups, statesFilter: [] }));
    expect(l.groups).toEqual([{ groupId: 'simple', protocolType: '', groupState: 'Empty' }]);
  });

  it('per-partition errors: unknown partitions, metadata too large, offsets out of range', () => {
    const s = new Shell({ offsetMetadataMaxBytes: 4 }, { partitionExists: (t, p) => t === 't' && p < 2 });
    const id = s.send({
      apiKey: ApiKey.OffsetCommit,
      groupId: 'x',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'ok' },
            { partitionIndex: 1, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'too long' },
            { partitionIndex: 2, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null },
            { partitionIndex: -1, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
        { name: 'missing', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
        { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 2 ** 60, committedLeaderEpoch: -1, committedMetadata: null }] },
      ],
    });
    expect(s.commitErrors(id)).toEqual(['NONE', 'OFFSET_METADATA_TOO_LARGE', 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'INVALID_COMMIT_OFFSET_SIZE']);
    expect(s.committed).toHaveLength(1);
  });
});

describe('GroupCoordinator: ListGroups, DescribeGroups, DeleteGroups', () => {
  it('lists groups with a state filter and describes them', () => {
    const s = new Shell();
    const { members: [a] } = s.stableGroup('stable', 1);
    s.commitOffsets('offsets-only', '', -1, { 't:0': 1 });
    s.join('joining');
    const list = (statesFilter: ('Stable' | 'Empty' | 'CompletingRebalance')[]): string[] =>
      s.must<ListGroupsResponse>(s.send({ apiKey: ApiKey.ListGroups, statesFilter })).groups.map((g) => `${g.groupId}:${g.groupState}:${g.protocolType}`);
    expect(list([])).toEqual(['joining:CompletingRebalance:consumer', 'offsets-only:Empty:', 'stable:Stable:consumer']);
    expect(list(['Stable', 'Empty'])).toEqual(['offsets-only:Empty:', 'stable:Stable:consumer']);
    const d = s.must<DescribeGroupsResponse>(s.send({ apiKey: ApiKey.DescribeGroups, groups: ['stable', 'joining', 'nope'] }));
    expect(d.groups[0]).toEqual({
      errorCode: 'NONE',
      groupId: 'stable',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [{ memberId: a, groupInstanceId: null, clientId: 'client', clientHost: '', memberMetadata: sub(1), memberAssignment: sub(0) }],
    });
    expect(d.groups[1]).toMatchObject({ groupState: 'CompletingRebalance', protocolData: '', members: [{ memberMetadata: sub(), memberAssignment: sub() }] });
    expect(d.groups[2]).toEqual({ errorCode: 'NONE', groupId: 'nope', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
  });

  it('deletes an Empty group with tombstones; refuses a group with members or an unknown one; the group is Dead until they commit', () => {
    const s = new Shell();
    s.stableGroup('busy', 1);
    s.commitOffsets('old', '', -1, { 't:0': 1, 't:1': 2 });
    s.hold = true;
    const id = s.send({ apiKey: ApiKey.DeleteGroups, groupsNames: ['busy', 'nope', 'old'] });
    expect(s.replies.get(id)).toMatchObject({
      afterCommit: true,
      response: {
        results: [
          { groupId: 'busy', errorCode: 'NON_EMPTY_GROUP' },
          { groupId: 'nope', errorCode: 'GROUP_ID_NOT_FOUND' },
          { groupId: 'old', errorCode: 'NONE' },
        ],
      } satisfies DeleteGroupsResponse,
    });
    expect(s.uncommitted).toEqual([
      { type: 'OffsetCommit', key: { group: 'old', topic: 't', partition: 0 }, value: null },
      { type: 'OffsetCommit', key: { group: 'old', topic: 't', partition: 1 }, value: null },
      { type: 'GroupMetadata', key: { group: 'old' }, value: null },
    ]);
    expect(s.coordinator.groupState('old')).toBe('Dead');
    expect(s.must<JoinGroupResponse>(s.send(s.joinRequest('old', ''))).errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(s.commitErrors(s.commitOffsets('old', '', -1, { 't:0': 9 }))).toEqual(['COORDINATOR_NOT_AVAILABLE']);
    expect(s.must<DeleteGroupsResponse>(s.send({ apiKey: ApiKey.DeleteGroups, groupsNames: ['old'] })).results[0]!.errorCode).toBe('GROUP_ID_NOT_FOUND');
    s.commit();
    expect(s.coordinator.groupState('old')).toBeUndefined();
    expect(s.coordinator.committedOffsets('old')).toEqual([]);
    expect(s.must<JoinGroupResponse>(s.send(s.joinRequest('old', ''))).errorCode).toBe('MEMBER_ID_REQUIRED');
  });

  it('a delete also tombstones a commit still on its way, so the commit cannot outlive the group', () => {
    const s = new Shell();
    s.hold = true;
    s.commitOffsets('g', '', -1, { 't:4': 1 });
    s.send({ apiKey: ApiKey.DeleteGroups, groupsNames: ['g'] });
    s.commit();
    expect(s.coordinator.committedOffsets('g')).toEqual([]);
  });
});

describe('GroupCoordinator: offset expiry', () => {
  const day = 24 * 60 * 60 * 1000;

  it('offsets of an Empty consumer group expire seven days after it became Empty, then the group is deleted', () => {
    const s = new Shell();
    const { members: [a], generation } = s.stableGroup('g', 1);
    s.commitOffsets('g', a!, generation, { 't:0': 5 });
    s.tick(3 * day); // a stopped long ago: its session expired at the first tick
    expect(s.coordinator.groupState('g')).toBe('Empty');
    const emptySince = s.coordinator.committedGroupMetadata('g')!.currentStateTimestamp;
    s.tick(7 * day - 1);
    expect(s.now - emptySince).toBeLessThan(7 * day);
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 5 });
    s.tick(600_000); // the next retention check
    expect(s.fetchOffsets('g')).toEqual({});
    expect(s.coordinator.groupState('g')).toBeUndefined();
    expect(s.committed.slice(-2)).toEqual([
      { type: 'OffsetCommit', key: { group: 'g', topic: 't', partition: 0 }, value: null },
      { type: 'GroupMetadata', key: { group: 'g' }, value: null },
    ]);
  });

  it('offsets of a simple consumer expire per commit; a group with members keeps its offsets', () => {
    const s = new Shell({ offsetsRetentionMs: 10 * day, groupMaxSessionTimeoutMs: 3 * day });
    s.commitOffsets('simple', '', -1, { 't:0': 1 });
    const { members: [a], generation } = s.stableGroup('live', 1, { sessionTimeoutMs: 2 * day });
    s.commitOffsets('live', a!, generation, { 't:0': 1 });
    for (let i = 0; i < 6; i++) {
      s.tick(day);
      s.heartbeat('live', a!, generation);
    }
    s.commitOffsets('simple', '', -1, { 't:1': 1 });
    for (let i = 0; i < 5; i++) {
      s.tick(day);
      s.heartbeat('live', a!, generation);
    }
    expect(s.fetchOffsets('simple')).toEqual({ 't:1': 1 });
    expect(s.fetchOffsets('live')).toEqual({ 't:0': 1 });
  });

  it('an Empty group loaded from a record without a state timestamp (v0, v1) expires each offset from its commit', () => {
    const c = new GroupCoordinator({ rng: new Rng(1), config: { offsetsRetentionMs: 10 * day, offsetsRetentionCheckIntervalMs: day } });
    c.loadFrom(
      [
        { type: 'GroupMetadata', key: { group: 'old' }, value: { protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: -1, members: [] } },
        { type: 'OffsetCommit', key: { group: 'old', topic: 't', partition: 0 }, value: { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: null } },
        { type: 'OffsetCommit', key: { group: 'old', topic: 't', partition: 1 }, value: { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 5 * day, expireTimestamp: null } },
      ],
      6 * day,
    );
    expect(c.liveGroupMetadata('old')!.currentStateTimestamp).toBe(-1);
    expect(c.tick(7 * day).records).toEqual([]);
    expect(c.tick(10 * day).records).toEqual([{ type: 'OffsetCommit', key: { group: 'old', topic: 't', partition: 0 }, value: null }]);
  });

  it('a Stable consumer group keeps the offsets of topics its members subscribe to; those of other topics expire from their commit, and the group stays', () => {
    // ConsumerProtocolSubscription v0 of topic 't' (version, topics, user data null).
    const subscription = sub(0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff);
    const s = new Shell({ offsetsRetentionMs: 10 * day, offsetsRetentionCheckIntervalMs: day, groupMaxSessionTimeoutMs: 3 * day });
    const { members: [a], generation } = s.stableGroup('g', 1, { sessionTimeoutMs: 2 * day, protocols: [{ name: 'range', metadata: subscription }] });
    s.commitOffsets('g', a!, generation, { 't:0': 4, 'old:0': 9 });
    for (let i = 0; i < 9; i++) {
      s.tick(day);
      s.heartbeat('g', a!, generation);
    }
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 4, 'old:0': 9 });
    s.tick(day);
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 4 });
    expect(s.committed.at(-1)).toEqual({ type: 'OffsetCommit', key: { group: 'g', topic: 'old', partition: 0 }, value: null });
    expect(s.coordinator.groupState('g')).toBe('Stable');
    // Even when every offset it has is of a topic nobody reads, a group with members is not deleted.
    s.heartbeat('g', a!, generation);
    s.commitOffsets('g', a!, generation, { 'other:0': 1 });
    const before = s.committed.length;
    s.tick(11 * day);
    expect(s.coordinator.groupState('g')).toBe('Empty'); // its member's session ran out meanwhile
    expect(s.committed.slice(before).filter((r) => r.type === 'GroupMetadata' && r.value === null)).toEqual([]);
  });

  it('a Stable consumer group whose subscription Kafka cannot read (no user data field: not a whole ConsumerProtocolSubscription v0) keeps every offset', () => {
    // Version 0, topics ['t'], and the bytes end where v0's user data should be: Kafka's
    // deserializeSubscription fails (SchemaException), so it knows no subscribed topics and expires nothing.
    const cut = sub(0, 0, 0, 0, 0, 1, 0, 1, 0x74);
    const s = new Shell({ offsetsRetentionMs: 10 * day, offsetsRetentionCheckIntervalMs: day, groupMaxSessionTimeoutMs: 3 * day });
    const { members: [a], generation } = s.stableGroup('g', 1, { sessionTimeoutMs: 2 * day, protocols: [{ name: 'range', metadata: cut }] });
    s.commitOffsets('g', a!, generation, { 't:0': 4, 'old:0': 9 });
    for (let i = 0; i < 12; i++) {
      s.tick(day);
      s.heartbeat('g', a!, generation);
    }
    expect(s.coordinator.groupState('g')).toBe('Stable');
    expect(s.fetchOffsets('g')).toEqual({ 't:0': 4, 'old:0': 9 });
  });

  it('an offset committed with a retention of its own (OffsetCommit v2-v4) expires at its expire timestamp (an OffsetCommitValue v1); -1 is the broker retention', () => {
    const s = new Shell({ offsetsRetentionMs: 10 * day, offsetsRetentionCheckIntervalMs: day });
    s.now = 5;
    const commit = (partition: number, retentionTimeMs: number | undefined): void => {
      const id = s.send({ apiKey: ApiKey.OffsetCommit, groupId: 'simple', generationId: -1, memberId: '', ...(retentionTimeMs === undefined ? {} : { retentionTimeMs }), topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      expect(s.commitErrors(id)).toEqual(['NONE']);
    };
    commit(0, 2 * day);
    commit(1, -1);
    commit(2, undefined);
    commit(3, Number.MAX_SAFE_INTEGER);
    expect(s.committed.map((r) => (r.type === 'OffsetCommit' ? r.value?.expireTimestamp : undefined))).toEqual([5 + 2 * day, null, null, Number.MAX_SAFE_INTEGER]);
    s.tick(2 * day - 1); // a check just before the expire timestamp
    expect(s.fetchOffsets('simple')).toEqual({ 't:0': 7, 't:1': 7, 't:2': 7, 't:3': 7 });
    s.tick(day);
    expect(s.fetchOffsets('simple')).toEqual({ 't:1': 7, 't:2': 7, 't:3': 7 });
    s.tick(8 * day);
    expect(s.fetchOffsets('simple')).toEqual({ 't:3': 7 });
    // The record format keeps the expire timestamp across a reload.
    const reloaded = new GroupCoordinator({ rng: new Rng(3), config: { offsetsRetentionMs: 10 * day, offsetsRetentionCheckIntervalMs: day } });
    reloaded.loadFrom(s.committed.slice(0, 1), 6);
    expect(reloaded.committedOffsets('simple')[0]!.value.expireTimestamp).toBe(5 + 2 * day);
  });

  it('a commit on its way is never expired', () => {
    const s = new Shell({ offsetsRetentionMs: 1000, offsetsRetentionCheckIntervalMs: 1000 });
    s.commitOffsets('simple', '', -1, { 't:0': 1 });
    s.hold = true;
    s.tick(500);
    s.commitOffsets('simple', '', -1, { 't:0': 2 });
    s.tick(500);
    expect(s.uncommitted.filter((r) => r.value === null)).toEqual([]);
    s.commit();
    expect(s.fetchOffsets('simple')).toEqual({ 't:0': 2 });
  });
});

describe('GroupCoordinator: failover, replay and deactivation', () => {
  it('a coordinator loaded from the records holds the same offsets and groups; loaded members must heartbeat in time', () => {
    const s = new Shell();
    const { members: [a, b], generation } = s.stableGroup('g', 2);
    s.commitOffsets('g', a!, generation, { 't:0': 3 });
    const next = new GroupCoordinator({ rng: new Rng(2) });
    next.loadFrom(s.committed, 50_000);
    expect(next.groupState('g')).toBe('Stable');
    expect(next.groupGeneration('g')).toBe(generation);
    expect(next.committedOffsets('g')).toEqual(s.coordinator.committedOffsets('g'));
    expect(next.liveGroupMetadata('g')).toEqual(s.coordinator.liveGroupMetadata('g'));
    const hb = next.handle(1, { apiKey: ApiKey.Heartbeat, groupId: 'g', generationId: generation, memberId: a!, groupInstanceId: null }, 59_000);
    expect(hb.replies[0]!.response).toEqual({ errorCode: 'NONE' });
    next.tick(60_000); // b's session, counted from the load, is over
    expect(next.groupMembers('g')).toEqual([a]);
    expect(next.groupState('g')).toBe('PreparingRebalance');
    expect(b).toBeDefined();
  });

  it('a coordinator of a new cluster run drops in-process members of an earlier run at its first tick; other members keep their sessions', () => {
    const s = new Shell();
    const { members, generation } = s.stableGroup('g', 3);
    // The same group as written by members of three kinds: in-process in an earlier run of
    // the cluster (it crashed), in-process in this run, and a remote client.
    const hosts = [inProcessClientHost('run-1'), inProcessClientHost('run-2'), '/10.0.0.7'];
    const records = s.committed.map((r): GroupRecord =>
      r.type === 'GroupMetadata' && r.value !== null ? { ...r, value: { ...r.value, members: r.value.members.map((m) => ({ ...m, clientHost: hosts[members.indexOf(m.memberId)]! })) } } : r,
    );
    for (const [clusterRunId, survivors] of [
      ['run-2', [members[1], members[2]]],
      [undefined, members], // a coordinator that is told no run drops nobody
    ] as const) {
      const next = new GroupCoordinator({ rng: new Rng(2), ...(clusterRunId !== undefined ? { clusterRunId } : {}) });
      next.loadFrom(records, 50_000);
      expect(next.nextDeadline()).toBe(clusterRunId === undefined ? 60_000 : 50_000);
      next.tick(50_001);
      expect(next.groupMembers('g').sort()).toEqual([...survivors].sort());
      expect(next.groupState('g')).toBe(clusterRunId === undefined ? 'Stable' : 'PreparingRebalance');
      expect(next.groupGeneration('g')).toBe(generation);
    }
  });

  it('deactivate answers every parked request NOT_COORDINATOR', () => {
    const s = new Shell();
    const { members: [a] } = s.stableGroup('g', 1);
    const b = s.join('g');
    const out = s.apply(s.coordinator.deactivate());
    expect(out.replies).toEqual([{ to: b.id, response: expect.objectContaining({ errorCode: 'NOT_COORDINATOR' }), afterCommit: false }]);
    expect(s.coordinator.active).toBe(false);
    expect(s.heartbeat('g', a!, 1)).toBe('NOT_COORDINATOR');
    expect(a).toBeDefined();
  });

  it('property: for random request sequences, replaying the records gives the same offsets and group metadata, and every request is answered once', () => {
    const groups = ['g1', 'g2'];
    const action = fc.record({
      kind: fc.constantFrom('join', 'join', 'rejoin', 'sync', 'heartbeat', 'leave', 'commit', 'commit', 'reset', 'delete', 'tick', 'tick', 'static'),
      group: fc.constantFrom(...groups),
      pick: fc.nat(),
      offset: fc.nat({ max: 1000 }),
      ms: fc.integer({ min: 1, max: 40_000 }),
    });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 80 }), fc.boolean(), (actions, held) => {
        const s = new Shell({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 5_000 });
        const known = new Map<string, { memberId: string; generation: number; instance: string | null }[]>(groups.map((g) => [g, []]));
        const learn = (group: string, id: number): void => {
          const r = s.reply<JoinGroupResponse>(id);
          if (r?.errorCode === 'NONE') known.get(group)!.push({ memberId: r.memberId, generation: r.generationId, instance: (s.requests.get(id) as JoinGroupRequest).groupInstanceId ?? null });
          if (r?.errorCode === 'MEMBER_ID_REQUIRED') known.get(group)!.push({ memberId: r.memberId, generation: -1, instance: null });
        };
        const pending: [string, number][] = [];
        for (const a of actions) {
          s.hold = held && a.pick % 3 === 0;
          const list = known.get(a.group)!;
          const m = list.length > 0 ? list[a.pick % list.length] : undefined;
          switch (a.kind) {
            case 'join':
              pending.push([a.group, s.send(s.joinRequest(a.group, ''))]);
              break;
            case 'static':
              pending.push([a.group, s.send(s.joinRequest(a.group, '', { groupInstanceId: `i${a.pick % 2}` }))]);
              break;
            case 'rejoin':
              if (m) pending.push([a.group, s.send(s.joinRequest(a.group, m.memberId, { groupInstanceId: m.instance }))]);
              break;
            case 'sync':
              if (m) s.sync(a.group, m.memberId, m.generation, list.map((x, i) => ({ memberId: x.memberId, assignment: sub(i) })), m.instance);
              break;
            case 'heartbeat':
              if (m) s.heartbeat(a.group, m.memberId, m.generation, m.instance);
              break;
            case 'leave':
              if (m) s.send({ apiKey: ApiKey.LeaveGroup, groupId: a.group, members: [{ memberId: m.memberId, groupInstanceId: m.instance }] });
              break;
            case 'commit':
              if (m) s.commitOffsets(a.group, m.memberId, m.generation, { [`t:${a.pick % 3}`]: a.offset }, m.instance);
              break;
            case 'reset':
              s.commitOffsets(a.group, '', -1, { [`t:${a.pick % 3}`]: a.offset });
              break;
            case 'delete':
              s.send({ apiKey: ApiKey.DeleteGroups, groupsNames: [a.group] });
              break;
            case 'tick':
              s.tick(a.ms);
              break;
          }
          for (const [g, id] of pending.splice(0)) {
            if (s.replies.has(id)) learn(g, id);
            else pending.push([g, id]);
          }
        }
        s.hold = false;
        s.commit();
        const fresh = new GroupCoordinator({ rng: new Rng(3) });
        fresh.loadFrom(s.committed, s.now);
        expect(fresh.committedGroupIds()).toEqual(s.coordinator.committedGroupIds());
        for (const g of s.coordinator.committedGroupIds()) {
          expect(fresh.committedOffsets(g)).toEqual(s.coordinator.committedOffsets(g));
          expect(fresh.committedGroupMetadata(g)).toEqual(s.coordinator.committedGroupMetadata(g));
        }
        // With nothing outstanding, a Stable or Empty group's soft state is what was written.
        for (const g of s.coordinator.groupIds()) {
          const live = s.coordinator.liveGroupMetadata(g);
          if (live !== undefined && (s.coordinator.groupState(g) === 'Stable' || live.generation > 0)) expect(s.coordinator.committedGroupMetadata(g)).toEqual(live);
        }
        s.apply(s.coordinator.deactivate());
        for (const id of s.requests.keys()) expect(s.replies.has(id), `request ${id} was never answered`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
