/**
 * The answer a request gets when handling it failed as a whole: Kafka's
 * `AbstractRequest.getErrorResponse(throttleTimeMs, exception)`. An exception cannot cross
 * the wire, so Kafka's broker puts the error's code in every error field of the API's
 * response (per partition for Produce and ListOffsets, per topic for Metadata, at the top
 * for the group APIs) and answers that; a client then reacts as to any error answer
 * (retries NOT_LEADER_OR_FOLLOWER, reports INVALID_REQUIRED_ACKS).
 *
 * Tributary's broker throws a typed error for a request that fails validation (acks 2, a
 * partition index -1); the listener answers it with this instead of closing the
 * connection. An API not listed here still closes the connection (the client reconnects
 * and sees a retriable NETWORK_EXCEPTION), as Kafka does when it cannot build an answer.
 * @internal
 */
import { ApiKey } from './api-keys.js';
import type { Request, Response } from './requests.js';
import { errorCodes, type ErrorCode } from '../util/error-codes.js';
import { zeroUuid } from '../util/uuid.js';

/** The APIs {@link errorResponse} answers. */
export const errorResponseApis: ReadonlySet<number> = new Set([
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.Metadata,
  ApiKey.OffsetCommit,
  ApiKey.FindCoordinator,
  ApiKey.InitProducerId,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.CreateTopics,
  ApiKey.DeleteTopics,
  ApiKey.CreatePartitions,
  ApiKey.DeleteRecords,
  ApiKey.DescribeAcls,
  ApiKey.CreateAcls,
  ApiKey.DeleteAcls,
  ApiKey.AlterPartitionReassignments,
  ApiKey.DescribeLogDirs,
  ApiKey.DescribeProducers,
  ApiKey.DescribeTransactions,
  ApiKey.ListTransactions,
  ApiKey.ListPartitionReassignments,
  ApiKey.DescribeConfigs,
  ApiKey.AlterConfigs,
  ApiKey.IncrementalAlterConfigs,
  ApiKey.DescribeGroups,
  ApiKey.ListGroups,
  ApiKey.DeleteGroups,
  ApiKey.OffsetDelete,
  ApiKey.OffsetFetch,
  ApiKey.OffsetForLeaderEpoch,
  ApiKey.DescribeCluster,
]);

/**
 * The API's error answer to `request` with `code` (a Tributary-only code, which has no
 * number on the wire, becomes UNKNOWN_SERVER_ERROR), or undefined when the API has none here.
 * Arrays of the request that are not arrays (a request that failed validation may be any
 * shape) give empty arrays.
 */
