/**
 * One consumer group of the classic protocol as the active coordinator holds it, in the
 * shape of Kafka's `ClassicGroup` and `ClassicGroupMember`: its state, generation, leader,
 * protocol and members, and the questions about them that need no other group (who leads,
 * which protocol wins, whether a member may join, what GroupMetadata value the group
 * stands for). The requests that change it, and its timers, are the
 * `GroupMetadataManager`'s. Pure: no I/O, no timers.
 */
import type { JoinGroupRequestProtocol, JoinGroupResponseMember } from '../../protocol/group.js';
import { assert } from '../../util/assert.js';
import { groupStringBytesMax, type GroupMetadataValue, type GroupRecord } from './group-records.js';

/** The classic group states, with Kafka's names (`ClassicGroupState.toString()`). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's member id of a member that has none yet (`JoinGroupRequest.UNKNOWN_MEMBER_ID`). */
export const unknownMemberId = '';

export const emptyBytes = new Uint8Array(0);
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

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  /**
   * The group a committed GroupMetadata value stands for: Stable when it has members,
   * Empty otherwise. Each member gets a fresh session from `now`, or none at all when
   * `sessionOver(clientHost)` says it died with an earlier run of the cluster.
   */
  static fromMetadata(groupId: string, v: GroupMetadataValue, now: number, sessionOver: (clientHost: string) => boolean): ClassicGroup {
    const g = new ClassicGroup(groupId, now);
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
}
