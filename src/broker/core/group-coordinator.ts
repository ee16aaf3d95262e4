/**
 * The `GroupCoordinator`: the pure core of one `__consumer_offsets` partition, which
 * coordinates every consumer group whose id maps to that partition
 * ({@link partitionForGroup}), in the shape of Kafka's `GroupCoordinatorShard`: the one
 * face (`handle`, `tick`, `replay`) over the two managers that do the work, the
 * `GroupMetadataManager` (membership of the classic protocol: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, ListGroups, DescribeGroups) and the `OffsetMetadataManager`
 * (OffsetCommit, OffsetFetch, OffsetDelete, expiry). It routes requests and records, and does what
 * needs both: activation, DeleteGroups and offset expiry. Requests and responses are the
 * request language of `src/protocol/` (see coordinator-result.ts). The diagram and the
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
 * (and so delete) a newer commit. An invalid request gets Kafka's error code in its
 * response. Throws are only for bugs (AssertionError).
 */
import { ApiKey } from '../../protocol/api-keys.js';
import { assert } from '../../util/assert.js';
import type { Rng } from '../../util/rng.js';
import type { GroupState } from './classic-group.js';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './group-coordinator-config.js';
import { CoordinatorResult, groupErrorResponse, type GroupOutput, type GroupRequest, type GroupRequestContext } from './coordinator-result.js';
import { GroupMetadataManager } from './group-metadata-manager.js';
import { partitionForGroup, type GroupMetadataValue, type GroupRecord } from './group-records.js';
import { OffsetMetadataManager, type CommittedOffset } from './offset-metadata-manager.js';

