/**
 * The consumer-group requests the group coordinator handles, and their responses, shaped
 * after Kafka's classic group APIs (`clients/src/main/resources/common/message/` in
 * apache/kafka: JoinGroupRequest.json (11), SyncGroupRequest.json (14), HeartbeatRequest.json
 * (12), LeaveGroupRequest.json (13), OffsetCommitRequest.json (8), OffsetFetchRequest.json
 * (9), ListGroupsRequest.json (16), DescribeGroupsRequest.json (15),
 * DeleteGroupsRequest.json (42)): the same fields in camel case, the newest non-KIP-848
 * shape of each, and an `errorCode` that is one of Kafka's error names.
 *
 * What is left out: throttle times (the coordinator does not throttle), `clientHost`
 * (the shell passes it in {@link JoinGroupRequest.clientHost} when it knows it), OffsetFetch's
 * multi-group form (v8+: the shell splits it into one request per group) and
 * ListGroups' type filter (KIP-848 groups do not exist here).
 *
 * An invalid request gets its error in the response; the coordinator never throws for one.
 */
import type { ErrorCode } from '../../util/error-codes.js';

/** Kafka's member id of a member that has none yet (`JoinGroupRequest.UNKNOWN_MEMBER_ID`). */
export const unknownMemberId = '';

/**
 * The client host of a member that lives in the cluster's own process, in run `runId` of
 * that cluster. After a crash such members are gone for good: a coordinator that knows the
 * current run (`GroupCoordinatorOptions.clusterRunId`) expires those of other runs at once.
 */
export function inProcessClientHost(runId: string): string {
  return `in-process:${runId}`;
}
/** Kafka's generation of a commit from outside group management (`OffsetCommitRequest.DEFAULT_GENERATION_ID`). */
export const noGeneration = -1;
/** Kafka's leader epoch when none is known (`RecordBatch.NO_PARTITION_LEADER_EPOCH`). */
export const noLeaderEpoch = -1;
/** The offset OffsetFetch returns for a partition with no committed offset (`OffsetFetchResponse.INVALID_OFFSET`). */
export const noOffset = -1;

// ---- JoinGroup (11) ----

export interface JoinGroupRequestProtocol {
  /** The assignor's name, such as `range` or `cooperative-sticky`. */
  readonly name: string;
  /** The member's subscription, opaque to the coordinator (ConsumerProtocolSubscription for consumers). */
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly type: 'JoinGroup';
  readonly groupId: string;
  /** The member is removed when the coordinator hears nothing from it for this long. */
  readonly sessionTimeoutMs: number;
  /** How long the coordinator waits for every member to rejoin during a rebalance (the consumer's `max.poll.interval.ms`). */
  readonly rebalanceTimeoutMs: number;
  /** `''` ({@link unknownMemberId}) on the first join: the coordinator answers MEMBER_ID_REQUIRED with an id to rejoin with. */
  readonly memberId: string;
  /** Static membership (KIP-345): the consumer's `group.instance.id`, or null. */
  readonly groupInstanceId: string | null;
  /** `consumer` for consumer groups; every member of a group must give the same. */
  readonly protocolType: string;
  /** The protocols the member supports, most preferred first. */
  readonly protocols: readonly JoinGroupRequestProtocol[];
  /** The client's `client.id`, kept for DescribeGroups. */
  readonly clientId?: string;
  /** The client's address, kept for DescribeGroups; the shell fills it in. */
  readonly clientHost?: string;
  /** Why the member joins (KIP-800), for logs only. */
  readonly reason?: string | null;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResponse {
  readonly errorCode: ErrorCode;
  /** The generation the member joined; -1 on error. */
  readonly generationId: number;
  readonly protocolType: string | null;
  /** The protocol the coordinator chose: one every member supports. */
  readonly protocolName: string | null;
  /** The leader's member id: the leader computes the assignment and sends it in its SyncGroup. */
  readonly leader: string;
  /** KIP-814: the member is the leader but must not compute an assignment (a static leader rejoined a stable group). */
  readonly skipAssignment: boolean;
  /** The member's id (new on MEMBER_ID_REQUIRED and on a first static join). */
  readonly memberId: string;
  /** Every member and its subscription, for the leader only; empty for the others. */
  readonly members: readonly JoinGroupResponseMember[];
}

// ---- SyncGroup (14) ----

export interface SyncGroupRequestAssignment {
  readonly memberId: string;
  /** The member's assignment, opaque to the coordinator (ConsumerProtocolAssignment for consumers). */
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly type: 'SyncGroup';
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** When given, must equal the group's (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  readonly protocolType: string | null;
  /** When given, must equal the chosen protocol (INCONSISTENT_GROUP_PROTOCOL otherwise). */
  readonly protocolName: string | null;
  /** From the leader: every member's assignment. Empty from the others. */
  readonly assignments: readonly SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  readonly errorCode: ErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** This member's assignment; empty on error. */
  readonly assignment: Uint8Array;
}

// ---- Heartbeat (12) ----

export interface HeartbeatRequest {
  readonly type: 'Heartbeat';
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  /** REBALANCE_IN_PROGRESS tells the member to rejoin. */
  readonly errorCode: ErrorCode;
}

// ---- LeaveGroup (13) ----

export interface MemberIdentity {
  /** The member's id; `''` with a `groupInstanceId` removes that static member whatever its id (admin use). */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason?: string | null;
}

export interface LeaveGroupRequest {
  readonly type: 'LeaveGroup';
  readonly groupId: string;
  readonly members: readonly MemberIdentity[];
}

export interface MemberResponse {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly errorCode: ErrorCode;
}

export interface LeaveGroupResponse {
  /** A group-level error; NONE when the per-member results say what happened. */
  readonly errorCode: ErrorCode;
  readonly members: readonly MemberResponse[];
}

// ---- OffsetCommit (8) ----

export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  /** The next offset the group will consume (one past the last processed record). */
  readonly committedOffset: number;
  /** The leader epoch of the last consumed record, or -1 ({@link noLeaderEpoch}). */
  readonly committedLeaderEpoch: number;
  /** Free-form client metadata, at most `offset.metadata.max.bytes`. */
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  readonly type: 'OffsetCommit';
  readonly groupId: string;
  /** The member's generation; -1 ({@link noGeneration}) to commit for a group without members (simple consumers, admin reset). */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
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
  readonly topics: readonly OffsetCommitResponseTopic[];
}

