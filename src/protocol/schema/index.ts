/**
 * Every API's description, by API key: the one place the wire codec, the type check of the
 * in-process types and the property tests read them from.
 * @internal
 */
import * as acls from './acls.js';
import * as admin from './admin.js';
import * as cluster from './cluster.js';
import * as fetch from './fetch.js';
import * as group from './group.js';
import * as logDirs from './log-dirs.js';
import * as produce from './produce.js';
import * as sasl from './sasl.js';
import * as transactions from './transactions.js';
import type { MessageSpec } from './spec.js';

export { acls, admin, cluster, fetch, group, logDirs, produce, sasl, transactions };
export type { FieldSpec, MessageSpec, Versions, WireShape } from './spec.js';
export { inVersions, versionBounds } from './spec.js';

/** An API's request and response descriptions. */
export interface ApiSpec {
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

/** The descriptions by API key. */
export const apiSpecs = {
  0: { request: produce.ProduceRequest, response: produce.ProduceResponse },
  1: { request: fetch.FetchRequest, response: fetch.FetchResponse },
  2: { request: fetch.ListOffsetsRequest, response: fetch.ListOffsetsResponse },
  3: { request: cluster.MetadataRequest, response: cluster.MetadataResponse },
  8: { request: group.OffsetCommitRequest, response: group.OffsetCommitResponse },
  9: { request: group.OffsetFetchRequest, response: group.OffsetFetchResponse },
  10: { request: group.FindCoordinatorRequest, response: group.FindCoordinatorResponse },
  11: { request: group.JoinGroupRequest, response: group.JoinGroupResponse },
  12: { request: group.HeartbeatRequest, response: group.HeartbeatResponse },
  13: { request: group.LeaveGroupRequest, response: group.LeaveGroupResponse },
  14: { request: group.SyncGroupRequest, response: group.SyncGroupResponse },
  15: { request: group.DescribeGroupsRequest, response: group.DescribeGroupsResponse },
  16: { request: group.ListGroupsRequest, response: group.ListGroupsResponse },
  17: { request: sasl.SaslHandshakeRequest, response: sasl.SaslHandshakeResponse },
  18: { request: cluster.ApiVersionsRequest, response: cluster.ApiVersionsResponse },
  19: { request: admin.CreateTopicsRequest, response: admin.CreateTopicsResponse },
  20: { request: admin.DeleteTopicsRequest, response: admin.DeleteTopicsResponse },
  21: { request: admin.DeleteRecordsRequest, response: admin.DeleteRecordsResponse },
  22: { request: produce.InitProducerIdRequest, response: produce.InitProducerIdResponse },
  23: { request: fetch.OffsetForLeaderEpochRequest, response: fetch.OffsetForLeaderEpochResponse },
  29: { request: acls.DescribeAclsRequest, response: acls.DescribeAclsResponse },
  30: { request: acls.CreateAclsRequest, response: acls.CreateAclsResponse },
  31: { request: acls.DeleteAclsRequest, response: acls.DeleteAclsResponse },
  32: { request: admin.DescribeConfigsRequest, response: admin.DescribeConfigsResponse },
  33: { request: admin.AlterConfigsRequest, response: admin.AlterConfigsResponse },
  35: { request: logDirs.DescribeLogDirsRequest, response: logDirs.DescribeLogDirsResponse },
  36: { request: sasl.SaslAuthenticateRequest, response: sasl.SaslAuthenticateResponse },
  37: { request: admin.CreatePartitionsRequest, response: admin.CreatePartitionsResponse },
  42: { request: group.DeleteGroupsRequest, response: group.DeleteGroupsResponse },
  45: { request: acls.AlterPartitionReassignmentsRequest, response: acls.AlterPartitionReassignmentsResponse },
  46: { request: acls.ListPartitionReassignmentsRequest, response: acls.ListPartitionReassignmentsResponse },
  47: { request: group.OffsetDeleteRequest, response: group.OffsetDeleteResponse },
  44: { request: admin.IncrementalAlterConfigsRequest, response: admin.IncrementalAlterConfigsResponse },
  60: { request: cluster.DescribeClusterRequest, response: cluster.DescribeClusterResponse },
  61: { request: transactions.DescribeProducersRequest, response: transactions.DescribeProducersResponse },
  65: { request: transactions.DescribeTransactionsRequest, response: transactions.DescribeTransactionsResponse },
  66: { request: transactions.ListTransactionsRequest, response: transactions.ListTransactionsResponse },
} as const satisfies Record<number, ApiSpec>;

export type SpecKey = keyof typeof apiSpecs;
