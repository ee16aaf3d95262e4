/**
 * One consumer group of the classic protocol as the active coordinator holds it, in the
 * shape of Kafka's `ClassicGroup` and `ClassicGroupMember`: its state, generation, leader,
 * protocol and members; the questions about them that need no other group (who leads,
 * which protocol wins, whether a member may join, what GroupMetadata value the group
 * stands for); and the rebalance of this one group (the join phase, its completion into a
 * new generation, removing members), which answers the requests it parked. Which request
 * starts what, and when deadlines are checked, is the `GroupMetadataManager`'s. Pure: no
 * I/O, no timers, `now` passed in.
 */
import type * as P from '../../protocol/group.js';
import type { JoinGroupRequestProtocol, JoinGroupResponseMember } from '../../protocol/group.js';
import { assert } from '../../util/assert.js';
import type { ErrorCode } from '../../util/error-codes.js';
import type { CoordinatorResult, DescribedGroupBody, GroupResponseFor } from './coordinator-result.js';
import { groupStringBytesMax, type GroupMetadataValue, type GroupRecord } from './group-records.js';

/** The classic group states, with Kafka's names (`ClassicGroupState.toString()`). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's member id of a member that has none yet (`JoinGroupRequest.UNKNOWN_MEMBER_ID`). */
export const unknownMemberId = '';

export const emptyBytes = new Uint8Array(0);

type JoinGroupResponse = GroupResponseFor<P.JoinGroupRequest>;
type SyncGroupResponse = GroupResponseFor<P.SyncGroupRequest>;
const utf8 = new TextEncoder();

/** Whether a string is longer than a group record may hold (Kafka's int16-length strings). */
export function stringTooLong(s: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding.
  return s.length * 3 > groupStringBytesMax && utf8.encode(s).length > groupStringBytesMax;
}

export function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two members' protocol lists are the same, names, order and metadata. */
export function sameProtocols(a: readonly JoinGroupRequestProtocol[], b: readonly JoinGroupRequestProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && sameBytes(p.metadata, b[i]!.metadata));
}

export interface ClassicGroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: readonly JoinGroupRequestProtocol[];
  assignment: Uint8Array;
  /** The parked JoinGroup (the member is "awaiting join"). */
  joinWaiter: number | undefined;
  /** The parked SyncGroup (the member is "awaiting sync"). */
  syncWaiter: number | undefined;
  /** Joined during this rebalance, not yet in a generation. */
  isNew: boolean;
  /** When the member expires if nothing is heard from it. */
  heartbeatDeadline: number;
}

export class ClassicGroup {
  /** When the group entered `state`. */
  stateTimestamp: number;
  /** False for a group loaded from a GroupMetadataValue v0 or v1, which has no state timestamp. */
  stateTimestampKnown = true;
  state: GroupState = 'Empty';
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  /** In join order: the first is the leader when the leader leaves. */
  readonly members = new Map<string, ClassicGroupMember>();
  /** groupInstanceId -> memberId. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, and when each expires. */
  readonly pendingMembers = new Map<string, number>();
  /** Members that must SyncGroup before `syncDeadline`. */
  readonly pendingSync = new Set<string>();
  /** PreparingRebalance: when the rebalance completes whoever has rejoined. */
  joinDeadline = 0;
  /** PreparingRebalance of an Empty group: Kafka's InitialDelayedJoin, which never completes early. */
  initialDelay = false;
  initialDelayRemainingMs = 0;
  newMemberAdded = false;
  syncDeadline: number | undefined = undefined;

  /**
   * `initialRebalanceDelayMs` is `group.initial.rebalance.delay.ms`: how long the first
   * rebalance of the group when Empty waits for more members.
   */
  constructor(
    readonly groupId: string,
    now: number,
    private readonly initialRebalanceDelayMs: number,
  ) {
    this.stateTimestamp = now;
  }