// ---- OffsetFetch (9) ----

export interface OffsetFetchRequestTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

export interface OffsetFetchRequest {
  readonly type: 'OffsetFetch';
  readonly groupId: string;
  /** The partitions to fetch; null for every committed offset of the group. */
  readonly topics: readonly OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchResponsePartition {
  readonly partitionIndex: number;
  /** -1 ({@link noOffset}) when nothing is committed. */
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: ErrorCode;
}

export interface OffsetFetchResponseTopic {
  readonly name: string;
  readonly partitions: readonly OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponse {
  readonly errorCode: ErrorCode;
  readonly topics: readonly OffsetFetchResponseTopic[];
}

// ---- ListGroups (16) ----

/** The classic group states, with Kafka's names (`ClassicGroupState.toString()`). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface ListGroupsRequest {
  readonly type: 'ListGroups';
  /** Only groups in these states; empty for all (KIP-518). */
  readonly statesFilter: readonly GroupState[];
}

export interface ListedGroup {
  readonly groupId: string;
  /** `''` for a group that only stores offsets. */
  readonly protocolType: string;
  readonly groupState: GroupState;
}

export interface ListGroupsResponse {
  readonly errorCode: ErrorCode;
  readonly groups: readonly ListedGroup[];
}

// ---- DescribeGroups (15) ----

export interface DescribeGroupsRequest {
  readonly type: 'DescribeGroups';
  readonly groups: readonly string[];
}

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's metadata for the chosen protocol; empty unless the group is Stable. */
  readonly memberMetadata: Uint8Array;
  /** The member's assignment; empty unless the group is Stable. */
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly errorCode: ErrorCode;
  readonly groupId: string;
  /** `Dead` for a group the coordinator does not know, as Kafka's classic coordinator answers. */
  readonly groupState: GroupState;
  readonly protocolType: string;
  /** The chosen protocol when Stable; `''` otherwise. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
}

export interface DescribeGroupsResponse {
  readonly groups: readonly DescribedGroup[];
}

// ---- DeleteGroups (42) ----

export interface DeleteGroupsRequest {
  readonly type: 'DeleteGroups';
  readonly groupsNames: readonly string[];
}

export interface DeletableGroupResult {
  readonly groupId: string;
  /** GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP for a group with members. */
  readonly errorCode: ErrorCode;
}

export interface DeleteGroupsResponse {
  readonly results: readonly DeletableGroupResult[];
}

// ---- unions ----

export type GroupRequest =
  | JoinGroupRequest
  | SyncGroupRequest
  | HeartbeatRequest
  | LeaveGroupRequest
  | OffsetCommitRequest
  | OffsetFetchRequest
  | ListGroupsRequest
  | DescribeGroupsRequest
  | DeleteGroupsRequest;

export type GroupResponse =
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | OffsetFetchResponse
  | ListGroupsResponse
  | DescribeGroupsResponse
  | DeleteGroupsResponse;

/** The response type of a request type. */
export type GroupResponseFor<R extends GroupRequest> = R extends JoinGroupRequest
  ? JoinGroupResponse
  : R extends SyncGroupRequest
    ? SyncGroupResponse
    : R extends HeartbeatRequest
      ? HeartbeatResponse
      : R extends LeaveGroupRequest
        ? LeaveGroupResponse
        : R extends OffsetCommitRequest
          ? OffsetCommitResponse
          : R extends OffsetFetchRequest
            ? OffsetFetchResponse
            : R extends ListGroupsRequest
              ? ListGroupsResponse
              : R extends DescribeGroupsRequest
                ? DescribeGroupsResponse
                : R extends DeleteGroupsRequest
                  ? DeleteGroupsResponse
                  : never;

const empty = new Uint8Array(0);

/**
 * The response to `request` that reports `errorCode` everywhere it has an error field:
 * what the shell answers when this broker is not the group's coordinator
 * (NOT_COORDINATOR), when the coordinator is still loading (COORDINATOR_LOAD_IN_PROGRESS),
 * or when the records a response waited for were never committed.
 */
export function groupErrorResponse<R extends GroupRequest>(request: R, errorCode: ErrorCode): GroupResponseFor<R> {
  return errorResponseOf(request, errorCode) as GroupResponseFor<R>;
}

function errorResponseOf(request: GroupRequest, errorCode: ErrorCode): GroupResponse {
  switch (request.type) {
    case 'JoinGroup':
      return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] };
    case 'SyncGroup':
      return { errorCode, protocolType: null, protocolName: null, assignment: empty };
    case 'Heartbeat':
      return { errorCode };
    case 'LeaveGroup':
      return { errorCode, members: [] };
    case 'OffsetCommit':
      return { topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
    case 'OffsetFetch':
      return { errorCode, topics: [] };
    case 'ListGroups':
      return { errorCode, groups: [] };
    case 'DescribeGroups':
      return { groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] })) };
    case 'DeleteGroups':
      return { results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  }
}
