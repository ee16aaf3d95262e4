/**
 * The `GroupCoordinator`: the pure core of one `__consumer_offsets` partition, which
 * coordinates every consumer group whose id maps to that partition
 * ({@link partitionForGroup}), in the shape of Kafka's classic `GroupCoordinator` and
 * `GroupMetadataManager` (the classic protocol: JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup; offsets through OffsetCommit and OffsetFetch). The diagram and the
 * differences from Kafka are in docs/design/groups.md.
 *
 * ## Contract
 *
 * - `handle(id, request, now)` and `tick(now)` return a {@link GroupOutput}: `records` to
 *   append to this partition atomically and in order, and `replies` to send. `id` is
 *   the shell's name for the request; a reply carries the `id` it answers, and it may
 *   answer an earlier request (a JoinGroup waits, "parked", until the rebalance
 *   completes; a SyncGroup waits for the leader's). Every request gets exactly one reply,
 *   from `handle`, a later `handle`, `tick` or `deactivate`.
 * - A reply with `afterCommit: true` may be sent only once every record this coordinator
 *   has returned so far (up to the end of the output that carries it) is committed. If
 *   they never are (the append failed, or leadership moved), the shell answers the
 *   request with `groupErrorResponse(request, 'NOT_COORDINATOR')` instead, calls
 *   `deactivate()`, and the next coordinator of the partition is loaded from the
 *   committed log. Replies with `afterCommit: false` go out at once.
 * - `replay(record)` is the only thing that changes the durable state: the committed
 *   offsets and the committed group metadata. The shell calls it for every committed
 *   record of the partition, in log order, on the leader (for the records this
 *   coordinator wrote) and on replicas alike. So `loadFrom(records)`, which replays and
 *   then activates, runs the code that live operation runs.
 * - `tick(now)` completes rebalances whose time is up, expires members whose session
 *   timed out, and expires offsets (writing tombstones). `nextDeadline()` says when it
 *   next has something to do.
 * - Before `activate` (or `loadFrom`) every request is answered
 *   COORDINATOR_LOAD_IN_PROGRESS, after `deactivate` NOT_COORDINATOR; with
 *   `options.partition`, a group of another partition gets NOT_COORDINATOR.
 *
 * ## Soft state
 *
 * Membership is not in the log until a rebalance ends, as in Kafka: which members have
 * rejoined, who waits for a reply, when each member last heartbeated, and the state of
 * the rebalance live in memory only (`groups`), change in `handle` and `tick`, and are
 * rebuilt from the last GroupMetadata record of each group when a coordinator loads:
 * a group with members is loaded Stable, and every member must heartbeat within its
 * session timeout of the activation or it is removed. The GroupMetadata record written
 * when the leader's SyncGroup arrives (and when a group becomes Empty, and when a static
 * member is replaced) is what survives a failover. The in-memory state moves at once
 * (the group is Stable as soon as the leader has synced); the replies that reveal it wait
 * for the commit, and a failed append drops the coordinator, so nothing a member saw was
 * lost.
 *
 * The coordinator also tracks offset commits it emitted that are not yet replayed, so
 * that offset expiry and group deletion never write a tombstone that would land after
 * (and so delete) a newer commit. Requests are typed, and an invalid one gets Kafka's
 * error code in its response. Throws are only for bugs (AssertionError).
 */
