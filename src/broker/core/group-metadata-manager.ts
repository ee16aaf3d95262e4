/**
 * The membership half of a group coordinator, in the shape of Kafka's
 * `GroupMetadataManager` (its classic-protocol part): JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, ListGroups and DescribeGroups; the rebalance (join phase, leader election,
 * protocol choice, sync); the deadlines of sessions, pending members, join and sync
 * phases; and the committed GroupMetadata of every group (durable, changed only by
 * {@link GroupMetadataManager.replay}). The offsets half is the `OffsetMetadataManager`;
 * the contract both keep, and the state machine, are in group-coordinator.ts and
 * docs/design/groups.md. Pure: no I/O, no timers, `now` passed in.
 */
import type * as P from '../../protocol/group.js';
import { inProcessClientHost } from '../../protocol/group.js';
import { assert } from '../../util/assert.js';
import type { ErrorCode } from '../../util/error-codes.js';
import type { Rng } from '../../util/rng.js';
import { ClassicGroup, emptyBytes, isInt32, joinError, sameProtocols, stringTooLong, syncError, unknownMemberId, type ClassicGroupMember, type GroupState } from './classic-group.js';
import type { CoordinatorResult, DescribedGroupBody, GroupRequestContext } from './coordinator-result.js';
import type { GroupCoordinatorConfig } from './group-coordinator-config.js';
import { groupBytesMax, type GroupMetadataKey, type GroupMetadataValue } from './group-records.js';
import { consumerProtocolType, subscribedTopicsOf } from './offset-delete.js';

/** The most protocols one JoinGroup may list. Kafka has no limit; a consumer lists one per assignor. */
export const protocolsPerMemberMax = 64;

/** A JoinGroup with what its context adds, and the optional fields given their defaults. */
type Join = P.JoinGroupRequest & { readonly groupInstanceId: string | null; readonly clientId: string; readonly clientHost: string };

export interface GroupMetadataManagerOptions {
  readonly config: GroupCoordinatorConfig;
  /** Member ids: `<client.id or group.instance.id>-<uuid>`, the uuid from this generator. */
  readonly rng: Rng;
  /** Whether this coordinator serves a group (its partition of `__consumer_offsets`). */
  readonly ownsGroup: (groupId: string) => boolean;
  /** The cluster's current run; see `GroupCoordinatorOptions.clusterRunId`. */
  readonly clusterRunId: string | undefined;
}

export class GroupMetadataManager {
  private readonly config: GroupCoordinatorConfig;
  private readonly rng: Rng;
  private readonly ownsGroup: (groupId: string) => boolean;
  private readonly clusterRunId: string | undefined;
  /** Durable: the last committed GroupMetadata value of each group. */
  private readonly metadata = new Map<string, GroupMetadataValue>();
  /** Soft: the active coordinator's groups. */
  private readonly groups = new Map<string, ClassicGroup>();

  constructor(options: GroupMetadataManagerOptions) {
    this.config = options.config;
    this.rng = options.rng;
    this.ownsGroup = options.ownsGroup;
    this.clusterRunId = options.clusterRunId;
  }

  // ---- durable state and activation ----

  /** Applies one committed GroupMetadata record (a tombstone when `value` is null). */
  replay(key: GroupMetadataKey, value: GroupMetadataValue | null): void {
    if (value === null) {
      this.metadata.delete(key.group);
      // A group deleted by this coordinator is Dead until its tombstone commits.
      if (this.groups.get(key.group)?.state === 'Dead') this.groups.delete(key.group);
      return;
    }
    this.metadata.set(key.group, value);
  }

  /**
   * Builds each group from its committed metadata, then an Empty group with no protocol
   * type for each of `offsetGroupIds` that has no metadata. Every member gets a fresh session from `now`.
   */
  activate(now: number, offsetGroupIds: Iterable<string>): void {
    this.groups.clear();
    for (const [groupId, v] of this.metadata) this.groups.set(groupId, ClassicGroup.fromMetadata(groupId, v, now, this.config.groupInitialRebalanceDelayMs, (host) => this.diedWithAnEarlierRun(host)));
    for (const groupId of offsetGroupIds) if (!this.groups.has(groupId)) this.groups.set(groupId, new ClassicGroup(groupId, now, this.config.groupInitialRebalanceDelayMs));
  }

