/**
 * The consumer group APIs of the classic protocol: FindCoordinator (10), JoinGroup (11),
 * SyncGroup (14), Heartbeat (12), LeaveGroup (13), OffsetCommit (8), OffsetFetch (9),
 * ListGroups (16), DescribeGroups (15), DeleteGroups (42) and OffsetDelete (47), shaped after Kafka's
 * `*Request.json` and `*Response.json` at the versions in `api-keys.ts`.
 *
 * Member metadata and assignments are opaque bytes to the coordinator, as in Kafka: the
 * group leader assigns, client side, and the coordinator only hands the bytes out.
 */
import type { ApiKey } from './api-keys.js';
import type { CoordinatorType, ErrorCode } from './common.js';

/**
 * The client host of a member that lives in the cluster's own process, in run `runId` of
 * that cluster ({@link JoinGroupRequest.clientHost}). After a crash such members are gone
 * for good: a coordinator that knows the current run expires those of other runs at once.
 */
export function inProcessClientHost(runId: string): string {
  return `in-process:${runId}`;
}

// ---- FindCoordinator (10) ----

export interface FindCoordinatorRequest {
  readonly apiKey: typeof ApiKey.FindCoordinator;
  /** `CoordinatorType.Group` (0) or `.Transaction` (1). */
  readonly keyType: CoordinatorType;
  /** The group ids (or transactional ids) whose coordinators are wanted; v0-v3 carry exactly one. */
  readonly coordinatorKeys: readonly string[];
}

export interface Coordinator {
  readonly key: string;
  /** The coordinator's broker id; -1 on error. */
  readonly nodeId: number;
  readonly host: string;
  /** -1 on error. */
  readonly port: number;
  readonly errorCode: ErrorCode;
  readonly errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  readonly apiKey: typeof ApiKey.FindCoordinator;
  /** One for each key asked for, in the same order. */
  readonly coordinators: readonly Coordinator[];
  readonly throttleTimeMs?: number;
}

// ---- JoinGroup (11) ----

export interface JoinGroupRequestProtocol {
  /** The assignor's name, such as `range` or `cooperative-sticky`. */
  readonly name: string;
  /** The member's subscription, in the assignor's encoding. */
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly apiKey: typeof ApiKey.JoinGroup;
  readonly groupId: string;
  /** The member is dropped when the coordinator hears nothing for this long. */
  readonly sessionTimeoutMs: number;
  /** How long the coordinator waits for every member to rejoin during a rebalance (v1+). */
  readonly rebalanceTimeoutMs: number;
  /** '' on the first join; the id the coordinator gave on later ones. */
  readonly memberId: string;
  /** The static member's `group.instance.id` (v5+, KIP-345), or null. */
  readonly groupInstanceId?: string | null;
  /** `consumer` for consumer groups. */
  readonly protocolType: string;
  /** The assignors the member supports, in order of preference. */
  readonly protocols: readonly JoinGroupRequestProtocol[];
  /** Why the member is joining, for the coordinator's log (v8+). */
  readonly reason?: string | null;
  /**
   * Not a field of Kafka's JoinGroup, which takes the client host from the connection (the
   * `RequestContext` a listener passes, and then this is ignored): a client in the
   * cluster's own process, which has no connection, says here that it lives in that
   * process, in one run of the cluster (`in-process:<cluster run id>`,
   * `inProcessClientHost`), which lets a cluster restarted after a crash drop the members
   * of an earlier run at once.
   */
  readonly clientHost?: string;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResponse {
  readonly apiKey: typeof ApiKey.JoinGroup;
  readonly errorCode: ErrorCode;
  /** The new generation; -1 on error. */
  readonly generationId: number;
  /** The group's protocol type (v7+), or null. */
  readonly protocolType: string | null;
  /** The assignor chosen, or null on error. */
  readonly protocolName: string | null;
  /** The leader's member id. */
  readonly leader: string;
  /**
   * KIP-814 (v9+, above the versions served on the wire, so only in-process members see
   * it): the member is the leader but must not compute an assignment (a static leader
   * rejoined a Stable group, which keeps its assignment).
   */
  readonly skipAssignment?: boolean;
  /** The member id the coordinator gave this member (also with MEMBER_ID_REQUIRED). */
  readonly memberId: string;
  /** Every member with its subscription, for the leader only; empty for the others. */
  readonly members: readonly JoinGroupResponseMember[];
  readonly throttleTimeMs?: number;
}

// ---- SyncGroup (14) ----

export interface SyncGroupRequestAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly apiKey: typeof ApiKey.SyncGroup;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
  /** v5+: checked against the group's, when given. */
  readonly protocolType?: string | null;
  readonly protocolName?: string | null;
  /** The leader's assignment for every member; empty from the other members. */
  readonly assignments: readonly SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  readonly apiKey: typeof ApiKey.SyncGroup;
  readonly errorCode: ErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** This member's assignment, in the assignor's encoding. */
  readonly assignment: Uint8Array;
  readonly throttleTimeMs?: number;
}