export function errorResponse(request: Request, code: ErrorCode, message: string): Response | undefined {
  const errorCode: ErrorCode = errorCodes[code].code >= 0 ? code : 'UNKNOWN_SERVER_ERROR';
  const list = <T>(value: unknown): readonly T[] => (Array.isArray(value) ? (value as T[]) : []);
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const int = (value: unknown): number => (typeof value === 'number' && Number.isInteger(value) ? value : -1);
  switch (request.apiKey) {
    case ApiKey.Produce:
      return {
        apiKey: ApiKey.Produce,
        responses: list<{ name: unknown; partitionData: unknown }>(request.topicData).map((t) => ({
          name: text(t?.name),
          partitionResponses: list<{ index: unknown }>(t?.partitionData).map((p) => ({ index: int(p?.index), errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: message })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.Fetch:
      // Kafka's FetchRequest.getErrorResponse (below v13): the error at the top (v7+) and in
      // every partition asked for, records null (`partitionResponse`, never converted), the
      // request's session id.
      return {
        apiKey: ApiKey.Fetch,
        errorCode,
        sessionId: int(request.sessionId) < 0 ? 0 : int(request.sessionId),
        responses: list<{ topic: unknown; partitions: unknown }>(request.topics).map((t) => ({
          topic: text(t?.topic),
          partitions: list<{ partition: unknown }>(t?.partitions).map((p) => ({
            partitionIndex: int(p?.partition),
            errorCode,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.OffsetCommit:
      return {
        apiKey: ApiKey.OffsetCommit,
        topics: list<{ name: unknown; partitions: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<{ partitionIndex: unknown }>(t?.partitions).map((p) => ({ partitionIndex: int(p?.partitionIndex), errorCode })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.FindCoordinator: {
      // v0-v3 carry one key (the codec maps it to and from this list); v4+ one coordinator per key.
      const keys = list<unknown>(request.coordinatorKeys).map(text);
      return { apiKey: ApiKey.FindCoordinator, coordinators: (keys.length > 0 ? keys : ['']).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: message })), throttleTimeMs: 0 };
    }
    case ApiKey.LeaveGroup:
      return { apiKey: ApiKey.LeaveGroup, errorCode, members: [], throttleTimeMs: 0 };
    case ApiKey.CreateTopics:
      return {
        apiKey: ApiKey.CreateTopics,
        topics: list<{ name: unknown }>(request.topics).map((t) => ({ name: text(t?.name), topicId: zeroUuid, errorCode, errorMessage: message, numPartitions: -1, replicationFactor: -1, configs: null })),
        throttleTimeMs: 0,
      };
    case ApiKey.DeleteTopics:
      return {
        apiKey: ApiKey.DeleteTopics,
        responses: list<{ name?: unknown; topicId?: unknown }>(request.topics).map((t) => ({ name: typeof t?.name === 'string' ? t.name : null, topicId: typeof t?.topicId === 'string' ? t.topicId : zeroUuid, errorCode, errorMessage: message })),
        throttleTimeMs: 0,
      };
    case ApiKey.ListOffsets:
      return {
        apiKey: ApiKey.ListOffsets,
        topics: list<{ name: unknown; partitions: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<{ partitionIndex: unknown }>(t?.partitions).map((p) => ({ partitionIndex: int(p?.partitionIndex), errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.Metadata:
      // Kafka's MetadataRequest.getErrorResponse: every topic asked for, with the error; no brokers.
      return {
        apiKey: ApiKey.Metadata,
        brokers: [],
        clusterId: null,
        controllerId: -1,
        topics: list<{ name: unknown; topicId?: unknown }>(request.topics).map((t) => ({
          errorCode,
          name: typeof t?.name === 'string' ? t.name : null,
          topicId: (t?.topicId as never) ?? zeroUuid,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: -2147483648,
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.InitProducerId:
      return { apiKey: ApiKey.InitProducerId, errorCode, producerId: -1, producerEpoch: -1, throttleTimeMs: 0 };
    case ApiKey.JoinGroup:
      return { apiKey: ApiKey.JoinGroup, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: text(request.memberId), members: [], throttleTimeMs: 0 };
    case ApiKey.SyncGroup:
      return { apiKey: ApiKey.SyncGroup, errorCode, protocolType: null, protocolName: null, assignment: new Uint8Array(0), throttleTimeMs: 0 };
    case ApiKey.Heartbeat:
      return { apiKey: ApiKey.Heartbeat, errorCode, throttleTimeMs: 0 };
    case ApiKey.CreatePartitions:
      return { apiKey: ApiKey.CreatePartitions, results: list<{ name: unknown }>(request.topics).map((t) => ({ name: text(t?.name), errorCode, errorMessage: message })), throttleTimeMs: 0 };
    case ApiKey.DeleteRecords:
      return {
        apiKey: ApiKey.DeleteRecords,
        topics: list<{ name: unknown; partitions: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<{ partitionIndex: unknown }>(t?.partitions).map((p) => ({ partitionIndex: int(p?.partitionIndex), lowWatermark: -1, errorCode })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.DescribeConfigs:
    case ApiKey.AlterConfigs:
    case ApiKey.IncrementalAlterConfigs: {
      // Kafka's answer to a resource type it does not serve (a group's, a broker logger's):
      // every resource asked about, with the error.
      const resources = list<{ resourceType: unknown; resourceName: unknown }>(request.resources).map((r) => ({
        resourceType: int(r?.resourceType) as never,
        resourceName: text(r?.resourceName),
        errorCode,
        errorMessage: message,
      }));
      if (request.apiKey === ApiKey.DescribeConfigs) return { apiKey: ApiKey.DescribeConfigs, results: resources.map((r) => ({ ...r, configs: [] })), throttleTimeMs: 0 };
      return { apiKey: request.apiKey, responses: resources, throttleTimeMs: 0 };
    }
    case ApiKey.DescribeGroups:
      return {
        apiKey: ApiKey.DescribeGroups,
        groups: list<unknown>(request.groups).map((g) => ({ errorCode, groupId: text(g), groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })),
        throttleTimeMs: 0,
      };
    case ApiKey.ListGroups:
      return { apiKey: ApiKey.ListGroups, errorCode, groups: [], throttleTimeMs: 0 };
    case ApiKey.DeleteGroups:
      return { apiKey: ApiKey.DeleteGroups, results: list<unknown>(request.groupsNames).map((g) => ({ groupId: text(g), errorCode })), throttleTimeMs: 0 };
    // The ACL and reassignment APIs as Kafka's getErrorResponse answers them: the error at
    // the top where the response has one, and in each item the request named.
    case ApiKey.DescribeAcls:
      return { apiKey: ApiKey.DescribeAcls, errorCode, errorMessage: message, resources: [], throttleTimeMs: 0 };
    case ApiKey.CreateAcls:
      return { apiKey: ApiKey.CreateAcls, results: list<unknown>(request.creations).map(() => ({ errorCode, errorMessage: message })), throttleTimeMs: 0 };
    case ApiKey.DeleteAcls:
      return { apiKey: ApiKey.DeleteAcls, filterResults: list<unknown>(request.filters).map(() => ({ errorCode, errorMessage: message, matchingAcls: [] })), throttleTimeMs: 0 };
    case ApiKey.AlterPartitionReassignments:
      return {
        apiKey: ApiKey.AlterPartitionReassignments,
        errorCode,
        errorMessage: message,
        responses: list<{ name: unknown; partitions: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<{ partitionIndex: unknown }>(t?.partitions).map((p) => ({ partitionIndex: int(p?.partitionIndex), errorCode, errorMessage: message })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.DescribeLogDirs:
      // Kafka's getErrorResponse puts the error at the top, which v1-v2 do not carry (their
      // answer would read as "no folders"): one folder with no path carries it there too.
      return { apiKey: ApiKey.DescribeLogDirs, errorCode, results: [{ errorCode, logDir: '', topics: [] }], throttleTimeMs: 0 };
    case ApiKey.DescribeProducers:
      return {
        apiKey: ApiKey.DescribeProducers,
        topics: list<{ name: unknown; partitionIndexes: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<unknown>(t?.partitionIndexes).map((p) => ({ partitionIndex: int(p), errorCode, errorMessage: message, activeProducers: [] })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.DescribeTransactions:
      return {
        apiKey: ApiKey.DescribeTransactions,
        transactionStates: list<unknown>(request.transactionalIds).map((id) => ({ errorCode, transactionalId: text(id), transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] })),
        throttleTimeMs: 0,
      };
    case ApiKey.ListTransactions:
      return { apiKey: ApiKey.ListTransactions, errorCode, unknownStateFilters: [], transactionStates: [], throttleTimeMs: 0 };
    case ApiKey.ListPartitionReassignments:
      return { apiKey: ApiKey.ListPartitionReassignments, errorCode, errorMessage: message, topics: [], throttleTimeMs: 0 };
    case ApiKey.OffsetDelete:
      // Kafka's getErrorResponse: the error at the top, no topics.
      return { apiKey: ApiKey.OffsetDelete, errorCode, topics: [], throttleTimeMs: 0 };
    case ApiKey.OffsetFetch:
      // A batch (v8): each group with the error and no topics (Kafka's getErrorResponse).
      if (Array.isArray(request.groups)) {
        return { apiKey: ApiKey.OffsetFetch, errorCode: 'NONE', topics: [], groups: list<{ groupId: unknown }>(request.groups).map((g) => ({ groupId: text(g?.groupId), topics: [], errorCode })), throttleTimeMs: 0 };
      }
      // v1 carries errors per partition only, v2+ at the top as well (Kafka's getErrorResponse).
      return {
        apiKey: ApiKey.OffsetFetch,
        errorCode,
        topics: list<{ name: unknown; partitionIndexes: unknown }>(request.topics).map((t) => ({
          name: text(t?.name),
          partitions: list<unknown>(t?.partitionIndexes).map((p) => ({ partitionIndex: int(p), committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.OffsetForLeaderEpoch:
      return {
        apiKey: ApiKey.OffsetForLeaderEpoch,
        topics: list<{ topic: unknown; partitions: unknown }>(request.topics).map((t) => ({
          topic: text(t?.topic),
          partitions: list<{ partition: unknown }>(t?.partitions).map((p) => ({ errorCode, partition: int(p?.partition), leaderEpoch: -1, endOffset: -1 })),
        })),
        throttleTimeMs: 0,
      };
    case ApiKey.DescribeCluster:
      return { apiKey: ApiKey.DescribeCluster, errorCode, errorMessage: message, endpointType: 1, clusterId: '', controllerId: -1, brokers: [], clusterAuthorizedOperations: -2147483648, throttleTimeMs: 0 };
    default:
      return undefined;
  }
}