import { assert } from '../../util/assert.js';
import type { ErrorCode } from '../../util/error-codes.js';
import type { Rng } from '../../util/rng.js';
import { groupBytesMax, groupStringBytesMax, partitionForGroup, type GroupMetadataValue, type GroupRecord } from './group-records.js';
import {
  groupErrorResponse,
  inProcessClientHost,
  unknownMemberId,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type GroupRequest,
  type GroupResponse,
  type GroupState,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type JoinGroupRequestProtocol,
  type JoinGroupResponse,
  type JoinGroupResponseMember,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsRequest,
  type MemberResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponsePartition,
  type OffsetCommitResponseTopic,
  type OffsetFetchRequest,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from './group-requests.js';
import { OffsetMetadataManager, type CommittedOffset } from './offset-manager.js';

export type { CommittedOffset } from './offset-manager.js';

/** The coordinator's settings, with Kafka's config names. */
export interface GroupCoordinatorConfig {
  /** `group.min.session.timeout.ms`. Default 6000. */
  readonly groupMinSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms`. Default 1800000 (30 minutes). */
  readonly groupMaxSessionTimeoutMs: number;
  /** `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits for more members. Default 0 (Kafka's is 3000). */
  readonly groupInitialRebalanceDelayMs: number;
  /** `group.max.size`. Default Kafka's, 2^31 - 1. */
  readonly groupMaxSize: number;
  /** `offsets.retention.minutes`, in ms: offsets of an Empty group expire this long after it became Empty. Default 7 days. */
  readonly offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms`. Default 600000. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** `offset.metadata.max.bytes`: the longest commit metadata, in characters as Kafka counts. Default 4096. */
  readonly offsetMetadataMaxBytes: number;
  /** Kafka's `NewMemberJoinTimeoutMs`: a new member's parked JoinGroup expires after this long. Default 300000. */
  readonly newMemberJoinTimeoutMs: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 0,
  groupMaxSize: 0x7fffffff,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
};

/** The most protocols one JoinGroup may list. Kafka has no limit; a consumer lists one per assignor. */
export const protocolsPerMemberMax = 64;

export interface GroupCoordinatorOptions {
  /** Member ids: `<client.id or group.instance.id>-<uuid>`, the uuid from this generator. */
  readonly rng: Rng;
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** Which partition of `__consumer_offsets` this is; requests for groups of other partitions get NOT_COORDINATOR. */
  readonly partition?: { readonly index: number; readonly count: number };
  /** Whether a topic partition exists (from the metadata image); commits to others get UNKNOWN_TOPIC_OR_PARTITION. Default: all exist. */
  readonly partitionExists?: (topic: string, partition: number) => boolean;
  /**
   * The current run of the cluster this coordinator serves in. A loaded member whose client
   * host says it lived in the cluster's process in another run (`inProcessClientHost`) died
   * with that process: it is loaded with its session already over, so its partitions move
   * at the first tick instead of after its session timeout. Members of any other client
   * host (a remote client's address) keep their full session.
   */
  readonly clusterRunId?: string;
}

/** One reply: `to` is the id given to `handle` with the request it answers. */
export interface GroupReply {
  readonly to: number;
  readonly response: GroupResponse;
  /** Send only once every record returned so far is committed (see the contract above). */
  readonly afterCommit: boolean;
}

/** What `handle`, `tick` and `deactivate` return. */
export interface GroupOutput {
  /** Records to append atomically, in this order; empty when nothing durable changes. */
  readonly records: readonly GroupRecord[];
  readonly replies: readonly GroupReply[];
}

interface Member {
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

interface Group {
  readonly groupId: string;
  state: GroupState;
  /** When the group entered `state`. */
  stateTimestamp: number;
  /** False for a group loaded from a GroupMetadataValue v0 or v1, which has no state timestamp. */
  stateTimestampKnown: boolean;
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  /** In join order: the first is the leader when the leader leaves. */
  readonly members: Map<string, Member>;
  /** groupInstanceId -> memberId. */
  readonly staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, and when each expires. */
  readonly pendingMembers: Map<string, number>;
  /** Members that must SyncGroup before `syncDeadline`. */
  readonly pendingSync: Set<string>;
  /** PreparingRebalance: when the rebalance completes whoever has rejoined. */
  joinDeadline: number;
  /** PreparingRebalance of an Empty group: Kafka's InitialDelayedJoin, which never completes early. */
  initialDelay: boolean;
  initialDelayRemainingMs: number;
  newMemberAdded: boolean;
  syncDeadline: number | undefined;
}

const emptyBytes = new Uint8Array(0);
const utf8 = new TextEncoder();


function stringTooLong(s: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no encoding.
  return s.length * 3 > groupStringBytesMax && utf8.encode(s).length > groupStringBytesMax;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameProtocols(a: readonly JoinGroupRequestProtocol[], b: readonly JoinGroupRequestProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && sameBytes(p.metadata, b[i]!.metadata));
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
}

class Out {
  readonly records: GroupRecord[] = [];
  readonly replies: GroupReply[] = [];

  reply(to: number, response: GroupResponse, afterCommit = false): void {
    this.replies.push({ to, response, afterCommit });
  }

  done(): GroupOutput {
    return { records: this.records, replies: this.replies };
  }
}

export class GroupCoordinator {
  private readonly config: GroupCoordinatorConfig;
  private readonly rng: Rng;
  private readonly partition: { readonly index: number; readonly count: number } | undefined;
  private readonly partitionExists: (topic: string, partition: number) => boolean;
  private readonly clusterRunId: string | undefined;

  // Durable state: changed only by replay. The offsets, and the commits on their way, are the offset manager's.
  private readonly offsets = new OffsetMetadataManager();
  private readonly metadata = new Map<string, GroupMetadataValue>();

  // Soft state: the active coordinator's alone.
  private readonly groups = new Map<string, Group>();
  private activeFlag = false;
  /** Deactivated: leadership of the partition moved away. */
  private resigned = false;
  private lastNow = 0;
  private nextOffsetExpiryCheck = 0;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupCoordinatorConfig, ...options.config };
    const c = this.config;
    assert(c.groupMinSessionTimeoutMs <= c.groupMaxSessionTimeoutMs, 'group.min.session.timeout.ms is at most group.max.session.timeout.ms');
    assert(c.groupInitialRebalanceDelayMs >= 0 && c.groupMaxSize >= 1 && c.offsetsRetentionMs > 0, 'group coordinator config in range');
    assert(c.offsetsRetentionCheckIntervalMs > 0 && c.newMemberJoinTimeoutMs > 0, 'group coordinator intervals are positive');
    this.rng = options.rng;
    this.partition = options.partition;
    this.partitionExists = options.partitionExists ?? (() => true);
    this.clusterRunId = options.clusterRunId;
  }

  /** Whether this coordinator serves requests (between `activate`/`loadFrom` and `deactivate`). */
  get active(): boolean {
    return this.activeFlag;
  }

  // ---- durable state ----

  /** Applies one committed record. The only change to the committed offsets and group metadata. */
  replay(record: GroupRecord): void {
    if (record.type === 'OffsetCommit') return this.offsets.replay(record.key, record.value);
    const group = record.key.group;
    if (record.value === null) {
      this.metadata.delete(group);
      // A group deleted by this coordinator is Dead until its tombstone commits.
      if (this.groups.get(group)?.state === 'Dead') this.groups.delete(group);
      return;
    }
    this.metadata.set(group, record.value);
  }

  /** Replays `records` (the committed log of the partition, in order), then activates. */
  loadFrom(records: Iterable<GroupRecord>, now: number): void {
    for (const r of records) this.replay(r);
    this.activate(now);
  }

  /**
   * Starts serving: builds each group from its committed metadata (Stable when it has
   * members, Empty otherwise; groups that only have offsets are Empty, with no protocol
   * type) and gives every member a fresh session from `now`.
   */
  activate(now: number): void {
    assert(!this.activeFlag, 'activate is called once per leadership');
    this.activeFlag = true;
    this.resigned = false;
    this.lastNow = Math.max(this.lastNow, now);
    now = this.lastNow;
    this.groups.clear();
    for (const [groupId, v] of this.metadata) {
      const g = this.newGroup(groupId, now);
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
          heartbeatDeadline: this.diedWithAnEarlierRun(m.clientHost) ? now : now + m.sessionTimeout,
        });
        if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
      }
      g.state = g.members.size > 0 ? 'Stable' : 'Empty';
      if (g.leaderId !== null && !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value ?? null;
      this.groups.set(groupId, g);
    }
    for (const groupId of this.offsets.groupIds()) if (!this.groups.has(groupId)) this.groups.set(groupId, this.newGroup(groupId, now));
    this.nextOffsetExpiryCheck = now + this.config.offsetsRetentionCheckIntervalMs;
  }

  /**
   * Stops serving (leadership moved): every parked request is answered NOT_COORDINATOR and
   * the soft state is dropped. The durable state stays, and `replay` may go on.
   */
  deactivate(): GroupOutput {
    const out = new Out();
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) this.failWaiters(m, 'NOT_COORDINATOR', out);
    }
    this.groups.clear();
    this.offsets.clearPending();
    this.activeFlag = false;
    this.resigned = true;
    return out.done();
  }

  private diedWithAnEarlierRun(clientHost: string): boolean {
    const here = this.clusterRunId === undefined ? undefined : inProcessClientHost(this.clusterRunId);
    return here !== undefined && clientHost !== here && clientHost.startsWith(inProcessClientHost(''));
  }

  // ---- inspection ----

  /** The committed offsets of a group. */
  committedOffsets(groupId: string): CommittedOffset[] {
    return this.offsets.committed(groupId);
  }

  /** Every group with committed offsets, and every group with committed metadata. */
  committedGroupIds(): string[] {
    return [...new Set([...this.offsets.groupIds(), ...this.metadata.keys()])].sort();
  }

  /** The committed metadata of a group. */
  committedGroupMetadata(groupId: string): GroupMetadataValue | undefined {
    return this.metadata.get(groupId);
  }

  /** A group's state as this coordinator holds it; undefined for a group it does not know. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }

  /** A group's generation as this coordinator holds it. */
  groupGeneration(groupId: string): number | undefined {
    return this.groups.get(groupId)?.generationId;
  }

  /** The member ids of a group as this coordinator holds it. */
  groupMembers(groupId: string): string[] {
    return [...(this.groups.get(groupId)?.members.keys() ?? [])];
  }

  /** Ids of the groups this coordinator holds, sorted. */
  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  /**
   * The GroupMetadata value that a Stable or Empty group's soft state stands for: with no
   * record outstanding, it equals the committed one (a property the tests check).
   * Undefined in the other states.
   */
  liveGroupMetadata(groupId: string): GroupMetadataValue | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined || (g.state !== 'Stable' && g.state !== 'Empty')) return undefined;
    return this.metadataOf(g);
  }

  /** The earliest time at which `tick` has something to do. */
  nextDeadline(): number {
    let t = this.nextOffsetExpiryCheck;
    for (const g of this.groups.values()) {
      if (g.state === 'PreparingRebalance') t = Math.min(t, g.joinDeadline);
      if (g.syncDeadline !== undefined) t = Math.min(t, g.syncDeadline);
      for (const d of g.pendingMembers.values()) t = Math.min(t, d);
      for (const m of g.members.values()) if (m.syncWaiter === undefined && (m.joinWaiter === undefined || m.isNew)) t = Math.min(t, m.heartbeatDeadline);
    }
    return t;
  }

  // ---- requests ----

  /** Handles one request; see the contract at the top of the file. */
  handle(id: number, request: GroupRequest, now: number): GroupOutput {
    this.lastNow = Math.max(this.lastNow, now);
    now = this.lastNow;
    const out = new Out();
    if (!this.activeFlag) {
      out.reply(id, groupErrorResponse(request, this.resigned ? 'NOT_COORDINATOR' : 'COORDINATOR_LOAD_IN_PROGRESS'));
      return out.done();
    }
    switch (request.type) {
      case 'JoinGroup':
        this.join(id, request, now, out);
        break;
      case 'SyncGroup':
        this.sync(id, request, now, out);
        break;
      case 'Heartbeat':
        this.heartbeat(id, request, now, out);
        break;
      case 'LeaveGroup':
        this.leave(id, request, now, out);
        break;
      case 'OffsetCommit':
        this.commit(id, request, now, out);
        break;
      case 'OffsetFetch':
        this.fetch(id, request, out);
        break;
      case 'ListGroups':
        this.list(id, request, out);
        break;
      case 'DescribeGroups':
        this.describe(id, request, out);
        break;
      case 'DeleteGroups':
        this.deleteGroups(id, request, now, out);
        break;
    }
    // A request may have completed its group's join phase (the last member rejoined or left).
    if ('groupId' in request) {
      const g = this.groups.get(request.groupId);
      if (g !== undefined) this.checkJoin(g, now, out);
    }
    return out.done();
  }

  /** Completes rebalances, expires sessions and pending members, and expires offsets. */
  tick(now: number): GroupOutput {
    this.lastNow = Math.max(this.lastNow, now);
    now = this.lastNow;
    const out = new Out();
    if (!this.activeFlag) return out.done();
    for (const g of [...this.groups.values()]) {
      for (const [memberId, deadline] of [...g.pendingMembers]) if (now >= deadline) g.pendingMembers.delete(memberId);
      for (const m of [...g.members.values()]) {
        const keptAlive = m.syncWaiter !== undefined || (m.joinWaiter !== undefined && !m.isNew);
        if (!keptAlive && now >= m.heartbeatDeadline) this.removeMemberAndUpdateGroup(g, m, now, out);
      }
      if (g.syncDeadline !== undefined && now >= g.syncDeadline) {
        g.syncDeadline = undefined;
        if ((g.state === 'CompletingRebalance' || g.state === 'Stable') && g.pendingSync.size > 0) {
          for (const memberId of [...g.pendingSync]) {
            const m = g.members.get(memberId);
            if (m !== undefined) this.removeMember(g, m, out);
          }
          this.prepareRebalance(g, now, out);
        }
      }
      this.checkJoin(g, now, out);
    }
    if (now >= this.nextOffsetExpiryCheck) {
      this.nextOffsetExpiryCheck = now + this.config.offsetsRetentionCheckIntervalMs;
      this.expireOffsets(now, out);
    }
    return out.done();
  }

  // ---- JoinGroup ----

  private join(id: number, req: JoinGroupRequest, now: number, out: Out): void {
    const fail = (errorCode: ErrorCode, memberId = req.memberId): void => out.reply(id, joinError(errorCode, memberId));
    if (req.groupId === '' || stringTooLong(req.groupId)) return fail('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return fail('NOT_COORDINATOR');
    if (
      stringTooLong(req.memberId) ||
      (req.groupInstanceId !== null && stringTooLong(req.groupInstanceId)) ||
      stringTooLong(req.protocolType) ||
      stringTooLong(req.clientId ?? '') ||
      stringTooLong(req.clientHost ?? '') ||
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
      g = this.newGroup(req.groupId, now);
      this.groups.set(req.groupId, g);
    }
    if (g.state === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    if (!this.acceptJoiningMember(g, req.memberId)) {
      const m = g.members.get(req.memberId);
      if (m !== undefined) this.removeMemberAndUpdateGroup(g, m, now, out);
      return fail('GROUP_MAX_SIZE_REACHED', unknownMemberId);
    }
    if (!this.supportsProtocols(g, req.protocolType, req.protocols, req.memberId)) return fail('INCONSISTENT_GROUP_PROTOCOL');
    if (isUnknown) this.newMemberJoin(g, id, req, now, out);
    else this.currentMemberJoin(g, id, req, now, out);
  }

  /** Kafka's `acceptJoiningMember`: whether the group has room for this member. */
  private acceptJoiningMember(g: Group, memberId: string): boolean {
    const max = this.config.groupMaxSize;
    switch (g.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const awaiting = [...g.members.values()].filter((m) => m.joinWaiter !== undefined).length;
        return g.members.get(memberId)?.joinWaiter !== undefined || awaiting < max;
      }
      case 'CompletingRebalance':
      case 'Stable':
        return g.members.has(memberId) || g.members.size < max;
    }
  }

  /**
   * Whether a member with these protocols may be in the group: a protocol type and at
   * least one protocol, the group's protocol type when it has members, and a protocol
   * that every other member supports too.
   */
  private supportsProtocols(g: Group, protocolType: string, protocols: readonly JoinGroupRequestProtocol[], memberId: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const others = [...g.members.values()].filter((m) => m.memberId !== memberId);
    if (others.length === 0) return true;
    if (g.protocolType !== protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private newMemberJoin(g: Group, id: number, req: JoinGroupRequest, now: number, out: Out): void {
    const memberId = `${req.groupInstanceId ?? req.clientId ?? ''}-${this.uuid()}`;
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

  private currentMemberJoin(g: Group, id: number, req: JoinGroupRequest, now: number, out: Out): void {
    if (g.pendingMembers.has(req.memberId)) {
      g.pendingMembers.delete(req.memberId);
      // A pending member is always dynamic: one that now names an instance id starts over.
      if (req.groupInstanceId !== null) return out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
      this.addMemberAndRebalance(g, req.memberId, id, req, now, out);
      return;
    }
    if (this.isStaticMemberFenced(g, req.groupInstanceId, req.memberId)) return out.reply(id, joinError('FENCED_INSTANCE_ID', req.memberId));
    const m = g.members.get(req.memberId);
    if (m === undefined || (req.groupInstanceId !== null && !g.staticMembers.has(req.groupInstanceId))) return out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
    switch (g.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(g, m, id, req, now, out);
        return;
      case 'CompletingRebalance':
        // The same metadata: the member missed its JoinGroup reply; give it again.
        if (sameProtocols(m.protocols, req.protocols)) out.reply(id, this.joinResult(g, m.memberId, g.leaderId === m.memberId));
        else this.updateMemberAndRebalance(g, m, id, req, now, out);
        return;
      case 'Stable':
        // The leader rejoining forces a rebalance (it may have seen topic metadata change);
        // a follower with unchanged metadata just gets the current generation.
        if (g.leaderId === m.memberId || !sameProtocols(m.protocols, req.protocols)) this.updateMemberAndRebalance(g, m, id, req, now, out);
        else out.reply(id, this.joinResult(g, m.memberId, false));
        return;
      case 'Empty':
      case 'Dead':
        out.reply(id, joinError('UNKNOWN_MEMBER_ID', req.memberId));
        return;
    }
  }

  private addMemberAndRebalance(g: Group, memberId: string, id: number, req: JoinGroupRequest, now: number, out: Out): void {
    const m: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId ?? '',
      clientHost: req.clientHost ?? '',
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
    this.maybePrepareRebalance(g, now, out);
  }

  private updateMemberAndRebalance(g: Group, m: Member, id: number, req: JoinGroupRequest, now: number, out: Out): void {
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    this.parkJoin(m, id, out);
    this.maybePrepareRebalance(g, now, out);
  }

  /**
   * KIP-345: a static member rejoined with a new member id (it restarted). The new id
   * takes the old one's place, assignment and all; the old id is fenced. A Stable group
   * whose member's metadata is unchanged does not rebalance: the replacement is persisted
   * and the member gets the current generation.
   */
  private replaceStaticMember(g: Group, oldMemberId: string, newMemberId: string, id: number, req: JoinGroupRequest, now: number, out: Out): void {
    const m = g.members.get(oldMemberId);
    assert(m !== undefined && m.groupInstanceId === req.groupInstanceId, 'a static member id maps to a member with that instance id');
    this.failWaiters(m, 'FENCED_INSTANCE_ID', out);
    const wasLeader = g.leaderId === oldMemberId;
    const unchanged = sameProtocols(m.protocols, req.protocols);
    // Re-insert under the new id (it moves to the end of the join order, as in Kafka).
    g.members.delete(oldMemberId);
    m.memberId = newMemberId;
    g.members.set(newMemberId, m);
    g.staticMembers.set(m.groupInstanceId!, newMemberId);
    if (wasLeader) g.leaderId = newMemberId;
    if (g.pendingSync.delete(oldMemberId)) g.pendingSync.add(newMemberId);
    m.clientId = req.clientId ?? '';
    m.clientHost = req.clientHost ?? '';
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.heartbeatDeadline = now + m.sessionTimeoutMs;
    switch (g.state) {
      case 'Stable':
        if (unchanged) {
          out.records.push(this.metadataRecord(g));
          // KIP-814: a replaced leader is told it leads but must not compute an assignment,
          // because a Stable group would not hand a new one out.
          const result = this.joinResult(g, newMemberId, wasLeader);
          out.reply(id, { ...result, skipAssignment: wasLeader }, true);
          return;
        }
        this.parkJoin(m, id, out);
        this.prepareRebalance(g, now, out);
        return;
      case 'CompletingRebalance':
        // The leader may be assigning to the old id: rebalance so the new id gets a share.
        this.parkJoin(m, id, out);
        this.prepareRebalance(g, now, out);
        return;
      case 'PreparingRebalance':
        this.parkJoin(m, id, out);
        return;
      case 'Empty':
      case 'Dead':
        assert(false, 'a group with a static member has members');
    }
  }

  private parkJoin(m: Member, id: number, out: Out): void {
    // A second JoinGroup while one is parked (a retry): the older one is answered now.
    if (m.joinWaiter !== undefined) out.reply(m.joinWaiter, joinError('REBALANCE_IN_PROGRESS', m.memberId));
    m.joinWaiter = id;
  }

  private joinResult(g: Group, memberId: string, withMembers: boolean): JoinGroupResponse {
    return {
      errorCode: 'NONE',
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? this.currentMemberMetadata(g) : [],
    };
  }

  private currentMemberMetadata(g: Group): JoinGroupResponseMember[] {
    return [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: this.subscriptionOf(g, m) }));
  }

  private subscriptionOf(g: Group, m: Member): Uint8Array {
    return m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? emptyBytes;
  }

  // ---- the rebalance ----

  private maybePrepareRebalance(g: Group, now: number, out: Out): void {
    if (g.state === 'Stable' || g.state === 'CompletingRebalance' || g.state === 'Empty') this.prepareRebalance(g, now, out);
  }

  private prepareRebalance(g: Group, now: number, out: Out): void {
    if (g.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError(g, 'REBALANCE_IN_PROGRESS', now, out);
    g.syncDeadline = undefined;
    g.pendingSync.clear();
    if (g.state === 'Empty') {
      // Kafka's InitialDelayedJoin: wait for more members before the first generation.
      const delay = this.config.groupInitialRebalanceDelayMs;
      g.initialDelay = true;
      g.joinDeadline = now + delay;
      g.initialDelayRemainingMs = Math.max(this.rebalanceTimeoutOf(g) - delay, 0);
      g.newMemberAdded = false;
    } else {
      g.initialDelay = false;
      g.joinDeadline = now + this.rebalanceTimeoutOf(g);
    }
    this.transition(g, 'PreparingRebalance', now);
  }

  private rebalanceTimeoutOf(g: Group): number {
    let t = 0;
    for (const m of g.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Completes the join phase when every member has rejoined, or when its time is up. */
  private checkJoin(g: Group, now: number, out: Out): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.initialDelay) {
      if (now < g.joinDeadline) return;
      const delay = this.config.groupInitialRebalanceDelayMs;
      if (g.newMemberAdded && g.initialDelayRemainingMs > 0 && delay > 0) {
        g.newMemberAdded = false;
        const next = Math.min(delay, g.initialDelayRemainingMs);
        g.initialDelayRemainingMs = Math.max(g.initialDelayRemainingMs - next, 0);
        g.joinDeadline = now + next;
        return;
      }
      this.completeJoin(g, now, out);
      return;
    }
    let awaiting = 0;
    for (const m of g.members.values()) if (m.joinWaiter !== undefined) awaiting++;
    if ((awaiting === g.members.size && g.pendingMembers.size === 0) || now >= g.joinDeadline) this.completeJoin(g, now, out);
  }

  private completeJoin(g: Group, now: number, out: Out): void {
    // Dynamic members that did not rejoin in time are out; static ones stay until their session expires.
    for (const m of [...g.members.values()]) if (m.joinWaiter === undefined && m.groupInstanceId === null) this.removeMember(g, m, out);
    if (!this.electJoinedLeader(g) && g.members.size > 0) {
      // Only static members that have not rejoined remain: wait another rebalance timeout.
      g.initialDelay = false;
      g.joinDeadline = now + this.rebalanceTimeoutOf(g);
      return;
    }
    g.generationId++;
    g.pendingSync.clear();
    g.syncDeadline = undefined;
    if (g.members.size === 0) {
      g.protocolName = null;
      g.leaderId = null;
      this.transition(g, 'Empty', now);
      out.records.push(this.metadataRecord(g));
      return;
    }
    g.protocolName = this.selectProtocol(g);
    this.transition(g, 'CompletingRebalance', now);
    for (const m of g.members.values()) {
      if (m.joinWaiter !== undefined) {
        out.reply(m.joinWaiter, this.joinResult(g, m.memberId, m.memberId === g.leaderId));
        m.joinWaiter = undefined;
      }
      m.isNew = false;
      m.heartbeatDeadline = now + m.sessionTimeoutMs;
      g.pendingSync.add(m.memberId);
    }
    g.syncDeadline = now + this.rebalanceTimeoutOf(g);
  }

  /** Keeps the leader if it rejoined, else makes the first member that rejoined the leader. False when none rejoined. */
  private electJoinedLeader(g: Group): boolean {
    if (g.leaderId === null) return false;
    if (g.members.get(g.leaderId)?.joinWaiter !== undefined) return true;
    for (const m of g.members.values()) {
      if (m.joinWaiter !== undefined) {
        g.leaderId = m.memberId;
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
  private selectProtocol(g: Group): string {
    const members = [...g.members.values()];
    const candidates = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    assert(candidates.length > 0, 'the members of a group share a protocol (checked at each join)');
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0]![0];
  }

  /**
   * Answers the parked SyncGroups with an error. Each of those members gets a fresh session
   * from now, as Kafka's `propagateAssignment` gives it: its session did not run while it
   * waited for us, and without this every member whose sync was parked since the join
   * phase would expire in the same tick as the member that made the group rebalance.
   */
  private resetAndPropagateAssignmentError(g: Group, errorCode: ErrorCode, now: number, out: Out): void {
    for (const m of g.members.values()) {
      m.assignment = emptyBytes;
      if (m.syncWaiter !== undefined) {
        out.reply(m.syncWaiter, syncError(errorCode));
        m.syncWaiter = undefined;
        m.heartbeatDeadline = now + m.sessionTimeoutMs;
      }
    }
  }

  private transition(g: Group, state: GroupState, now: number): void {
    g.state = state;
    g.stateTimestamp = now;
    g.stateTimestampKnown = true;
  }

  /** Removes a member: answers what it waits for, and hands the leadership on. */
  private removeMember(g: Group, m: Member, out: Out): void {
    this.failWaiters(m, 'UNKNOWN_MEMBER_ID', out);
    g.members.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId) g.staticMembers.delete(m.groupInstanceId);
    g.pendingSync.delete(m.memberId);
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
  }

  /** Kafka's `removeMemberAndUpdateGroup`: a member left or expired; the group rebalances. */
  private removeMemberAndUpdateGroup(g: Group, m: Member, now: number, out: Out): void {
    this.removeMember(g, m, out);
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.maybePrepareRebalance(g, now, out);
    // In PreparingRebalance, the caller's checkJoin may now complete the rebalance.
  }

  private failWaiters(m: Member, errorCode: ErrorCode, out: Out): void {
    if (m.joinWaiter !== undefined) out.reply(m.joinWaiter, joinError(errorCode, m.memberId));
    if (m.syncWaiter !== undefined) out.reply(m.syncWaiter, syncError(errorCode));
    m.joinWaiter = undefined;
    m.syncWaiter = undefined;
  }

  private isStaticMemberFenced(g: Group, groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = g.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  // ---- SyncGroup ----

  private sync(id: number, req: SyncGroupRequest, now: number, out: Out): void {
    const fail = (errorCode: ErrorCode): void => out.reply(id, syncError(errorCode));
    if (req.groupId === '') return fail('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return fail('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    if (g === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (g.state === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    if (this.isStaticMemberFenced(g, req.groupInstanceId, req.memberId)) return fail('FENCED_INSTANCE_ID');
    const m = g.members.get(req.memberId);
    if (m === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return fail('ILLEGAL_GENERATION');
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
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
          return this.prepareRebalance(g, now, out);
        }
        if (m.syncWaiter !== undefined) out.reply(m.syncWaiter, syncError('REBALANCE_IN_PROGRESS'));
        m.syncWaiter = id;
        g.pendingSync.delete(m.memberId);
        if (g.leaderId !== m.memberId) return;
        // The leader's assignment: persist the generation, then everyone gets its share.
        const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        for (const member of g.members.values()) member.assignment = given.get(member.memberId) ?? emptyBytes;
        this.transition(g, 'Stable', now);
        out.records.push(this.metadataRecord(g));
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

  private heartbeat(id: number, req: HeartbeatRequest, now: number, out: Out): void {
    const answer = (errorCode: ErrorCode): void => out.reply(id, { errorCode });
    if (req.groupId === '') return answer('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return answer('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    if (g === undefined) return answer('UNKNOWN_MEMBER_ID');
    if (g.state === 'Dead') return answer('COORDINATOR_NOT_AVAILABLE');
    if (this.isStaticMemberFenced(g, req.groupInstanceId, req.memberId)) return answer('FENCED_INSTANCE_ID');
    const m = g.members.get(req.memberId);
    if (m === undefined) return answer('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return answer('ILLEGAL_GENERATION');
    m.heartbeatDeadline = now + m.sessionTimeoutMs;
    answer(g.state === 'PreparingRebalance' ? 'REBALANCE_IN_PROGRESS' : 'NONE');
  }

  // ---- LeaveGroup ----

  private leave(id: number, req: LeaveGroupRequest, now: number, out: Out): void {
    const top = (errorCode: ErrorCode): void => out.reply(id, { errorCode, members: [] } satisfies LeaveGroupResponse);
    if (req.groupId === '') return top('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return top('NOT_COORDINATOR');
    const g = this.groups.get(req.groupId);
    const results: MemberResponse[] = [];
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
      else if (this.isStaticMemberFenced(g, l.groupInstanceId, memberId)) errorCode = 'FENCED_INSTANCE_ID';
      else if (m === undefined) errorCode = 'UNKNOWN_MEMBER_ID';
      else this.removeMemberAndUpdateGroup(g, m, now, out);
      results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode });
    }
    out.reply(id, { errorCode: 'NONE', members: results });
  }

  // ---- OffsetCommit ----

  private commit(id: number, req: OffsetCommitRequest, now: number, out: Out): void {
    const results = new Map<OffsetCommitRequest['topics'][number], OffsetCommitResponsePartition[]>();
    const respond = (afterCommit: boolean): void => {
      const topics: OffsetCommitResponseTopic[] = req.topics.map((t) => ({ name: t.name, partitions: results.get(t)! }));
      out.reply(id, { topics }, afterCommit);
    };
    const all = (errorCode: ErrorCode): void => {
      for (const t of req.topics) results.set(t, t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })));
      respond(false);
    };
    if (stringTooLong(req.groupId)) return all('INVALID_GROUP_ID');
    if (!this.ownsGroup(req.groupId)) return all('NOT_COORDINATOR');
    // As Kafka's request handler does before the coordinator sees it: unknown partitions first.
    const valid: { topic: string; p: OffsetCommitRequest['topics'][number]['partitions'][number]; result: { partitionIndex: number; errorCode: ErrorCode } }[] = [];
    for (const t of req.topics) {
      const list: { partitionIndex: number; errorCode: ErrorCode }[] = [];
      results.set(t, list);
      for (const p of t.partitions) {
        const result = { partitionIndex: p.partitionIndex, errorCode: 'NONE' as ErrorCode };
        list.push(result);
        if (t.name === '' || stringTooLong(t.name) || !isInt32(p.partitionIndex) || p.partitionIndex < 0 || !this.partitionExists(t.name, p.partitionIndex)) {
          result.errorCode = 'UNKNOWN_TOPIC_OR_PARTITION';
        } else valid.push({ topic: t.name, p, result });
      }
    }
    const setAll = (errorCode: ErrorCode): void => {
      for (const v of valid) v.result.errorCode = errorCode;
      respond(false);
    };
    let g = this.groups.get(req.groupId);
    if (g === undefined) {
      // A group Kafka manages nothing for: allowed only outside group management.
      if (req.generationId >= 0) return setAll('ILLEGAL_GENERATION');
      g = this.newGroup(req.groupId, now);
      this.groups.set(req.groupId, g);
    } else if (g.state === 'Dead') {
      return setAll('COORDINATOR_NOT_AVAILABLE');
    } else if (this.isStaticMemberFenced(g, req.groupInstanceId, req.memberId)) {
      return setAll('FENCED_INSTANCE_ID');
    } else if (!(req.generationId < 0 && g.state === 'Empty')) {
      const m = g.members.get(req.memberId);
      if (m === undefined) return setAll('UNKNOWN_MEMBER_ID');
      if (req.generationId !== g.generationId) return setAll('ILLEGAL_GENERATION');
      // Between JoinGroup and SyncGroup the member has no assignment to commit for.
      if (g.state === 'CompletingRebalance') return setAll('REBALANCE_IN_PROGRESS');
      // Stable, or PreparingRebalance (the member learns of the rebalance from its heartbeat).
      m.heartbeatDeadline = Math.max(m.heartbeatDeadline, now + m.sessionTimeoutMs);
    }
    for (const v of valid) {
      const metadata = v.p.committedMetadata ?? '';
      if (metadata.length > this.config.offsetMetadataMaxBytes || stringTooLong(metadata)) {
        v.result.errorCode = 'OFFSET_METADATA_TOO_LARGE';
        continue;
      }
      if (!Number.isSafeInteger(v.p.committedOffset) || !isInt32(v.p.committedLeaderEpoch)) {
        v.result.errorCode = 'INVALID_COMMIT_OFFSET_SIZE';
        continue;
      }
      out.records.push({
        type: 'OffsetCommit',
        key: { group: req.groupId, topic: v.topic, partition: v.p.partitionIndex },
        value: { offset: v.p.committedOffset, leaderEpoch: v.p.committedLeaderEpoch, metadata, commitTimestamp: now, expireTimestamp: null },
      });
      this.offsets.addPending(req.groupId, v.topic, v.p.partitionIndex);
    }
    respond(out.records.length > 0);
  }

  // ---- OffsetFetch ----

  private fetch(id: number, req: OffsetFetchRequest, out: Out): void {
    if (!this.ownsGroup(req.groupId)) return out.reply(id, { errorCode: 'NOT_COORDINATOR', topics: [] });
    out.reply(id, this.offsets.fetch(req, this.groups.get(req.groupId)?.state === 'Dead'));
  }

  // ---- ListGroups, DescribeGroups ----

  private list(id: number, req: ListGroupsRequest, out: Out): void {
    const groups = [...this.groups.values()]
      .filter((g) => req.statesFilter.length === 0 || req.statesFilter.includes(g.state))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
    out.reply(id, { errorCode: 'NONE', groups });
  }

  private describe(id: number, req: DescribeGroupsRequest, out: Out): void {
    const groups: DescribeGroupsResponse['groups'][number][] = req.groups.map((groupId) => {
      if (!this.ownsGroup(groupId)) return { errorCode: 'NOT_COORDINATOR', groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const g = this.groups.get(groupId);
      if (g === undefined) return { errorCode: 'NONE', groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const stable = g.state === 'Stable';
      return {
        errorCode: 'NONE',
        groupId,
        groupState: g.state,
        protocolType: g.protocolType ?? '',
        protocolData: stable ? (g.protocolName ?? '') : '',
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? this.subscriptionOf(g, m) : emptyBytes,
          memberAssignment: stable ? m.assignment : emptyBytes,
        })),
      };
    });
    out.reply(id, { groups });
  }

  // ---- DeleteGroups and offset expiry ----

  private deleteGroups(id: number, req: DeleteGroupsRequest, now: number, out: Out): void {
    const results: DeleteGroupsResponse['results'][number][] = [];
    for (const groupId of req.groupsNames) {
      if (!this.ownsGroup(groupId)) {
        results.push({ groupId, errorCode: 'NOT_COORDINATOR' });
        continue;
      }
      const g = this.groups.get(groupId);
      if (g === undefined || g.state === 'Dead') results.push({ groupId, errorCode: 'GROUP_ID_NOT_FOUND' });
      else if (g.state !== 'Empty') results.push({ groupId, errorCode: 'NON_EMPTY_GROUP' });
      else {
        this.killGroup(g, this.offsets.committed(groupId), now, out);
        results.push({ groupId, errorCode: 'NONE' });
      }
    }
    out.reply(id, { results }, out.records.length > 0);
  }

  /**
   * Deletes a group: tombstones for `offsets` and for every commit still on its way (so
   * none lands after the tombstones and revives an offset), then for the group. The
   * group stays Dead until its tombstone is replayed.
   */
  private killGroup(g: Group, offsets: readonly CommittedOffset[], now: number, out: Out): void {
    const seen = new Set<string>();
    const tombstone = (topic: string, partition: number): void => {
      const k = `${topic}\u0000${partition}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.records.push({ type: 'OffsetCommit', key: { group: g.groupId, topic, partition }, value: null });
    };
    for (const c of offsets) tombstone(c.topic, c.partition);
    for (const p of this.offsets.pending(g.groupId)) tombstone(p.topic, p.partition);
    out.records.push({ type: 'GroupMetadata', key: { group: g.groupId }, value: null });
    g.pendingMembers.clear();
    this.transition(g, 'Dead', now);
  }

  /**
   * Kafka's `cleanupGroupMetadata`: in an Empty group, offsets expire `offsetsRetentionMs`
   * after the group became Empty (or, for a group that only stores offsets, after each
   * commit); a commit still on its way is never expired. An Empty group left with no
   * offsets is deleted.
   */
  private expireOffsets(now: number, out: Out): void {
    const retention = this.config.offsetsRetentionMs;
    for (const g of [...this.groups.values()]) {
      if (g.state !== 'Empty' || g.pendingMembers.size > 0) continue;
      // Without a state timestamp (old records, or a group that only stores offsets): each commit's own.
      const { expired, all } = this.offsets.expired(g.groupId, now, retention, g.protocolType !== null && g.stateTimestampKnown ? g.stateTimestamp : undefined);
      if (all) {
        this.killGroup(g, expired, now, out);
        continue;
      }
      for (const c of expired) out.records.push({ type: 'OffsetCommit', key: { group: g.groupId, topic: c.topic, partition: c.partition }, value: null });
    }
  }

  // ---- helpers ----

  private ownsGroup(groupId: string): boolean {
    return this.partition === undefined || partitionForGroup(groupId, this.partition.count) === this.partition.index;
  }

  private newGroup(groupId: string, now: number): Group {
    return {
      groupId,
      state: 'Empty',
      stateTimestamp: now,
      stateTimestampKnown: true,
      protocolType: null,
      protocolName: null,
      generationId: 0,
      leaderId: null,
      members: new Map(),
      staticMembers: new Map(),
      pendingMembers: new Map(),
      pendingSync: new Set(),
      joinDeadline: 0,
      initialDelay: false,
      initialDelayRemainingMs: 0,
      newMemberAdded: false,
      syncDeadline: undefined,
    };
  }

  private metadataOf(g: Group): GroupMetadataValue {
    return {
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: g.stateTimestampKnown ? g.stateTimestamp : -1,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: this.subscriptionOf(g, m),
        assignment: m.assignment,
      })),
    };
  }

  private metadataRecord(g: Group): GroupRecord {
    return { type: 'GroupMetadata', key: { group: g.groupId }, value: this.metadataOf(g) };
  }

  /** A random UUID in Kafka's printed form, from the injected generator. */
  private uuid(): string {
    const hex = (): string => this.rng.nextU32().toString(16).padStart(8, '0');
    const s = hex() + hex() + hex() + hex();
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

function joinError(errorCode: ErrorCode, memberId: string): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: ErrorCode): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: emptyBytes };
}