  /** Answers every parked request `errorCode` and drops the soft state. */
  deactivate(out: CoordinatorResult): void {
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) g.failWaiters(m, 'NOT_COORDINATOR', out);
    }
    this.groups.clear();
  }

  private diedWithAnEarlierRun(clientHost: string): boolean {
    const here = this.clusterRunId === undefined ? undefined : inProcessClientHost(this.clusterRunId);
    return here !== undefined && clientHost !== here && clientHost.startsWith(inProcessClientHost(''));
  }

  // ---- inspection ----

  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Ids of the groups the coordinator holds, in the order it holds them. */
  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  committedGroupIds(): IterableIterator<string> {
    return this.metadata.keys();
  }

  committedGroupMetadata(groupId: string): GroupMetadataValue | undefined {
    return this.metadata.get(groupId);
  }

  /** The earliest deadline of any group, or `t` if none is earlier. */
  nextDeadline(t: number): number {
    for (const g of this.groups.values()) {
      if (g.state === 'PreparingRebalance') t = Math.min(t, g.joinDeadline);
      if (g.syncDeadline !== undefined) t = Math.min(t, g.syncDeadline);
      for (const d of g.pendingMembers.values()) t = Math.min(t, d);
      for (const m of g.members.values()) if (m.syncWaiter === undefined && (m.joinWaiter === undefined || m.isNew)) t = Math.min(t, m.heartbeatDeadline);
    }
    return t;
  }

  // ---- time ----

  /** Expires pending members and sessions, removes members that did not sync in time, and completes join phases. */
  tick(now: number, out: CoordinatorResult): void {
    for (const g of [...this.groups.values()]) {
      for (const [memberId, deadline] of [...g.pendingMembers]) if (now >= deadline) g.pendingMembers.delete(memberId);
      for (const m of [...g.members.values()]) {
        const keptAlive = m.syncWaiter !== undefined || (m.joinWaiter !== undefined && !m.isNew);
        if (!keptAlive && now >= m.heartbeatDeadline) g.removeMemberAndUpdateGroup(m, now, out);
      }
      if (g.syncDeadline !== undefined && now >= g.syncDeadline) {
        g.syncDeadline = undefined;
        if ((g.state === 'CompletingRebalance' || g.state === 'Stable') && g.pendingSync.size > 0) {
          for (const memberId of [...g.pendingSync]) {
            const m = g.members.get(memberId);
            if (m !== undefined) g.removeMember(m, out);
          }
          g.prepareRebalance(now, out);
        }
      }
      g.checkJoin(now, out);
    }
  }

  // ---- JoinGroup ----

  join(id: number, request: P.JoinGroupRequest, context: GroupRequestContext | undefined, now: number, out: CoordinatorResult): void {
    const req: Join = { ...request, groupInstanceId: request.groupInstanceId ?? null, clientId: context?.clientId ?? '', clientHost: context?.clientHost ?? request.clientHost ?? '' };
    const fail = (errorCode: ErrorCode, memberId = req.memberId): void => out.reply(id, joinError(errorCode, memberId));
    if (req.groupId === '' || stringTooLong(req.groupId)) return fail('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return fail('NOT_COORDINATOR');
    if (
      stringTooLong(req.memberId) ||
      (req.groupInstanceId !== null && stringTooLong(req.groupInstanceId)) ||
      stringTooLong(req.protocolType) ||
      stringTooLong(req.clientId) ||
      stringTooLong(req.clientHost) ||
      req.protocols.length > protocolsPerMemberMax ||
      req.protocols.some((p) => stringTooLong(p.name) || p.metadata.length > groupBytesMax) ||
      !isInt32(req.rebalanceTimeoutMs)
    ) {
      return fail('INVALID_REQUEST');
    }
    if (!Number.isInteger(req.sessionTimeoutMs) || req.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || req.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return fail('INVALID_SESSION_TIMEOUT');
    }
    const isUnknown = req.memberId === unknownMemberId;
    let g = this.groups.get(req.groupId);
    if (g === undefined) {
      if (!isUnknown) return fail('UNKNOWN_MEMBER_ID');
      g = new ClassicGroup(req.groupId, now, this.config.groupInitialRebalanceDelayMs);
      this.groups.set(req.groupId, g);
    }
    if (g.state === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    if (!g.acceptJoiningMember(req.memberId, this.config.groupMaxSize)) {
      const m = g.members.get(req.memberId);
      if (m !== undefined) g.removeMemberAndUpdateGroup(m, now, out);
      return fail('GROUP_MAX_SIZE_REACHED', unknownMemberId);
    }
    if (!g.supportsProtocols(req.protocolType, req.protocols, req.memberId)) return fail('INCONSISTENT_GROUP_PROTOCOL');
    if (isUnknown) this.newMemberJoin(g, id, req, now, out);
    else this.currentMemberJoin(g, id, req, now, out);
  }

  private newMemberJoin(g: ClassicGroup, id: number, req: Join, now: number, out: CoordinatorResult): void {
    const memberId = `${req.groupInstanceId ?? req.clientId}-${this.uuid()}`;
    if (req.groupInstanceId === null) {
      // KIP-394: a dynamic member first gets its id and must join again with it, so that a
      // client that times out and retries does not leave a trail of unknown members.
      g.pendingMembers.set(memberId, now + req.sessionTimeoutMs);
      out.reply(id, joinError('MEMBER_ID_REQUIRED', memberId));
      return;
    }
    const oldMemberId = g.staticMembers.get(req.groupInstanceId);
    if (oldMemberId !== undefined) this.replaceStaticMember(g, oldMemberId, memberId, id, req, now, out);
    else this.addMemberAndRebalance(g, memberId, id, req, now, out);
  }

  private currentMemberJoin(g: ClassicGroup, id: number, req: Join, now: number, out: CoordinatorResult): void {
    if (g.pendingMembers.has(req.memberId)) {
      g.pendingMembers.delete(req.memberId);
      // A pending member is always dynamic: one that now names an instance id starts over.
      if (req.groupInstanceId !== null) return out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
      this.addMemberAndRebalance(g, req.memberId, id, req, now, out);
      return;
    }
    if (g.isStaticMemberFenced(req.groupInstanceId, req.memberId)) return out.reply(id, joinError('FENCED_INSTANCE_ID', req.memberId));
    const m = g.members.get(req.memberId);
    if (m === undefined || (req.groupInstanceId !== null && !g.staticMembers.has(req.groupInstanceId))) return out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
    switch (g.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(g, m, id, req, now, out);
        return;
      case 'CompletingRebalance':
        // The same metadata: the member missed its JoinGroup reply; give it again.
        if (sameProtocols(m.protocols, req.protocols)) out.reply(id, g.joinResult(m.memberId, g.leaderId === m.memberId));
        else this.updateMemberAndRebalance(g, m, id, req, now, out);
        return;
      case 'Stable':
        // The leader rejoining forces a rebalance (it may have seen topic metadata change);
        // a follower with unchanged metadata just gets the current generation.
        if (g.leaderId === m.memberId || !sameProtocols(m.protocols, req.protocols)) this.updateMemberAndRebalance(g, m, id, req, now, out);
        else out.reply(id, g.joinResult(m.memberId, false));
        return;
      case 'Empty':
      case 'Dead':
        out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
        return;
    }
  }

  private addMemberAndRebalance(g: ClassicGroup, memberId: string, id: number, req: Join, now: number, out: CoordinatorResult): void {
    const m: ClassicGroupMember = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocols: req.protocols,
      assignment: emptyBytes,
      joinWaiter: id,
      syncWaiter: undefined,
      isNew: true,
      // A new member's parked JoinGroup is bounded by this, not by its session.
      heartbeatDeadline: now + this.config.newMemberJoinTimeoutMs,
    };
    if (g.state === 'PreparingRebalance' && g.generationId === 0) g.newMemberAdded = true;
    if (g.members.size === 0) g.protocolType = req.protocolType;
    if (g.leaderId === null) g.leaderId = memberId;
    g.members.set(memberId, m);
    if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, memberId);
    g.maybePrepareRebalance(now, out);
  }

  private updateMemberAndRebalance(g: ClassicGroup, m: ClassicGroupMember, id: number, req: Join, now: number, out: CoordinatorResult): void {
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    g.parkJoin(m, id, out);
    g.maybePrepareRebalance(now, out);
  }

  /**
   * KIP-345: a static member rejoined with a new member id (it restarted). The new id
   * takes the old one's place, assignment and all; the old id is fenced. A Stable group
   * whose member's metadata is unchanged does not rebalance: the replacement is persisted
   * and the member gets the current generation.
   */
  private replaceStaticMember(g: ClassicGroup, oldMemberId: string, newMemberId: string, id: number, req: Join, now: number, out: CoordinatorResult): void {
    const m = g.members.get(oldMemberId);
    assert(m !== undefined && m.groupInstanceId === req.groupInstanceId, 'a static member id maps to a member with that instance id');
    g.failWaiters(m, 'FENCED_INSTANCE_ID', out);
    const wasLeader = g.leaderId === oldMemberId;
    const unchanged = sameProtocols(m.protocols, req.protocols);
    // Re-insert under the new id (it moves to the end of the join order, as in Kafka).
    g.members.delete(oldMemberId);
    m.memberId = newMemberId;
    g.members.set(newMemberId, m);
    g.staticMembers.set(m.groupInstanceId!, newMemberId);
    if (wasLeader) g.leaderId = newMemberId;
    if (g.pendingSync.delete(oldMemberId)) g.pendingSync.add(newMemberId);
    m.clientId = req.clientId;
    m.clientHost = req.clientHost;
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.heartbeatDeadline = now + m.sessionTimeoutMs;
    switch (g.state) {
      case 'Stable':
        if (unchanged) {
          out.records.push(g.metadataRecord());
          // KIP-814: a replaced leader is told it leads but must not compute an assignment,
          // because a Stable group would not hand a new one out.
          const result = g.joinResult(newMemberId, wasLeader);
          out.reply(id, { ...result, skipAssignment: wasLeader }, true);
          return;
        }
        g.parkJoin(m, id, out);
        g.prepareRebalance(now, out);
        return;
      case 'CompletingRebalance':
        // The leader may be assigning to the old id: rebalance so the new id gets a share.
        g.parkJoin(m, id, out);
        g.prepareRebalance(now, out);
        return;
      case 'PreparingRebalance':
        g.parkJoin(m, id, out);
        return;
      case 'Empty':
      case 'Dead':
        assert(false, 'a group with a static member has members');
    }
  }

  // ---- the rebalance ----

  /** Completes the join phase of a group when every member has rejoined, or when its time is up. */
  checkJoin(groupId: string, now: number, out: CoordinatorResult): void {
    this.groups.get(groupId)?.checkJoin(now, out);
  }

  // ---- SyncGroup ----

  sync(id: number, req: P.SyncGroupRequest, now: number, out: CoordinatorResult): void {
    const fail = (errorCode: ErrorCode): void => out.reply(id, syncError(errorCode));
    if (req.groupId === '') return fail('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return fail('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    if (g === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (g.state === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    if (g.isStaticMemberFenced(req.groupInstanceId ?? null, req.memberId)) return fail('FENCED_INSTANCE_ID');
    const m = g.members.get(req.memberId);
    if (m === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return fail('ILLEGAL_GENERATION');
    const protocolType = req.protocolType ?? null;
    const protocolName = req.protocolName ?? null;
    if ((protocolType !== null && protocolType !== g.protocolType) || (protocolName !== null && protocolName !== g.protocolName)) {
      return fail('INCONSISTENT_GROUP_PROTOCOL');
    }
    switch (g.state) {
      case 'Empty':
        return fail('UNKNOWN_MEMBER_ID');
      case 'PreparingRebalance':
        return fail('REBALANCE_IN_PROGRESS');
      case 'CompletingRebalance': {
        if (req.assignments.some((a) => a.assignment.length > groupBytesMax)) return fail('INVALID_REQUEST');
        if (g.leaderId === m.memberId && req.assignments.some((a) => !g.members.has(a.memberId))) {
          // Computed for members this generation does not have: a SyncGroup of a generation
          // a failover lost, whose number the next coordinator gave again (seed 25056).
          // Kafka would store it and leave partitions with no owner; a rebalance fixes it.
          fail('REBALANCE_IN_PROGRESS');
          return g.prepareRebalance(now, out);
        }
        if (m.syncWaiter !== undefined) out.reply(m.syncWaiter, syncError('REBALANCE_IN_PROGRESS'));
        m.syncWaiter = id;
        g.pendingSync.delete(m.memberId);
        if (g.leaderId !== m.memberId) return;
        // The leader's assignment: persist the generation, then everyone gets its share.
        const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        for (const member of g.members.values()) member.assignment = given.get(member.memberId) ?? emptyBytes;
        g.transitionTo('Stable', now);
        out.records.push(g.metadataRecord());
        for (const member of g.members.values()) {
          if (member.syncWaiter === undefined) continue;
          out.reply(member.syncWaiter, { errorCode: 'NONE', protocolType: g.protocolType, protocolName: g.protocolName, assignment: member.assignment }, true);
          member.syncWaiter = undefined;
          member.heartbeatDeadline = now + member.sessionTimeoutMs;
        }
        return;
      }
      case 'Stable':
        g.pendingSync.delete(m.memberId);
        m.heartbeatDeadline = now + m.sessionTimeoutMs;
        out.reply(id, { errorCode: 'NONE', protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment }, true);
        return;
    }
  }

  // ---- Heartbeat ----

  heartbeat(id: number, req: P.HeartbeatRequest, now: number, out: CoordinatorResult): void {
    const answer = (errorCode: ErrorCode): void => out.reply(id, { errorCode });
    if (req.groupId === '') return answer('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return answer('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    if (g === undefined) return answer('UNKNOWN_MEMBER_ID');
    if (g.state === 'Dead') return answer('COORDINATOR_NOT_AVAILABLE');
    if (g.isStaticMemberFenced(req.groupInstanceId ?? null, req.memberId)) return answer('FENCED_INSTANCE_ID');
    const m = g.members.get(req.memberId);
    if (m === undefined) return answer('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return answer('ILLEGAL_GENERATION');
    m.heartbeatDeadline = now + m.sessionTimeoutMs;
    answer(g.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE');
  }

  // ---- LeaveGroup ----

  leave(id: number, req: P.LeaveGroupRequest, now: number, out: CoordinatorResult): void {
    const top = (errorCode: ErrorCode): void => out.reply(id, { errorCode, members: [] });
    if (req.groupId === '') return top('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return top('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    const results: P.MemberResponse[] = [];
    if (g === undefined) {
      for (const l of req.members) results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: 'UNKNOWN_MEMBER_ID' });
      out.reply(id, { errorCode: 'NONE', members: results });
      return;
    }
    if (g.state === 'Dead') return top('COORDINATOR_NOT_AVAILABLE');
    for (const l of req.members) {
      // An admin removes a static member by its instance id alone.
      const memberId = l.memberId === unknownMemberId && l.groupInstanceId !== null ? (g.staticMembers.get(l.groupInstanceId) ?? unknownMemberId) : l.memberId;
      let errorCode: ErrorCode = 'NONE';
      const m = g.members.get(memberId);
      if (g.pendingMembers.delete(memberId)) errorCode = 'NONE';
      else if (g.isStaticMemberFenced(l.groupInstanceId, memberId)) errorCode = 'FENCED_INSTANCE_ID';
      else if (m === undefined) errorCode = 'UNKNOWN_MEMBER_ID';
      else g.removeMemberAndUpdateGroup(m, now, out);
      results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode });
    }
    out.reply(id, { errorCode: 'NONE', members: results });
  }

  // ---- ListGroups, DescribeGroups ----

  list(id: number, req: P.ListGroupsRequest, out: CoordinatorResult): void {
    const filter = req.statesFilter ?? [];
    const groups = [...this.groups.values()]
      .filter((g) => filter.length === 0 || filter.includes(g.state))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
      .map((g) => g.asListedGroup());
    out.reply(id, { errorCode: 'NONE', groups });
  }

  describe(id: number, req: P.DescribeGroupsRequest, out: CoordinatorResult): void {
    const groups = req.groups.map((groupId): DescribedGroupBody => {
      if (!this.ownsGroup(groupId)) return { errorCode: 'NOT_COORDINATOR', groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      return this.groups.get(groupId)?.asDescribedGroup() ?? { errorCode: 'NONE', groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    });
    out.reply(id, { groups });
  }

  // ---- what the offsets half and group deletion ask of membership ----

  /**
   * Kafka's `validateOffsetCommit`: whether this member may commit offsets for the group
   * now (NONE), or the error every partition of its commit gets. Generation -1 commits to
   * a group with no members, and creates the group if needed. A member's commit counts as
   * a sign of life.
   */
  validateOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number, now: number): ErrorCode {
    const g = this.groups.get(groupId);
    if (g === undefined) {
      // A group Kafka manages nothing for: allowed only outside group management.
      if (generationId >= 0) return 'ILLEGAL_GENERATION';
      this.groups.set(groupId, new ClassicGroup(groupId, now, this.config.groupInitialRebalanceDelayMs));
      return 'NONE';
    }
    if (g.state === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (g.isStaticMemberFenced(groupInstanceId, memberId)) return 'FENCED_INSTANCE_ID';
    if (generationId < 0 && g.state === 'Empty') return 'NONE';
    const m = g.members.get(memberId);
    if (m === undefined) return 'UNKNOWN_MEMBER_ID';
    if (generationId !== g.generationId) return 'ILLEGAL_GENERATION';
    // Between JoinGroup and SyncGroup the member has no assignment to commit for.
    if (g.state === 'CompletingRebalance') return 'REBALANCE_IN_PROGRESS';
    // Stable, or PreparingRebalance (the member learns of the rebalance from its heartbeat).
    m.heartbeatDeadline = Math.max(m.heartbeatDeadline, now + m.sessionTimeoutMs);
    return 'NONE';
  }

  /** Whether DeleteGroups may delete a group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP or NONE. */
  validateDeleteGroup(groupId: string): ErrorCode {
    const g = this.groups.get(groupId);
    if (g === undefined || g.state === 'Dead') return 'GROUP_ID_NOT_FOUND';
    return g.state === 'Empty' ? 'NONE' : 'NON_EMPTY_GROUP';
  }

  /** Writes the group's tombstone; the group is Dead until it is replayed. */
  deleteGroup(groupId: string, now: number, out: CoordinatorResult): void {
    const g = this.groups.get(groupId);
    assert(g !== undefined, 'a group is deleted only after it was found');
    out.records.push({ type: 'GroupMetadata', key: { group: groupId }, value: null });
    g.pendingMembers.clear();
    g.transitionTo('Dead', now);
  }

  /**
   * The groups whose offsets may expire (Kafka's `ClassicGroup.offsetExpirationCondition`):
   * Empty groups, each with the time it became Empty, or undefined when that is not known
   * (old records, or a group that only stores offsets: then each commit's own timestamp
   * counts); and Stable consumer groups (`protocolType` `consumer`), whose
   * offsets of topics no member subscribes to expire counted from their commit (`subscribed`
   * says which topics are kept).
   */
  expirableGroups(): { readonly groupId: string; readonly emptySince: number | undefined; readonly subscribed?: (topic: string) => boolean }[] {
    const out: { groupId: string; emptySince: number | undefined; subscribed?: (topic: string) => boolean }[] = [];
    for (const g of this.groups.values()) {
      if (g.state === 'Stable' && g.protocolType === consumerProtocolType) {
        // A subscription that cannot be read counts as every topic: nothing expires (Kafka has no
        // condition then). Read only when an offset is due: reading every member's subscription
        // costs about 18 us a group of 5 members and 10 topics, against 0.5 us for the rest of a
        // tick (bench/results/2026-12-08a-kjs.md), and most checks find nothing due.
        let subscribed: ((topic: string) => boolean) | undefined;
        out.push({ groupId: g.groupId, emptySince: undefined, subscribed: (topic) => (subscribed ??= subscribedTopicsOf(g))(topic) });
        continue;
      }
      if (g.state !== 'Empty' || g.pendingMembers.size > 0) continue;
      out.push({ groupId: g.groupId, emptySince: g.protocolType !== null && g.stateTimestampKnown ? g.stateTimestamp : undefined });
    }
    return out;
  }

  /** A random UUID in Kafka's printed form, from the injected generator. */
  private uuid(): string {
    const hex = (): string => this.rng.nextU32().toString(16).padStart(8, '0');
    const s = hex() + hex() + hex() + hex();
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

export type { GroupState };