// ---- Heartbeat (12) ----

export interface HeartbeatRequest {
  readonly apiKey: typeof ApiKey.Heartbeat;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
}

export interface HeartbeatResponse {
  readonly apiKey: typeof ApiKey.Heartbeat;
  /** REBALANCE_IN_PROGRESS tells the member to rejoin. */
  readonly errorCode: ErrorCode;
  readonly throttleTimeMs?: number;
}

// ---- LeaveGroup (13) ----

export interface MemberIdentity {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** Why the member leaves (v5+). */
  readonly reason?: string | null;
}

export interface LeaveGroupRequest {
  readonly apiKey: typeof ApiKey.LeaveGroup;
  readonly groupId: string;
  /** The members leaving; v0-v2 carry exactly one, by member id. */
  readonly members: readonly MemberIdentity[];
}

export interface MemberResponse {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly errorCode: ErrorCode;
}

export interface LeaveGroupResponse {
  readonly apiKey: typeof ApiKey.LeaveGroup;
  readonly errorCode: ErrorCode;
  readonly members: readonly MemberResponse[];
  readonly throttleTimeMs?: number;
}

// ---- OffsetCommit (8) ----

export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  /** The next offset to consume. */
  readonly committedOffset: number;
  /** The leader epoch of the last consumed record (v6+), or -1. */
  readonly committedLeaderEpoch?: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  readonly apiKey: typeof ApiKey.OffsetCommit;
  readonly groupId: string;
  /** The member's generation, or -1 for a commit from outside the group (a simple consumer or an admin). */
  readonly generationId: number;
  /** '' for a commit from outside the group. */
  readonly memberId: string;
  readonly groupInstanceId?: string | null;
  /** How long to keep the offsets (v2-v4), or -1 for the broker's `offsets.retention.minutes`. */
  readonly retentionTimeMs?: number;
  readonly topics: readonly OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
}

export interface OffsetCommitResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  readonly apiKey: typeof ApiKey.OffsetCommit;
  readonly topics: readonly OffsetCommitResponseTopic[];
  readonly throttleTimeMs?: number;
}

// ---- OffsetFetch (9) ----

export interface OffsetFetchRequestTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

/** One group of a batched OffsetFetch (v8, KIP-709). */
export interface OffsetFetchRequestGroup {
  readonly groupId: string;
  /** The partitions wanted, or null for every partition the group has committed. */
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchRequest {
  readonly apiKey: typeof ApiKey.OffsetFetch;
  readonly groupId: string;
  /** The partitions wanted, or null for every partition the group has committed (v2+). */
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
  /** Wait for pending transactional commits instead of answering UNSTABLE_OFFSET_COMMIT (v7+). */
  readonly requireStable?: boolean;
  /**
   * A batch of groups (v8, KIP-709: Kafka's admin asks the offsets of several groups with one
   * coordinator at once). Present only for a batch of other than one group; then every group
   * is answered in the response's `groups`, and `groupId` and `topics` are the first group's
   * (`''` and null for none).
   */
  readonly groups?: readonly OffsetFetchRequestGroup[];
}

export interface OffsetFetchResponsePartition {
  readonly partitionIndex: number;
  /** The committed offset, or -1 when none. */
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: ErrorCode;
}

export interface OffsetFetchResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetFetchResponsePartition[];
}

