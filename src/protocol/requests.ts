/**
 * Every request a client can make and its response, as one map from API key to the pair,
 * and the unions and lookups a transport needs to be fully typed:
 *
 * ```ts
 * interface Sender {
 *   send<R extends Request>(request: R): Promise<ResponseFor<R>>;
 * }
 * ```
 *
 * (The type parameter is the request type, not the API key: TypeScript cannot infer `K`
 * from an argument of type `RequestOf<K>`, but it infers `R` from the argument itself, and
 * `ResponseFor<FetchRequest>` is `FetchResponse`.)
 *
 * A request is a plain, immutable object: the same value whether it was built by a
 * `Producer` in the same thread, copied across a `MessagePort` from a worker, or decoded
 * from the Kafka wire protocol. It carries the newest shape of the API at the versions in
 * `api-keys.ts`, never a version number: the wire codec fills in what an older version does
 * not carry (with Kafka's defaults) and leaves out what it cannot carry.
 *
 * Errors inside responses are Kafka error names (`ErrorCode`, such as
 * `'NOT_LEADER_OR_FOLLOWER'`); the wire codec maps them to and from Kafka's numbers.
 */
import type { ApiKey } from './api-keys.js';
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  CreateAclsRequest,
  CreateAclsResponse,
  DeleteAclsRequest,
  DeleteAclsResponse,
  DescribeAclsRequest,
  DescribeAclsResponse,
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from './acls.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from './log-dirs.js';
import type {
  DescribeProducersRequest,
  DescribeProducersResponse,
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
  ListTransactionsRequest,
  ListTransactionsResponse,
} from './transactions.js';
import type {
  AlterConfigsRequest,
  AlterConfigsResponse,
  CreatePartitionsRequest,
  CreatePartitionsResponse,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteRecordsRequest,
  DeleteRecordsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from './admin.js';
import type {
  ApiVersionsRequest,
  ApiVersionsResponse,
  DescribeClusterRequest,
  DescribeClusterResponse,
  MetadataRequest,
  MetadataResponse,
} from './cluster.js';
import type {
  FetchRequest,
  FetchResponse,
  ListOffsetsRequest,
  ListOffsetsResponse,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
} from './fetch.js';
import type {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from './group.js';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse } from './sasl.js';
import type { InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse } from './produce.js';

/** Each API's request and response types, by API key. */
export interface Apis {
  [ApiKey.Produce]: { request: ProduceRequest; response: ProduceResponse };
  [ApiKey.Fetch]: { request: FetchRequest; response: FetchResponse };
  [ApiKey.ListOffsets]: { request: ListOffsetsRequest; response: ListOffsetsResponse };
  [ApiKey.Metadata]: { request: MetadataRequest; response: MetadataResponse };
  [ApiKey.OffsetCommit]: { request: OffsetCommitRequest; response: OffsetCommitResponse };
  [ApiKey.OffsetFetch]: { request: OffsetFetchRequest; response: OffsetFetchResponse };
  [ApiKey.FindCoordinator]: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  [ApiKey.JoinGroup]: { request: JoinGroupRequest; response: JoinGroupResponse };
  [ApiKey.Heartbeat]: { request: HeartbeatRequest; response: HeartbeatResponse };
  [ApiKey.LeaveGroup]: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  [ApiKey.SyncGroup]: { request: SyncGroupRequest; response: SyncGroupResponse };
  [ApiKey.DescribeGroups]: { request: DescribeGroupsRequest; response: DescribeGroupsResponse };
  [ApiKey.ListGroups]: { request: ListGroupsRequest; response: ListGroupsResponse };
  [ApiKey.SaslHandshake]: { request: SaslHandshakeRequest; response: SaslHandshakeResponse };
  [ApiKey.ApiVersions]: { request: ApiVersionsRequest; response: ApiVersionsResponse };
  [ApiKey.CreateTopics]: { request: CreateTopicsRequest; response: CreateTopicsResponse };
  [ApiKey.DeleteTopics]: { request: DeleteTopicsRequest; response: DeleteTopicsResponse };
  [ApiKey.DeleteRecords]: { request: DeleteRecordsRequest; response: DeleteRecordsResponse };
  [ApiKey.InitProducerId]: { request: InitProducerIdRequest; response: InitProducerIdResponse };
  [ApiKey.OffsetForLeaderEpoch]: { request: OffsetForLeaderEpochRequest; response: OffsetForLeaderEpochResponse };
  [ApiKey.DescribeAcls]: { request: DescribeAclsRequest; response: DescribeAclsResponse };
  [ApiKey.CreateAcls]: { request: CreateAclsRequest; response: CreateAclsResponse };
  [ApiKey.DeleteAcls]: { request: DeleteAclsRequest; response: DeleteAclsResponse };
  [ApiKey.DescribeConfigs]: { request: DescribeConfigsRequest; response: DescribeConfigsResponse };
  [ApiKey.AlterConfigs]: { request: AlterConfigsRequest; response: AlterConfigsResponse };
  [ApiKey.DescribeLogDirs]: { request: DescribeLogDirsRequest; response: DescribeLogDirsResponse };
  [ApiKey.SaslAuthenticate]: { request: SaslAuthenticateRequest; response: SaslAuthenticateResponse };
  [ApiKey.CreatePartitions]: { request: CreatePartitionsRequest; response: CreatePartitionsResponse };
  [ApiKey.DeleteGroups]: { request: DeleteGroupsRequest; response: DeleteGroupsResponse };
  [ApiKey.AlterPartitionReassignments]: { request: AlterPartitionReassignmentsRequest; response: AlterPartitionReassignmentsResponse };
  [ApiKey.ListPartitionReassignments]: { request: ListPartitionReassignmentsRequest; response: ListPartitionReassignmentsResponse };
  [ApiKey.OffsetDelete]: { request: OffsetDeleteRequest; response: OffsetDeleteResponse };
  [ApiKey.IncrementalAlterConfigs]: { request: IncrementalAlterConfigsRequest; response: IncrementalAlterConfigsResponse };
  [ApiKey.DescribeCluster]: { request: DescribeClusterRequest; response: DescribeClusterResponse };
  [ApiKey.DescribeProducers]: { request: DescribeProducersRequest; response: DescribeProducersResponse };
  [ApiKey.DescribeTransactions]: { request: DescribeTransactionsRequest; response: DescribeTransactionsResponse };
  [ApiKey.ListTransactions]: { request: ListTransactionsRequest; response: ListTransactionsResponse };
}

/** The request type of API `K`: `RequestOf<typeof ApiKey.Fetch>` is `FetchRequest`. */
export type RequestOf<K extends ApiKey> = Apis[K]['request'];

/** The response type of API `K`. */
export type ResponseOf<K extends ApiKey> = Apis[K]['response'];

/** Any request, discriminated by `apiKey`. */
export type Request = { [K in ApiKey]: RequestOf<K> }[ApiKey];

/** Any response, discriminated by `apiKey`. */
export type Response = { [K in ApiKey]: ResponseOf<K> }[ApiKey];

/** The response type for a request type: `ResponseFor<FetchRequest>` is `FetchResponse`. */
export type ResponseFor<R extends Request> = ResponseOf<R['apiKey']>;

/**
 * What every transport offers a client: send one request, get its response. The contract:
 * - the promise resolves with the response to exactly this request, whose `apiKey` equals
 *   the request's;
 * - errors about the data (a partition that moved, a topic that does not exist) are in the
 *   response's error codes, never a rejection;
 * - the promise rejects (with a `TributaryError`) only when the request could not be
 *   delivered or answered: a closed transport, a timeout, a broken connection, a request
 *   that failed validation.
 *
 * A Produce with `acks` 0 still resolves, with a response whose partitions are `NONE` and
 * whose offsets are -1, once the request has been handed over.
 */
export interface Sender {
  send<R extends Request>(request: R): Promise<ResponseFor<R>>;
}

/**
 * What a broker offers a transport: the handler side of {@link Sender}. A server-side
 * transport decodes (or receives) a request, validates it (`validateRequest`), passes it
 * here, and sends back what the promise resolves with.
 */
export interface RequestHandler {
  handle<R extends Request>(request: R): Promise<ResponseFor<R>>;
}