  /**
   * The group a committed GroupMetadata value stands for: Stable when it has members,
   * Empty otherwise. Each member gets a fresh session from `now`, or none at all when
   * `sessionOver(clientHost)` says it died with an earlier run of the cluster.
   */
  static fromMetadata(groupId: string, v: GroupMetadataValue, now: number, initialRebalanceDelayMs: number, sessionOver: (clientHost: string) => boolean): ClassicGroup {
    const g = new ClassicGroup(groupId, now, initialRebalanceDelayMs);
    g.protocolType = v.protocolType;
    g.generationId = v.generation;
    g.protocolName = v.protocol;
    g.leaderId = v.leader;
    g.stateTimestamp = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : now;
    g.stateTimestampKnown = v.currentStateTimestamp >= 0;
    for (const m of v.members) {
      g.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: m.subscription }],
        assignment: m.assignment,
        joinWaiter: undefined,
        syncWaiter: undefined,
        isNew: false,
        heartbeatDeadline: sessionOver(m.clientHost) ? now : now + m.sessionTimeout,
      });
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
    return g;
  }

  transitionTo(state: GroupState, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
    this.stateTimestampKnown = true;
  }

  /** Whether `groupInstanceId` belongs to another member id (the asker was replaced). */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Kafka's `acceptJoiningMember`: whether the group has room for this member. */
  acceptJoiningMember(memberId: string, groupMaxSize: number): boolean {
    switch (this.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const awaiting = [...this.members.values()].filter((m) => m.joinWaiter !== undefined).length;
        return this.members.get(memberId)?.joinWaiter !== undefined || awaiting < groupMaxSize;
      }
      case 'CompletingRebalance':
      case 'Stable':
        return this.members.has(memberId) || this.members.size < groupMaxSize;
    }
  }

  /**
   * Whether a member with these protocols may be in the group: a protocol type and at
   * least one protocol, the group's protocol type when it has members, and a protocol
   * that every other member supports too.
   */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupRequestProtocol[], memberId: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== memberId);
    if (others.length === 0) return true;
    if (this.protocolType !== protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /** The rebalance timeout: the largest of the members'. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Keeps the leader if it rejoined, else makes the first member that rejoined the leader. False when none rejoined. */
  electJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.joinWaiter !== undefined) return true;
    for (const m of this.members.values()) {
      if (m.joinWaiter !== undefined) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * The protocol for the new generation: among those every member supports, each member
   * votes for the first in its own preference order; the most votes wins, ties going to
   * the name that sorts first.
   */
  selectProtocol(): string {
    const members = [...this.members.values()];
    const candidates = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    assert(candidates.length > 0, 'the members of a group share a protocol (checked at each join)');
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0]![0];
  }

  /** A member's metadata for the group's protocol. */
  subscriptionOf(m: ClassicGroupMember): Uint8Array {
    return m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? emptyBytes;
  }

  /** Every member and its subscription, as the leader's JoinGroup response lists them. */
  currentMemberMetadata(): JoinGroupResponseMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: this.subscriptionOf(m) }));
  }

  /** The GroupMetadata value this group stands for. */
  metadataValue(): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: this.stateTimestampKnown ? this.stateTimestamp : -1,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: this.subscriptionOf(m),
        assignment: m.assignment,
      })),
    };
  }

  metadataRecord(): GroupRecord {
    return { type: 'GroupMetadata', key: { group: this.groupId }, value: this.metadataValue() };
  }

  /** The JoinGroup response of the current generation for one member; the leader's lists every member. */
  joinResult(memberId: string, withMembers: boolean): JoinGroupResponse {
    return {
      errorCode: 'NONE',
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? this.currentMemberMetadata() : [],
    };
  }

  /** The group as ListGroups lists it. */
  asListedGroup(): P.ListedGroup {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', groupState: this.state };
  }

  /** The group as DescribeGroups describes it: metadata and assignments only when Stable. */
  asDescribedGroup(): DescribedGroupBody {
    const stable = this.state === 'Stable';
    return {
      errorCode: 'NONE',
      groupId: this.groupId,
      groupState: this.state,
      protocolType: this.protocolType ?? '',
      protocolData: stable ? (this.protocolName ?? '') : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? this.subscriptionOf(m) : emptyBytes,
        memberAssignment: stable ? m.assignment : emptyBytes,
      })),
    };
  }

  /** Parks a member's JoinGroup until the join phase completes. */
  parkJoin(m: ClassicGroupMember, id: number, out: CoordinatorResult): void {
    // A second JoinGroup while one is parked (a retry): the older one is answered now.
    if (m.joinWaiter !== undefined) out.reply(m.joinWaiter, joinError('REBALANCE_IN_PROGRESS', m.memberId));
    m.joinWaiter = id;
  }

  // ---- the rebalance ----

  /** Starts a join phase unless one is running (or the group is Dead). */
  maybePrepareRebalance(now: number, out: CoordinatorResult): void {
    if (this.state === 'Stable' || this.state === 'CompletingRebalance' || this.state === 'Empty') this.prepareRebalance(now, out);
  }

  /**
   * Starts a join phase: the parked SyncGroups are answered REBALANCE_IN_PROGRESS, and the
   * phase ends at the rebalance timeout, or (an Empty group) after the initial delay.
   */
  prepareRebalance(now: number, out: CoordinatorResult): void {
    if (this.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError('REBALANCE_IN_PROGRESS', now, out);
    this.syncDeadline = undefined;
    this.pendingSync.clear();
    if (this.state === 'Empty') {
      // Kafka's InitialDelayedJoin: wait for more members before the first generation.
      const delay = this.initialRebalanceDelayMs;
      this.initialDelay = true;
      this.joinDeadline = now + delay;
      this.initialDelayRemainingMs = Math.max(this.rebalanceTimeoutMs() - delay, 0);
      this.newMemberAdded = false;
    } else {
      this.initialDelay = false;
      this.joinDeadline = now + this.rebalanceTimeoutMs();
    }
    this.transitionTo('PreparingRebalance', now);
  }

  /** Completes the join phase when every member has rejoined, or when its time is up. */
  checkJoin(now: number, out: CoordinatorResult): void {
    if (this.state !== 'PreparingRebalance') return;
    if (this.initialDelay) {
      if (now < this.joinDeadline) return;
      const delay = this.initialRebalanceDelayMs;
      if (this.newMemberAdded && this.initialDelayRemainingMs > 0 && delay > 0) {
        this.newMemberAdded = false;
        const next = Math.min(delay, this.initialDelayRemainingMs);
        this.initialDelayRemainingMs = Math.max(this.initialDelayRemainingMs - next, 0);
        this.joinDeadline = now + next;
        return;
      }
      this.completeJoin(now, out);
      return;
    }
    let awaiting = 0;
    for (const m of this.members.values()) if (m.joinWaiter !== undefined) awaiting++;
    if ((awaiting === this.members.size && this.pendingMembers.size === 0) || now >= this.joinDeadline) this.completeJoin(now, out);
  }

  private completeJoin(now: number, out: CoordinatorResult): void {
    // Dynamic members that did not rejoin in time are out; static ones stay until their session expires.
    for (const m of [...this.members.values()]) if (m.joinWaiter === undefined && m.groupInstanceId === null) this.removeMember(m, out);
    if (!this.electJoinedLeader() && this.members.size > 0) {
      // Only static members that have not rejoined remain: wait another rebalance timeout.
      this.initialDelay = false;
      this.joinDeadline = now + this.rebalanceTimeoutMs();
      return;
    }
    this.generationId++;
    this.pendingSync.clear();
    this.syncDeadline = undefined;
    if (this.members.size === 0) {
      this.protocolName = null;
      this.leaderId = null;
      this.transitionTo('Empty', now);
      out.records.push(this.metadataRecord());
      return;
    }
    this.protocolName = this.selectProtocol();
    this.transitionTo('CompletingRebalance', now);
    for (const m of this.members.values()) {
      if (m.joinWaiter !== undefined) {
        out.reply(m.joinWaiter, this.joinResult(m.memberId, m.memberId === this.leaderId));
        m.joinWaiter = undefined;
      }
      m.isNew = false;
      m.heartbeatDeadline = now + m.sessionTimeoutMs;
      this.pendingSync.add(m.memberId);
    }
    this.syncDeadline = now + this.rebalanceTimeoutMs();
  }

  /**
   * Answers the parked SyncGroups with an error. Each of those members gets a fresh session
   * from now, as Kafka's `propagateAssignment` gives it: its session did not run while it
   * waited for us, and without this every member whose sync was parked since the join
   * phase would expire in the same tick as the member that made the group rebalance.
   */
  private resetAndPropagateAssignmentError(errorCode: ErrorCode, now: number, out: CoordinatorResult): void {
    for (const m of this.members.values()) {
      m.assignment = emptyBytes;
      if (m.syncWaiter !== undefined) {
        out.reply(m.syncWaiter, syncError(errorCode));
        m.syncWaiter = undefined;
        m.heartbeatDeadline = now + m.sessionTimeoutMs;
      }
    }
  }

  /** Removes a member: answers what it waits for, and hands the leadership on. */
  removeMember(m: ClassicGroupMember, out: CoordinatorResult): void {
    this.failWaiters(m, 'UNKNOWN_MEMBER_ID', out);
    this.members.delete(m.memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === m.memberId) this.staticMembers.delete(m.groupInstanceId);
    this.pendingSync.delete(m.memberId);
    if (this.leaderId === m.memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /** Kafka's `removeMemberAndUpdateGroup`: a member left or expired; the group rebalances. */
  removeMemberAndUpdateGroup(m: ClassicGroupMember, now: number, out: CoordinatorResult): void {
    this.removeMember(m, out);
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.maybePrepareRebalance(now, out);
    // In PreparingRebalance, the caller's checkJoin may now complete the rebalance.
  }

  /** Answers the member's parked JoinGroup and SyncGroup with `errorCode`. */
  failWaiters(m: ClassicGroupMember, errorCode: ErrorCode, out: CoordinatorResult): void {
    if (m.joinWaiter !== undefined) out.reply(m.joinWaiter, joinError(errorCode, m.memberId));
    if (m.syncWaiter !== undefined) out.reply(m.syncWaiter, syncError(errorCode));
    m.joinWaiter = undefined;
    m.syncWaiter = undefined;
  }
}

/** A JoinGroup response that reports `errorCode` (with the member id it names, such as a new one on MEMBER_ID_REQUIRED). */
export function joinError(errorCode: ErrorCode, memberId: string): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

/** A SyncGroup response that reports `errorCode`. */
export function syncError(errorCode: ErrorCode): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: emptyBytes };
}