/** One group's answer in a batched OffsetFetch (v8). */
export interface OffsetFetchResponseGroup {
  readonly groupId: string;
  readonly topics: readonly OffsetFetchResponseTopic[];
  /** The group's error, such as NOT_COORDINATOR (then no topics). */
  readonly errorCode: ErrorCode;
}

export interface OffsetFetchResponse {
  readonly apiKey: typeof ApiKey.OffsetFetch;
  readonly topics: readonly OffsetFetchResponseTopic[];
  /** A group-level error (v2+), such as COORDINATOR_LOAD_IN_PROGRESS. */
  readonly errorCode: ErrorCode;
  readonly throttleTimeMs?: number;
  /** The answer to a request's `groups`, one per group in its order (then `topics` is empty and `errorCode` NONE). */
  readonly groups?: readonly OffsetFetchResponseGroup[];
}

// ---- ListGroups (16) ----

export interface ListGroupsRequest {
  readonly apiKey: typeof ApiKey.ListGroups;
  /** Only groups in these states (v4+), such as `Stable`; empty for all. */
  readonly statesFilter?: readonly string[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  /** The group's state (v4+), such as `Stable`, `Empty` or `PreparingRebalance`. */
  readonly groupState: string;
}

export interface ListGroupsResponse {
  readonly apiKey: typeof ApiKey.ListGroups;
  readonly errorCode: ErrorCode;
  readonly groups: readonly ListedGroup[];
  readonly throttleTimeMs?: number;
}

// ---- DescribeGroups (15) ----

export interface DescribeGroupsRequest {
  readonly apiKey: typeof ApiKey.DescribeGroups;
  readonly groups: readonly string[];
  readonly includeAuthorizedOperations?: boolean;
}

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The subscription the member joined with. */
  readonly memberMetadata: Uint8Array;
  /** The assignment the member was given. */
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly errorCode: ErrorCode;
  readonly groupId: string;
  /** `Dead`, `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Stable`. */
  readonly groupState: string;
  readonly protocolType: string;
  /** The assignor chosen, when the group is stable. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
  readonly authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  readonly apiKey: typeof ApiKey.DescribeGroups;
  readonly groups: readonly DescribedGroup[];
  readonly throttleTimeMs?: number;
}

// ---- DeleteGroups (42) ----

export interface DeleteGroupsRequest {
  readonly apiKey: typeof ApiKey.DeleteGroups;
  readonly groupsNames: readonly string[];
}

export interface DeletableGroupResult {
  readonly groupId: string;
  readonly errorCode: ErrorCode;
}

export interface DeleteGroupsResponse {
  readonly apiKey: typeof ApiKey.DeleteGroups;
  readonly results: readonly DeletableGroupResult[];
  readonly throttleTimeMs?: number;
}

// ---- OffsetDelete (47) ----

/**
 * Deletes a group's committed offsets for some partitions (KIP-496), which only works for
 * topics no active member of the group subscribes to.
 */
export interface OffsetDeleteRequest {
  readonly apiKey: typeof ApiKey.OffsetDelete;
  readonly groupId: string;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number }[] }[];
}

export interface OffsetDeleteResponsePartition {
  readonly partitionIndex: number;
  /** NONE (deleted, or there was none), GROUP_SUBSCRIBED_TO_TOPIC or UNKNOWN_TOPIC_OR_PARTITION. */
  readonly errorCode: ErrorCode;
}

export interface OffsetDeleteResponse {
  readonly apiKey: typeof ApiKey.OffsetDelete;
  /** A group-wide error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, NOT_COORDINATOR, ...); then `topics` is empty. */
  readonly errorCode: ErrorCode;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly OffsetDeleteResponsePartition[] }[];
  readonly throttleTimeMs?: number;
}