export type { GroupState } from './classic-group.js';
export {
  groupErrorResponse,
  type DescribedGroupBody,
  type GroupOutput,
  type GroupReply,
  type GroupRequest,
  type GroupRequestContext,
  type GroupResponse,
  type GroupResponseFor,
} from './coordinator-result.js';
export { protocolsPerMemberMax } from './group-metadata-manager.js';
export type { CommittedOffset } from './offset-metadata-manager.js';
export { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './group-coordinator-config.js';

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

export class GroupCoordinator {
  private readonly config: GroupCoordinatorConfig;
  private readonly partition: { readonly index: number; readonly count: number } | undefined;
  /** Membership, and the committed group metadata. */
  private readonly groups: GroupMetadataManager;
  /** Offsets, committed and on their way. */
  private readonly offsets: OffsetMetadataManager;

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
    this.partition = options.partition;
    const ownsGroup = (groupId: string): boolean => this.ownsGroup(groupId);
    this.groups = new GroupMetadataManager({ config: this.config, rng: options.rng, ownsGroup, clusterRunId: options.clusterRunId });
    this.offsets = new OffsetMetadataManager({
      groups: this.groups,
      ownsGroup,
      partitionExists: options.partitionExists ?? (() => true),
      offsetMetadataMaxBytes: c.offsetMetadataMaxBytes,
    });
  }

  /** Whether this coordinator serves requests (between `activate`/`loadFrom` and `deactivate`). */
  get active(): boolean {
    return this.activeFlag;
  }

  // ---- durable state ----

  /** Applies one committed record. The only change to the committed offsets and group metadata. */
  replay(record: GroupRecord): void {
    if (record.type === 'OffsetCommit') this.offsets.replay(record.key, record.value);
    else this.groups.replay(record.key, record.value);
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
    this.groups.activate(now, this.offsets.groupIds());
    this.nextOffsetExpiryCheck = now + this.config.offsetsRetentionCheckIntervalMs;
  }

  /**
   * Stops serving (leadership moved): every parked request is answered NOT_COORDINATOR and
   * the soft state is dropped. The durable state stays, and `replay` may go on.
   */
  deactivate(): GroupOutput {
    const out = new CoordinatorResult();
    this.groups.deactivate(out);
    this.offsets.clearPending();
    this.activeFlag = false;
    this.resigned = true;
    return out.done();
  }

  // ---- inspection ----

  /** The committed offsets of a group. */
  committedOffsets(groupId: string): CommittedOffset[] {
    return this.offsets.committed(groupId);
  }

  /** Every group with committed offsets, and every group with committed metadata. */
  committedGroupIds(): string[] {
    return [...new Set([...this.offsets.groupIds(), ...this.groups.committedGroupIds()])].sort();
  }

  /** The committed metadata of a group. */
  committedGroupMetadata(groupId: string): GroupMetadataValue | undefined {
    return this.groups.committedGroupMetadata(groupId);
  }

  /** A group's state as this coordinator holds it; undefined for a group it does not know. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.group(groupId)?.state;
  }

  /** A group's generation as this coordinator holds it. */
  groupGeneration(groupId: string): number | undefined {
    return this.groups.group(groupId)?.generationId;
  }

  /** The member ids of a group as this coordinator holds it. */
  groupMembers(groupId: string): string[] {
    return [...(this.groups.group(groupId)?.members.keys() ?? [])];
  }

  /** Ids of the groups this coordinator holds, sorted. */
  groupIds(): string[] {
    return [...this.groups.groupIds()].sort();
  }

  /**
   * The GroupMetadata value that a Stable or Empty group's soft state stands for: with no
   * record outstanding, it equals the committed one (a property the tests check).
   * Undefined in the other states.
   */
  liveGroupMetadata(groupId: string): GroupMetadataValue | undefined {
    const g = this.groups.group(groupId);
    if (g === undefined || (g.state !== 'Stable' && g.state !== 'Empty')) return undefined;
    return g.metadataValue();
  }

  /** The earliest time at which `tick` has something to do. */
  nextDeadline(): number {
    return this.groups.nextDeadline(this.nextOffsetExpiryCheck);
  }

  // ---- requests and time ----

  /**
   * Handles one request; see the contract at the top of the file. `context` carries what
   * the request's body does not: the client's id and address, which a JoinGroup keeps.
   */
  handle(id: number, request: GroupRequest, now: number, context?: GroupRequestContext): GroupOutput {
    this.lastNow = Math.max(this.lastNow, now);
    now = this.lastNow;
    const out = new CoordinatorResult();
    if (!this.activeFlag) {
      out.reply(id, groupErrorResponse(request, this.resigned ? 'NOT_COORDINATOR' : 'COORDINATOR_LOAD_IN_PROGRESS'));
      return out.done();
    }
    switch (request.apiKey) {
      case ApiKey.JoinGroup:
        this.groups.join(id, request, context, now, out);
        break;
      case ApiKey.SyncGroup:
        this.groups.sync(id, request, now, out);
        break;
      case ApiKey.Heartbeat:
        this.groups.heartbeat(id, request, now, out);
        break;
      case ApiKey.LeaveGroup:
        this.groups.leave(id, request, now, out);
        break;
      case ApiKey.OffsetCommit:
      case ApiKey.OffsetFetch:
      case ApiKey.OffsetDelete:
        this.offsets.handle(id, request, now, out);
        break;
      case ApiKey.ListGroups:
        this.groups.list(id, request, out);
        break;
      case ApiKey.DescribeGroups:
        this.groups.describe(id, request, out);
        break;
      case ApiKey.DeleteGroups:
        this.deleteGroups(id, request.groupsNames, now, out);
        break;
    }
    // A request may have completed its group's join phase (the last member rejoined or left).
    if ('groupId' in request) this.groups.checkJoin(request.groupId, now, out);
    return out.done();
  }

  /** Completes rebalances, expires sessions and pending members, and expires offsets. */
  tick(now: number): GroupOutput {
    this.lastNow = Math.max(this.lastNow, now);
    now = this.lastNow;
    const out = new CoordinatorResult();
    if (!this.activeFlag) return out.done();
    this.groups.tick(now, out);
    if (now >= this.nextOffsetExpiryCheck) {
      this.nextOffsetExpiryCheck = now + this.config.offsetsRetentionCheckIntervalMs;
      this.expireOffsets(now, out);
    }
    return out.done();
  }

  /**
   * Kafka's `onPartitionsDeleted`: the broker saw `topics` deleted (a topic recreated under
   * the same name is a new one), so every group's offsets on them, committed or on their
   * way, get tombstones; a consumer of a recreated topic must not resume at an old offset.
   */
  onTopicsDeleted(topics: ReadonlySet<string>): GroupOutput {
    const out = new CoordinatorResult();
    if (this.activeFlag) this.offsets.deleteOffsetsOfTopics(topics, out);
    return out.done();
  }

  /**
   * DeleteGroups: GROUP_ID_NOT_FOUND for an unknown (or Dead) group, NON_EMPTY_GROUP for
   * one with members; otherwise tombstones for its offsets (and for commits on their way),
   * then for the group, which stays Dead until its tombstone is replayed.
   */
  private deleteGroups(id: number, groupIds: readonly string[], now: number, out: CoordinatorResult): void {
    const results = groupIds.map((groupId) => {
      const errorCode = this.ownsGroup(groupId) ? this.groups.validateDeleteGroup(groupId) : 'NOT_COORDINATOR';
      if (errorCode === 'NONE') {
        this.offsets.deleteAllOffsets(groupId, out);
        this.groups.deleteGroup(groupId, now, out);
      }
      return { groupId, errorCode };
    });
    out.reply(id, { results }, out.records.length > 0);
  }

  /**
   * Kafka's `cleanupGroupMetadata`: in an Empty group, offsets expire `offsetsRetentionMs`
   * after the group became Empty (or, for a group that only stores offsets, after each
   * commit); in a Stable consumer group, offsets of topics no member subscribes to expire
   * `offsetsRetentionMs` after their commit; an offset committed with a retention of its own
   * (OffsetCommit v2-v4) at its expire timestamp. A commit still on its way is never
   * expired. An Empty group left with no offsets is deleted.
   */
  private expireOffsets(now: number, out: CoordinatorResult): void {
    for (const { groupId, emptySince, subscribed } of this.groups.expirableGroups()) {
      const allExpired = this.offsets.cleanupExpiredOffsets(groupId, now, this.config.offsetsRetentionMs, emptySince, out, subscribed);
      if (allExpired && subscribed === undefined) this.groups.deleteGroup(groupId, now, out);
    }
  }

  private ownsGroup(groupId: string): boolean {
    return this.partition === undefined || partitionForGroup(groupId, this.partition.count) === this.partition.index;
  }
}
