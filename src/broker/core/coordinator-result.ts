/**
 * What the group coordinator takes and what it gives back, in the one request language of
 * `src/protocol/`: the group API requests exactly as the wire and the broker carry them,
 * and their responses without the envelope the API layer adds. As Kafka's
 * `CoordinatorResult`, an output is the records to append and the replies to send.
 *
 * The envelope: `apiKey` (the type tag of every response object), `throttleTimeMs` (the
 * coordinator does not throttle) and DescribeGroups' `authorizedOperations` (the
 * coordinator knows nothing of authorization; Kafka's `KafkaApis` fills it too). The shell
 * adds them, and the coordinator's tests and simulation read the bodies.
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type { ErrorCode } from '../../protocol/common.js';
import type * as P from '../../protocol/group.js';
import type { ResponseOf } from '../../protocol/requests.js';
import type { GroupRecord } from './group-records.js';

/** The requests the coordinator of one `__consumer_offsets` partition answers (FindCoordinator is the shell's). */
export type GroupRequest =
  | P.JoinGroupRequest
  | P.SyncGroupRequest
  | P.HeartbeatRequest
  | P.LeaveGroupRequest
  | P.OffsetCommitRequest
  | P.OffsetFetchRequest
  | P.ListGroupsRequest
  | P.DescribeGroupsRequest
  | P.DeleteGroupsRequest
  | P.OffsetDeleteRequest;

/** A described group as the coordinator knows it: everything but the authorized operations. */
export type DescribedGroupBody = Omit<P.DescribedGroup, 'authorizedOperations'>;

/** The response to a request of type `R`, without the envelope (see the top of the file). */
export type GroupResponseFor<R extends GroupRequest> = R extends P.DescribeGroupsRequest
  ? { readonly groups: readonly DescribedGroupBody[] }
  : Omit<ResponseOf<R['apiKey']>, 'apiKey' | 'throttleTimeMs'>;

export type GroupResponse = GroupResponseFor<GroupRequest>;

/** Extra facts about a request that its body does not carry (Kafka's `RequestContext`). */
export interface GroupRequestContext {
  /** The client's `client.id`, from the request header; kept for DescribeGroups and in new member ids. */
  readonly clientId: string;
  /** The client's address; kept for DescribeGroups. Default: the JoinGroup's own `clientHost`, else `''`. */
  readonly clientHost?: string;
}

/** One reply: `to` is the id given to `handle` with the request it answers. */
export interface GroupReply {
  readonly to: number;
  readonly response: GroupResponse;
  /** Send only once every record returned so far is committed (see the contract in group-coordinator.ts). */
  readonly afterCommit: boolean;
}

/** What `handle`, `tick` and `deactivate` return. */
export interface GroupOutput {
  /** Records to append atomically, in this order; empty when nothing durable changes. */
  readonly records: readonly GroupRecord[];
  readonly replies: readonly GroupReply[];
}

/** The output being built while one call runs; the managers add to it. */
export class CoordinatorResult {
  readonly records: GroupRecord[] = [];
  readonly replies: GroupReply[] = [];

  reply(to: number, response: GroupResponse, afterCommit = false): void {
    this.replies.push({ to, response, afterCommit });
  }

  done(): GroupOutput {
    return { records: this.records, replies: this.replies };
  }
}

const empty = new Uint8Array(0);

/**
 * The response to `request` that reports `errorCode` everywhere it has an error field:
 * what is answered when this coordinator is not the group's (NOT_COORDINATOR), is still
 * loading (COORDINATOR_LOAD_IN_PROGRESS), or when the records a response waited for were
 * never committed.
 */
export function groupErrorResponse<R extends GroupRequest>(request: R, errorCode: ErrorCode): GroupResponseFor<R> {
  return errorResponseOf(request, errorCode) as GroupResponseFor<R>;
}

function errorResponseOf(request: GroupRequest, errorCode: ErrorCode): GroupResponse {
  switch (request.apiKey) {
    case ApiKey.JoinGroup:
      return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] };
    case ApiKey.SyncGroup:
      return { errorCode, protocolType: null, protocolName: null, assignment: empty };
    case ApiKey.Heartbeat:
      return { errorCode };
    case ApiKey.LeaveGroup:
      return { errorCode, members: [] };
    case ApiKey.OffsetCommit:
      return { topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
    case ApiKey.OffsetFetch:
      return { errorCode, topics: [] };
    case ApiKey.ListGroups:
      return { errorCode, groups: [] };
    case ApiKey.DescribeGroups:
      return { groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] })) };
    case ApiKey.DeleteGroups:
      return { results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
    case ApiKey.OffsetDelete:
      return { errorCode, topics: [] };
  }
}
